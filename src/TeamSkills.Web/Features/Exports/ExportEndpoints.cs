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
        builder.Services.AddScoped<AuditedExports>();
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
        api.MapGet("/teams/{id:int}/report.xlsx", async (int id, string? asOf, AuditedExports exports, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, exports.Today) is not { } date) return AsOf.Invalid(asOf);
            return await exports.TeamAsync(http.User, id, date, "xlsx", ct) is { } report ? ExportFiles.TeamXlsx(report) : TeamNotFound(id);
        }).WithTags("Exports");

        api.MapGet("/teams/{id:int}/report.pdf", async (int id, string? asOf, AuditedExports exports, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, exports.Today) is not { } date) return AsOf.Invalid(asOf);
            return await exports.TeamAsync(http.User, id, date, "pdf", ct) is { } report ? ExportFiles.TeamPdf(report) : TeamNotFound(id);
        }).WithTags("Exports");

        var org = api.MapGroup("/reports").RequireAuthorization(AccessSetup.WritePolicy).WithTags("Exports");
        org.MapGet("/org.xlsx", async (string? asOf, AuditedExports exports, HttpContext http, CancellationToken ct) =>
            AsOf.Parse(asOf, exports.Today) is { } date
                ? ExportFiles.OrgXlsx(await exports.OrgAsync(http.User, date, "xlsx", ct), Folder(http.RequestServices))
                : AsOf.Invalid(asOf));
        org.MapGet("/org.pdf", async (string? asOf, AuditedExports exports, HttpContext http, CancellationToken ct) =>
            AsOf.Parse(asOf, exports.Today) is { } date ? ExportFiles.OrgPdf(await exports.OrgAsync(http.User, date, "pdf", ct)) : AsOf.Invalid(asOf));

        // Large org workbooks as a background job: 202 with where to look, progress pushed over the live hub.
        org.MapPost("/org.xlsx/jobs", async (string? asOf, ExportJobs jobs, AuditedExports exports, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, exports.Today) is not { } date) return AsOf.Invalid(asOf);
            await exports.OrgJobAsync(http.User, date, ct);
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
