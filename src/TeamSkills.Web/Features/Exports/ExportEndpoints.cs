using Microsoft.Extensions.Options;
using TeamSkills.Web.Features.Access;
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
        api.MapGet("/teams/{id:int}/report.xlsx", async (int id, string? asOf, ExportReports reports, ScopeService scopes, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, reports.Today) is not { } date) return AsOf.Invalid(asOf);
            var report = await reports.TeamAsync(await scopes.ForAsync(http.User, ct), id, date, ct);
            return report is null ? TeamNotFound(id) : ExportFiles.TeamXlsx(report);
        }).WithTags("Exports");

        api.MapGet("/teams/{id:int}/report.pdf", async (int id, string? asOf, ExportReports reports, ScopeService scopes, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, reports.Today) is not { } date) return AsOf.Invalid(asOf);
            var report = await reports.TeamAsync(await scopes.ForAsync(http.User, ct), id, date, ct);
            return report is null ? TeamNotFound(id) : ExportFiles.TeamPdf(report);
        }).WithTags("Exports");

        var org = api.MapGroup("/reports").RequireAuthorization(AccessSetup.WritePolicy).WithTags("Exports");
        org.MapGet("/org.xlsx", async (string? asOf, ExportReports reports, ScopeService scopes, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, reports.Today) is not { } date) return AsOf.Invalid(asOf);
            return ExportFiles.OrgXlsx(await reports.OrgAsync(await scopes.ForAsync(http.User, ct), date, ct), Folder(http.RequestServices));
        });
        org.MapGet("/org.pdf", async (string? asOf, ExportReports reports, ScopeService scopes, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, reports.Today) is not { } date) return AsOf.Invalid(asOf);
            return ExportFiles.OrgPdf(await reports.OrgAsync(await scopes.ForAsync(http.User, ct), date, ct));
        });

        // Large org workbooks as a background job: 202 with where to look, progress pushed over the live hub.
        org.MapPost("/org.xlsx/jobs", (string? asOf, ExportJobs jobs, ExportReports reports, HttpContext http) =>
        {
            if (AsOf.Parse(asOf, reports.Today) is not { } date) return AsOf.Invalid(asOf);
            var job = jobs.Enqueue(http.User, date, "/api/reports/jobs");
            return Results.Accepted($"/api/reports/jobs/{job.Id}", job.Status());
        });
        org.MapGet("/jobs/{id:guid}", (Guid id, ExportJobs jobs, HttpContext http) =>
            jobs.Find(id, http.User) is { } job ? Results.Ok(job.Status()) : JobNotFound(id));
        org.MapGet("/jobs/{id:guid}/file", (Guid id, ExportJobs jobs, HttpContext http) => JobFile(id, jobs.Find(id, http.User)));
        return api;
    }

    private static IResult JobNotFound(Guid id) => Results.Problem(statusCode: 404, title: "Export not found", detail: $"No export {id} of yours.");
}
