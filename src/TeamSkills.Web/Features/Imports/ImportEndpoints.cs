using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Platform;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Imports;

public static class ImportEndpoints
{
    public static WebApplicationBuilder AddImports(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<RosterImport>();
        builder.Services.AddScoped<Completions.CompletionWriter>();
        builder.Services.AddScoped<CompletionImport>();
        builder.Services.TryAddSingleton<IImportProgress, NoImportProgress>();
        return builder;
    }

    public static RouteGroupBuilder MapImports(this RouteGroupBuilder api)
    {
        var imports = api.MapGroup("/imports").WithTags("Imports");
        imports.MapPost("/roster", (HttpContext http, string? mode, bool? dryRun, RosterImport handler, IOptions<ImportOptions> options, CancellationToken ct) =>
            RunAsync(http, mode ?? "full", dryRun ?? false, options.Value, handler.ExecuteAsync, ct))
            .RequireAuthorization(AccessSetup.WritePolicy).DisableAntiforgery().WithMetadata(ImportFileForm.Marker).Produces<ImportResponse>();
        imports.MapPost("/completions", (HttpContext http, bool? dryRun, CompletionImport handler, IOptions<ImportOptions> options, CancellationToken ct) =>
            RunAsync(http, "partial", dryRun ?? false, options.Value, handler.ExecuteAsync, ct))
            .RequireAuthorization(AccessSetup.WritePolicy).DisableAntiforgery().WithMetadata(ImportFileForm.Marker).Produces<ImportResponse>();

        // A starting file: the header each import reads and two example rows (no data of the org's).
        imports.MapGet("/templates/{kind}", (string kind) => ImportTemplates.File(kind) is { } t
                ? Results.File(t.Content, "text/csv; charset=utf-8", t.FileName)
                : Results.Problem(statusCode: 404, title: "No such template", detail: $"Templates: {string.Join(", ", ImportTemplates.Kinds)}."))
            .RequireAuthorization(AccessSetup.WritePolicy);

        imports.MapGet("", async (int? take, int? skip, TeamSkillsDbContext db, CancellationToken ct) =>
            Results.Ok(await History(db, skip ?? 0, take ?? 50).ToListAsync(ct)))
            .RequireAuthorization(AccessSetup.WritePolicy).Produces<List<ImportSummary>>();

        imports.MapGet("/{id:long}/file", async (long id, TeamSkillsDbContext db, CancellationToken ct) =>
        {
            var import = await db.Imports.AsNoTracking().Where(i => i.Id == id)
                .Select(i => new { i.FileName, i.Format, i.File!.Gzip }).FirstOrDefaultAsync(ct);
            if (import is null) return Results.Problem(statusCode: 404, title: "Import not found", detail: $"No import {id}.");
            return Results.File(Core.Imports.ImportFile.Inflate(import.Gzip), ImportUpload.ContentTypeOf(import.Format),
                DownloadName(id, import.FileName));
        }).RequireAuthorization(AccessSetup.WritePolicy);
        return api;
    }

    /// <summary>The import history, newest first, as the API and the Imports page list it.</summary>
    public static IQueryable<ImportSummary> History(TeamSkillsDbContext db, int skip, int take) =>
        db.Imports.AsNoTracking()
            .OrderByDescending(i => i.Id).Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, 500))
            .Select(i => new ImportSummary(i.Id, i.Kind.ToString(), i.Mode, i.DryRun, i.Outcome.ToString(), i.FileName, i.FileSize, i.Format,
                i.ImportedBy, i.ImportedAt, i.Rows, i.Created, i.Updated, i.Deactivated, i.Unchanged, i.ErrorCount));

    public static string DownloadName(long id, string fileName) => $"import-{id}-{ImportSupport.SafeFileName(fileName)}";

    private static async Task<IResult> RunAsync(HttpContext http, string mode, bool dryRun, ImportOptions options,
        Func<ImportRequest, CancellationToken, Task<ImportOutcomeResult>> handler, CancellationToken ct)
    {
        var (request, problem) = await ImportUpload.ReadRequestAsync(http, mode, dryRun, CallerScope.From(http.User).Actor, options, ct);
        if (problem is not null) return Results.Problem(statusCode: problem.StatusCode, title: problem.Title, detail: problem.Detail);
        var outcome = await ImportUpload.RunGatedAsync(c => handler(request!, c), ct);
        if (outcome.StatusCode == 200) return Results.Ok(outcome.Response);

        var r = outcome.Response;
        return Results.Problem(
            statusCode: outcome.StatusCode,
            title: outcome.StatusCode == 422 ? "Import rejected" : "Unsupported file",
            detail: r.Message,
            extensions: new Dictionary<string, object?>
            {
                ["importId"] = r.ImportId, ["applied"] = false, ["dryRun"] = r.DryRun, ["mode"] = r.Mode, ["rows"] = r.Rows,
                ["created"] = 0, ["updated"] = 0, ["deactivated"] = 0, ["unchanged"] = 0, ["errors"] = r.Errors,
            });
    }
}

/// <summary>
/// Marks an import endpoint so the API description shows its upload: one multipart field <c>file</c> (CSV or XLSX).
/// Metadata only (PlatformSetup's operation transformer reads it): <c>Accepts&lt;T&gt;</c> would also make routing refuse
/// other content types with a bare 415 before authorization and before the handler's own, explained answer.
/// </summary>
public sealed class ImportFileForm
{
    public static readonly ImportFileForm Marker = new();
    private ImportFileForm() { }
}
