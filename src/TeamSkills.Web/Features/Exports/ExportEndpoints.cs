using Microsoft.Extensions.Options;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Gaps;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Exports;

public static class ExportEndpoints
{
    public static WebApplicationBuilder AddExports(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ExportReports>();
        builder.Services.AddSingleton<ExportJobs>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ExportJobs>());
        return builder;
    }

    public static string Folder(IServiceProvider sp) => Path.Combine(
        sp.GetRequiredService<IOptions<TeamSkillsOptions>>().Value.ResolveDataDirectory(sp.GetRequiredService<IWebHostEnvironment>().ContentRootPath),
        "exports");

    private static IResult TeamNotFound(int id) => Results.Problem(statusCode: 404, title: "Team not found", detail: $"No team {id} in your scope.");

    /// <summary>Where jobs started from the dashboard are fetched, with the sign-in cookie (GET only: nothing to forge).</summary>
    public const string PageJobsPath = "/exports/jobs";

    public static WebApplication MapExportPages(this WebApplication app)
    {
        var pages = app.MapGroup(PageJobsPath).RequireAuthorization(AccessSetup.PagePolicy).ExcludeFromDescription(); // the dashboard's, not the API
        pages.MapGet("/{id:guid}", (Guid id, ExportJobs jobs, HttpContext http) =>
            jobs.Find(id, http.User) is { } job ? Results.Ok(job.Status()) : JobNotFound(id));
        pages.MapGet("/{id:guid}/file", (Guid id, ExportJobs jobs, HttpContext http) => JobFile(id, jobs.Find(id, http.User)));
        return app;
    }

    private static IResult JobFile(Guid id, ExportJob? found) => found switch
    {
        { Phase: ExportPhase.Done, Path: { } path } job when File.Exists(path) =>
            Results.File(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous),
                ExportFiles.Xlsx, job.FileName),
        { } job => Results.Problem(statusCode: 409, title: "Export not ready", detail: $"Export {id} is {job.Phase.ToString().ToLowerInvariant()}."),
        null => JobNotFound(id),
    };

    public static RouteGroupBuilder MapExports(this RouteGroupBuilder api)
    {
        api.MapGet("/teams/{id:int}/report.xlsx", async (int id, string? asOf, ExportReports reports, ScopeService scopes, AuditLog audit,
            HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, reports.Today) is not { } date) return AsOf.Invalid(asOf);
            var scope = await scopes.ForAsync(http.User, ct);
            var report = await reports.TeamAsync(scope, id, date, ct);
            if (report is null) return TeamNotFound(id);
            await Exported(audit, scope, "export.team", $"team {id} report.xlsx", date, ct);
            return ExportFiles.TeamXlsx(report);
        }).WithTags("Exports");

        api.MapGet("/teams/{id:int}/report.pdf", async (int id, string? asOf, ExportReports reports, ScopeService scopes, AuditLog audit,
            HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, reports.Today) is not { } date) return AsOf.Invalid(asOf);
            var scope = await scopes.ForAsync(http.User, ct);
            var report = await reports.TeamAsync(scope, id, date, ct);
            if (report is null) return TeamNotFound(id);
            await Exported(audit, scope, "export.team", $"team {id} report.pdf", date, ct);
            return ExportFiles.TeamPdf(report);
        }).WithTags("Exports");

        var org = api.MapGroup("/reports").RequireAuthorization(AccessSetup.WritePolicy).WithTags("Exports");
        org.MapGet("/org.xlsx", async (string? asOf, ExportReports reports, ScopeService scopes, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, reports.Today) is not { } date) return AsOf.Invalid(asOf);
            var scope = await scopes.ForAsync(http.User, ct);
            await Exported(audit, scope, "export.org", "org.xlsx", date, ct);
            return ExportFiles.OrgXlsx(await reports.OrgAsync(scope, date, ct), Folder(http.RequestServices));
        });
        org.MapGet("/org.pdf", async (string? asOf, ExportReports reports, ScopeService scopes, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, reports.Today) is not { } date) return AsOf.Invalid(asOf);
            var scope = await scopes.ForAsync(http.User, ct);
            await Exported(audit, scope, "export.org", "org.pdf", date, ct);
            return ExportFiles.OrgPdf(await reports.OrgAsync(scope, date, ct));
        });

        // Large org workbooks as a background job: 202 with where to look, progress pushed over the live hub.
        org.MapPost("/org.xlsx/jobs", async (string? asOf, ExportJobs jobs, ExportReports reports, ScopeService scopes, AuditLog audit,
            HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, reports.Today) is not { } date) return AsOf.Invalid(asOf);
            await Exported(audit, await scopes.ForAsync(http.User, ct), "export.org", "org.xlsx (background)", date, ct);
            var job = jobs.Enqueue(http.User, date, "/api/reports/jobs");
            return Results.Accepted($"/api/reports/jobs/{job.Id}", job.Status());
        });
        org.MapGet("/jobs/{id:guid}", (Guid id, ExportJobs jobs, HttpContext http) =>
            jobs.Find(id, http.User) is { } job ? Results.Ok(job.Status()) : JobNotFound(id));
        org.MapGet("/jobs/{id:guid}/file", (Guid id, ExportJobs jobs, HttpContext http) => JobFile(id, jobs.Find(id, http.User)));
        return api;
    }

    /// <summary>Who took which report out of the app, for which day: reports carry names and gaps of many people.
    /// The API and the pages' download handlers both record it, under the same actions and targets.</summary>
    internal static Task Exported(AuditLog audit, CallerScope scope, string action, string target, DateOnly asOf, CancellationToken ct) =>
        audit.AddAndSaveAsync(scope.Actor, action, target, "Applied", new { asOf = asOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) }, ct);

    private static IResult JobNotFound(Guid id) => Results.Problem(statusCode: 404, title: "Export not found", detail: $"No export {id} of yours.");
}
