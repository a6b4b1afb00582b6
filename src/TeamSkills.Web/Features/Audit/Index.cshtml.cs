using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Audit;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Audit;

/// <summary>The audit trail for Admin and L&amp;D, newest first (read-only: entries are append-only).</summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed class AuditPageModel(TeamSkillsDbContext db) : PageModel
{
    public const int PageSize = 200;

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];
    public string? Action { get; private set; }
    public string? Actor { get; private set; }
    public string? From { get; private set; }
    public string? To { get; private set; }
    /// <summary>Why a date filter was not used, or null.</summary>
    public string? Problem { get; private set; }
    /// <summary>The id to continue below for older entries, or null when these are the oldest that match.</summary>
    public long? Older { get; private set; }
    public bool Paged { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? action, string? actor, string? from, string? to, long? before, CancellationToken ct)
    {
        if (!User.IsInRole(AppRoles.Admin) && !User.IsInRole(AppRoles.LearningAdmin)) return Forbid();
        (Action, Actor, From, To, Paged) = (action, actor, from, to, before is not null);
        // A date that does not parse is not applied, and the page says so (the API answers 400 instead).
        var problems = new List<string>();
        DateOnly? Day(string? text, string label)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            var day = Gaps.AsOf.Parse(text, default);
            if (day is null) problems.Add($"{label} '{(text.Length > 40 ? text[..37] + "..." : text)}' is not a date (use YYYY-MM-DD)");
            return day;
        }
        var start = Day(from, "From");
        var end = Day(to, "To");
        if (problems.Count > 0) Problem = string.Join("; ", problems) + ": not applied.";
        else if (AuditEndpoints.Reversed(start, end) is { } reversed) Problem = char.ToUpperInvariant(reversed[0]) + reversed[1..] + ".";
        var query = AuditEndpoints.Filter(db.AuditEntries.AsNoTracking(), action, actor, start, end);
        if (before is { } b) query = query.Where(e => e.Id < b);
        var rows = await query.OrderByDescending(e => e.Id).Take(PageSize + 1).ToListAsync(ct);
        if (rows.Count > PageSize)
        {
            rows.RemoveAt(PageSize);
            Older = rows[^1].Id;
        }
        Entries = rows;
        return Page();
    }

    /// <summary>This page's filters with another starting point.</summary>
    public string Link(long? before) => "/audit" + QueryString.Create(new (string Name, string? Value)[]
        {
            ("action", Action), ("actor", Actor), ("from", From), ("to", To),
            ("before", before?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        }.Where(p => !string.IsNullOrWhiteSpace(p.Value)).Select(p => new KeyValuePair<string, string?>(p.Name, p.Value)));
}
