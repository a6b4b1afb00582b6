using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Data;
using TeamSkills.Core.Imports;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Imports;

/// <summary>
/// One import: a preview (dry run) with its Apply button for the person who made it, or the result of an applied,
/// unchanged or rejected import with its row errors. Also serves the original file.
/// </summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
[ImportsPageAccess]
public sealed class ImportDetailPageModel(TeamSkillsDbContext db) : PageModel
{
    public ImportSummary Import { get; private set; } = null!;
    public IReadOnlyList<ImportError> Errors { get; private set; } = [];
    /// <summary>Who the import creates, updates and deactivates (roster imports; the first of each).</summary>
    public ImportChanges Changes { get; private set; } = ImportChanges.None;
    /// <summary>A preview the caller made, without errors, that would change something.</summary>
    public bool CanApply { get; private set; }
    /// <summary>Something was written since the preview: applying re-validates, and the numbers may differ.</summary>
    public bool DataMovedSincePreview { get; private set; }
    public long? AppliedFrom { get; private set; }
    public bool DataMovedBeforeApply { get; private set; }

    public bool IsPreview => Import.Outcome == nameof(ImportOutcome.DryRun);
    public bool IsRoster => Import.Kind == nameof(ImportKind.Roster);

    /// <summary>A full-mode roster that deactivates more engineers than it keeps: the page warns, and Apply asks first.</summary>
    public bool MostlyDeactivates => IsRoster && MostlyDeactivatesNote is not null;
    public string? MostlyDeactivatesNote => RosterImport.MostlyDeactivates(Import.Mode, Import.Deactivated, Import.Updated + Import.Unchanged, IsPreview);

    public long? AppliedAs { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, long? from, bool? moved, CancellationToken ct)
    {
        var import = await db.Imports.AsNoTracking().Where(i => i.Id == id)
            .Select(i => new { Summary = new ImportSummary(i.Id, i.Kind.ToString(), i.Mode, i.DryRun, i.Outcome.ToString(), i.FileName,
                i.FileSize, i.Format, i.ImportedBy, i.ImportedAt, i.Rows, i.Created, i.Updated, i.Deactivated, i.Unchanged, i.ErrorCount), i.ErrorsJson, i.ChangesJson,
                i.DataVersion, i.AppliedImportId })
            .FirstOrDefaultAsync(ct);
        if (import is null) return NotFound();
        Import = import.Summary;
        Errors = JsonSerializer.Deserialize<List<ImportError>>(import.ErrorsJson, JsonSerializerOptions.Web) ?? [];
        Changes = ImportChanges.FromJson(import.ChangesJson);

        var current = await db.DataVersionAsync(ct);
        DataMovedSincePreview = IsPreview && import.DataVersion is not null && import.DataVersion != current;
        AppliedAs = import.AppliedImportId;
        CanApply = IsPreview && AppliedAs is null && Import.ImportedBy == CallerScope.From(User).Actor
            && Import.Created + Import.Updated + Import.Deactivated > 0;
        AppliedFrom = from;
        DataMovedBeforeApply = moved == true;
        return Page();
    }

    /// <summary>The original upload, byte for byte.</summary>
    public async Task<IActionResult> OnGetFileAsync(long id, CancellationToken ct)
    {
        var import = await db.Imports.AsNoTracking().Where(i => i.Id == id)
            .Select(i => new { i.FileName, i.Format, i.File!.Gzip }).FirstOrDefaultAsync(ct);
        if (import is null) return NotFound();
        return File(ImportFile.Inflate(import.Gzip), ImportUpload.ContentTypeOf(import.Format), ImportEndpoints.DownloadName(id, import.FileName));
    }

    public string Message => Import.Outcome switch
    {
        nameof(ImportOutcome.DryRun) when AppliedAs is not null => IsRoster
            ? $"Preview, since applied as import #{AppliedAs}. When previewed it would have created {Import.Created}, updated {Import.Updated} and deactivated {Import.Deactivated} engineers; {Import.Unchanged} unchanged."
            : $"Preview, since applied as import #{AppliedAs}. When previewed it would have added {Import.Created} {(Import.Created == 1 ? "completion" : "completions")} and updated {Import.Updated}; {Import.Unchanged} already recorded.",
        nameof(ImportOutcome.DryRun) when Import.Created + Import.Updated + Import.Deactivated == 0 =>
            "Preview: this file changes nothing; the data already matches it.",
        nameof(ImportOutcome.DryRun) => IsRoster
            ? $"Preview: nothing has been applied yet. Applying would create {Import.Created}, update {Import.Updated} and deactivate {Import.Deactivated} engineers; {Import.Unchanged} unchanged."
            : $"Preview: nothing has been applied yet. Applying would add {Import.Created} {(Import.Created == 1 ? "completion" : "completions")} and update {Import.Updated}; {Import.Unchanged} already recorded.",
        nameof(ImportOutcome.Applied) => IsRoster
            ? $"Applied: {Import.Created} created, {Import.Updated} updated, {Import.Deactivated} deactivated; {Import.Unchanged} unchanged."
            : $"Applied: {Import.Created} {(Import.Created == 1 ? "completion" : "completions")} added, {Import.Updated} updated; {Import.Unchanged} already recorded.",
        nameof(ImportOutcome.Unchanged) => "No changes: the data already matched this file.",
        _ => Errors is [var only] ? $"Refused, nothing was applied: {only.Message}" : ImportSupport.RejectedMessage(Import.ErrorCount),
    };

    /// <summary>Roster imports: "Would create 2 teams: Data Platform, ML Infra." Null when it creates none.</summary>
    public string? NewTeamsLine => Changes.Additions is { TeamCount: > 0 } a
        ? $"{(Import.DryRun ? "Would create" : "Created")} {a.TeamCount} {(a.TeamCount == 1 ? "team" : "teams")}: {Listing(a.Teams, a.TeamCount)}"
        : null;

    /// <summary>Roster imports: "3 titles map to no role: …" (titles no engineer held before). Null when there are none.</summary>
    public string? NewUnmappedTitlesLine => Changes.Additions is { UnmappedTitleCount: > 0 } a
        ? $"{a.UnmappedTitleCount} {(a.UnmappedTitleCount == 1 ? "title maps" : "titles map")} to no role: {Listing(a.UnmappedTitles, a.UnmappedTitleCount)}"
        : null;

    private static string Listing(IReadOnlyList<string> names, int count) =>
        string.Join(", ", names) + (count > names.Count ? $" and {count - names.Count} more" : "") + ".";

    public string Size => Platform.Sizes.Human(Import.FileSize);

    public string KindLabel => IsRoster ? $"Roster ({Import.Mode})" : "Completions";
}
