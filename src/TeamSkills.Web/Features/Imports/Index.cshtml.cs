using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Data;
using TeamSkills.Core.Imports;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Imports;

/// <summary>
/// Uploads for Admin and L&amp;D: every file is first imported as a dry run (the preview, on its own page); "Apply"
/// then imports the very file stored with that preview, so nobody uploads twice. Same handlers, limits and gate as
/// the API; cookie-authenticated with antiforgery on every form. Below, the import history.
/// </summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
[ImportsPageAccess]
public sealed class ImportsPageModel(TeamSkillsDbContext db, RosterImport roster, CompletionImport completions,
    IOptions<ImportOptions> options) : PageModel
{
    public const int PageSize = 50;

    public IReadOnlyList<ImportSummary> History { get; private set; } = [];
    public int Skip { get; private set; }
    public bool HasOlder { get; private set; }
    public string? Error { get; private set; }
    public long MaxUploadBytes => options.Value.MaxUploadBytes;

    private string Actor => CallerScope.From(User).Actor;

    public async Task<IActionResult> OnGetAsync(int? skip, string? problem, CancellationToken ct)
    {
        // Only known codes become text: a link cannot put words of its own on this page.
        if (problem == "too-large") Error = ImportUpload.TooLarge(MaxUploadBytes).Detail;
        await LoadHistoryAsync(skip ?? 0, ct);
        return Page();
    }

    /// <summary>A starting file for an import (header and two example rows).</summary>
    public IActionResult OnGetTemplate(string? kind) =>
        ImportTemplates.File(kind) is { } t ? File(t.Content, "text/csv; charset=utf-8", t.FileName) : NotFound();

    /// <summary>Step 1: a dry run of the uploaded file; its result is the preview page.</summary>
    public async Task<IActionResult> OnPostPreviewAsync(string? kind, string? mode, CancellationToken ct)
    {
        var importKind = ParseKind(kind);
        if (importKind is null) return await RefuseAsync(400, "Choose what the file is: a roster or completions.", ct);
        // The completions endpoint is always partial: completions are history, a file never removes any.
        var effectiveMode = importKind == ImportKind.Roster ? mode ?? "full" : "partial";
        var (request, problem) = await ImportUpload.ReadRequestAsync(HttpContext, effectiveMode, dryRun: true, Actor, options.Value, ct);
        if (problem is not null) return await RefuseAsync(problem.StatusCode, problem.Detail, ct);

        var (version, outcome) = await ImportUpload.RunGatedAsync(async c =>
            (await db.DataVersionAsync(c), await HandlerFor(importKind.Value)(request!, c)), ct);
        // Remember what the preview was computed against, so its page can say when the data has moved since.
        await db.Imports.Where(i => i.Id == outcome.Response.ImportId).ExecuteUpdateAsync(s => s.SetProperty(i => i.DataVersion, version), ct);
        return RedirectToPage("/Imports/Detail", new { id = outcome.Response.ImportId });
    }

    /// <summary>Step 2: import the file stored with the caller's own successful preview, for real.</summary>
    public async Task<IActionResult> OnPostApplyAsync(long? previewId, string? kind, string? mode, CancellationToken ct)
    {
        if (previewId is null) return await RefuseAsync(400, "There is no preview to apply: upload the file and preview it first.", ct);
        var preview = await db.Imports.AsNoTracking().Where(i => i.Id == previewId)
            .Select(i => new { i.Kind, i.Mode, i.DryRun, i.Outcome, i.ImportedBy, i.FileName, i.ContentType, i.DataVersion })
            .FirstOrDefaultAsync(ct);
        if (preview is null) return await RefuseAsync(404, $"There is no import {previewId}.", ct);
        if (preview.ImportedBy != Actor)
            return await RefuseAsync(403, $"Preview {previewId} was made by someone else. Preview the file yourself before applying it.", ct);
        if (!preview.DryRun || preview.Outcome != ImportOutcome.DryRun)
            return await RefuseAsync(409, $"Import {previewId} is not a preview that can be applied: only a dry run without errors can.", ct);
        if (ParseKind(kind) != preview.Kind || mode != preview.Mode)
            return await RefuseAsync(409, $"Preview {previewId} was a {KindName(preview.Kind)} import in {preview.Mode} mode, not what this form asked for. Open the preview again.", ct);

        var gzip = await db.Imports.AsNoTracking().Where(i => i.Id == previewId).Select(i => i.File!.Gzip).FirstAsync(ct);
        var content = ImportFile.Inflate(gzip);
        if (content.Length > MaxUploadBytes) return await RefuseAsync(413, ImportUpload.TooLarge(MaxUploadBytes).Detail, ct);

        var request = new ImportRequest(content, preview.FileName, preview.ContentType, preview.Mode, DryRun: false, Actor);
        // The import re-validates against the data as it is now; the version only tells the person that it moved.
        // Checked and marked inside the import gate, so a double submit applies the preview once.
        var (current, outcome) = await ImportUpload.RunGatedAsync(async c =>
        {
            var applied = await db.Imports.Where(i => i.Id == previewId).Select(i => i.AppliedImportId).FirstAsync(c);
            if (applied is not null) return (0L, (ImportOutcomeResult?)null);
            var version = await db.DataVersionAsync(c);
            var result = await HandlerFor(preview.Kind)(request, c);
            if (result.Response.Applied)
                await db.Imports.Where(i => i.Id == previewId)
                    .ExecuteUpdateAsync(s => s.SetProperty(i => i.AppliedImportId, result.Response.ImportId), CancellationToken.None);
            return (version, (ImportOutcomeResult?)result);
        }, ct);
        if (outcome is null)
            return await RefuseAsync(409, $"Preview {previewId} has already been applied. Preview the file again to import it again.", ct);
        return RedirectToPage("/Imports/Detail", new
        {
            id = outcome.Response.ImportId,
            from = previewId,
            moved = preview.DataVersion is not null && preview.DataVersion != current ? true : (bool?)null,
        });
    }

    private static string KindName(ImportKind kind) => kind == ImportKind.Roster ? "roster" : "completions";

    private static ImportKind? ParseKind(string? kind) => kind?.Trim().ToLowerInvariant() switch
    {
        "roster" => ImportKind.Roster,
        "completions" => ImportKind.Completions,
        _ => null,
    };

    private Func<ImportRequest, CancellationToken, Task<ImportOutcomeResult>> HandlerFor(ImportKind kind) =>
        kind == ImportKind.Roster ? roster.ExecuteAsync : completions.ExecuteAsync;

    /// <summary>A refused post shows the form again with why, under the status that says so.</summary>
    private async Task<IActionResult> RefuseAsync(int status, string error, CancellationToken ct)
    {
        Error = error;
        await LoadHistoryAsync(0, ct);
        var page = Page();
        page.StatusCode = status;
        return page;
    }

    private async Task LoadHistoryAsync(int skip, CancellationToken ct)
    {
        Skip = Math.Max(0, skip);
        var rows = await ImportEndpoints.History(db, Skip, PageSize + 1).ToListAsync(ct);
        HasOlder = rows.Count > PageSize;
        History = rows.Take(PageSize).ToList();
    }
}
