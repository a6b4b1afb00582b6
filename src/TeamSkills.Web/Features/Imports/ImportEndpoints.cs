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
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static WebApplicationBuilder AddImports(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<RosterImport>();
        builder.Services.AddScoped<CompletionImport>();
        builder.Services.TryAddSingleton<IImportProgress, NoImportProgress>();
        return builder;
    }

    public static RouteGroupBuilder MapImports(this RouteGroupBuilder api)
    {
        var imports = api.MapGroup("/imports").WithTags("Imports");
        imports.MapPost("/roster", (HttpContext http, string? mode, bool? dryRun, RosterImport handler, IOptions<ImportOptions> options, CancellationToken ct) =>
            RunAsync(http, mode ?? "full", dryRun ?? false, options.Value, handler.ExecuteAsync, ct))
            .RequireAuthorization(AccessSetup.WritePolicy).DisableAntiforgery();
        imports.MapPost("/completions", (HttpContext http, bool? dryRun, CompletionImport handler, IOptions<ImportOptions> options, CancellationToken ct) =>
            RunAsync(http, "partial", dryRun ?? false, options.Value, handler.ExecuteAsync, ct))
            .RequireAuthorization(AccessSetup.WritePolicy).DisableAntiforgery();

        imports.MapGet("", async (int? take, int? skip, TeamSkillsDbContext db, CancellationToken ct) =>
        {
            var list = await db.Imports.AsNoTracking()
                .OrderByDescending(i => i.Id).Skip(Math.Max(0, skip ?? 0)).Take(Math.Clamp(take ?? 50, 1, 500))
                .Select(i => new ImportSummary(i.Id, i.Kind.ToString(), i.Mode, i.DryRun, i.Outcome.ToString(), i.FileName, i.FileSize, i.Format,
                    i.ImportedBy, i.ImportedAt, i.Rows, i.Created, i.Updated, i.Deactivated, i.Unchanged, i.ErrorCount))
                .ToListAsync(ct);
            return Results.Ok(list);
        }).RequireAuthorization(AccessSetup.WritePolicy);

        imports.MapGet("/{id:long}/file", async (long id, TeamSkillsDbContext db, CancellationToken ct) =>
        {
            var import = await db.Imports.AsNoTracking().Where(i => i.Id == id)
                .Select(i => new { i.FileName, i.Format, i.File!.Gzip }).FirstOrDefaultAsync(ct);
            if (import is null) return Results.Problem(statusCode: 404, title: "Import not found", detail: $"No import {id}.");
            var contentType = import.Format == "xlsx"
                ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                : import.Format == "csv" ? "text/csv" : "application/octet-stream";
            return Results.File(Core.Imports.ImportFile.Inflate(import.Gzip), contentType, $"import-{id}-{import.FileName}");
        }).RequireAuthorization(AccessSetup.WritePolicy);
        return api;
    }

    private static async Task<IResult> RunAsync(HttpContext http, string mode, bool dryRun, ImportOptions options,
        Func<ImportRequest, CancellationToken, Task<ImportOutcomeResult>> handler, CancellationToken ct)
    {
        mode = mode.Trim().ToLowerInvariant();
        if (mode is not ("full" or "partial"))
            return Results.Problem(statusCode: 400, title: "Invalid mode", detail: $"mode '{mode}' is not one of: full, partial.");

        var limit = options.MaxUploadBytes;
        if (http.Request.ContentLength > limit + 64 * 1024)
            return TooLarge(limit);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limit + 64 * 1024;
        if (!http.Request.HasFormContentType)
            return Results.Problem(statusCode: 415, title: "Unsupported upload",
                detail: "Send the file as multipart/form-data in the field 'file'.");

        IFormFile? file;
        try
        {
            var form = await http.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = limit, ValueLengthLimit = 64 * 1024 }, ct);
            file = form.Files.GetFile("file");
        }
        catch (InvalidDataException)
        {
            return TooLarge(limit);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(limit);
        }
        if (file is null)
            return Results.Problem(statusCode: 400, title: "No file", detail: "The multipart field 'file' is missing.");
        if (file.Length > limit)
            return TooLarge(limit);

        var buffer = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(buffer, ct);
        }
        var request = new ImportRequest(buffer, file.FileName, file.ContentType ?? "", mode, dryRun, CallerScope.From(http.User).Actor);
        // One import at a time per instance: each diffs against the data the previous one left.
        ImportOutcomeResult outcome;
        await Gate.WaitAsync(ct);
        try
        {
            outcome = await handler(request, ct);
        }
        finally
        {
            Gate.Release();
        }
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

    private static IResult TooLarge(long limit) => Results.Problem(statusCode: 413, title: "File too large",
        detail: $"Uploads are limited to {limit / (1024.0 * 1024):0.#} MB (TeamSkills:Imports:MaxUploadBytes). Nothing was imported.");
}
