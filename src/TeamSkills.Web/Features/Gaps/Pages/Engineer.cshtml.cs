using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Gaps.Pages;

/// <summary>One engineer's certifications with explained dates and their plan, scoped like the API.</summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed class EngineerModel(GapQueries queries, ScopeService scopes, Completions.CompletionWriter writer) : PageModel
{
    /// <summary>Admin and L&amp;D record and remove completions here (the API's rules, through the same writer).</summary>
    public bool CanWrite { get; private set; }
    public IReadOnlyList<CertRef> Catalog { get; private set; } = [];
    public IDictionary<string, string[]> Errors { get; private set; } = new Dictionary<string, string[]>();
    /// <summary>The same reasons as <see cref="Errors"/>, in the form's words ("Expires on", not "expiresOn").</summary>
    public IReadOnlyList<string> Problems { get; private set; } = [];
    public Completions.RecordCompletion? Posted { get; private set; }
    public DateOnly Today => queries.Today;
    public bool IsToday => Detail.AsOf == queries.Today;

    /// <summary>"?asOf=…" for links to the other pages when this one is not today's, so a past date carries through.</summary>
    public string AsOfQuery => IsToday ? "" : "?asOf=" + Detail.AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Recommended certifications held but inside their renewal window, the first to expire first: the plan lists
    /// what is missing, and these are due too (the team page and exports name the first, <see cref="TeamSkills.Reports.ReportText.RenewalsDue"/>).</summary>
    public IReadOnlyList<EngineerCertification> Renewals => TeamSkills.Reports.ReportText.RenewalsDue(Detail.Certifications,
        c => c.Status == TeamSkills.Core.Gaps.CertStatus.Expiring, c => c.ExpiresOn).ToList();

    /// <summary>Recorded but not yet earned on the page's date (a date in the past): listed, counting for nothing then.</summary>
    public bool EarnedLater(CompletionRecord completion) => completion.EarnedOn > Detail.AsOf;

    [TempData]
    public string? Status { get; set; }

    /// <summary>Why the asked as-of date was not used (not a date), shown above the page.</summary>
    public string? AsOfProblem { get; private set; }

    public EngineerDetail Detail { get; private set; } = null!;

    /// <summary>Whether the caller may open the engineer's team page (an Engineer sees only their own record).</summary>
    public bool CanOpenTeam { get; private set; }

    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);

    /// <summary>The plan's prerequisites by name (catalog names, also for certifications the role does not recommend).</summary>
    public string NameOf(string certificationId) => _names.TryGetValue(certificationId, out var name) ? name : certificationId;

    /// <summary>Held on the page's date (earned by then, not yet expired).</summary>
    public bool Holds(string certificationId) =>
        Detail.History.Any(h => h.CertificationId == certificationId && h.EarnedOn <= Detail.AsOf && h.ExpiresOn > Detail.AsOf);

    public Task<IActionResult> OnGetAsync(string employeeId, string? asOf, CancellationToken ct) => LoadAsync(employeeId, asOf, ct);

    public async Task<IActionResult> OnPostRecordAsync(string employeeId, string? certification, string? earnedOn, string? expiresOn, CancellationToken ct)
    {
        var scope = await scopes.ForAsync(User, ct);
        if (!scope.CanWrite) return Forbid();
        Posted = new Completions.RecordCompletion(employeeId, certification, earnedOn, expiresOn);
        var change = await writer.RecordAsync(scope, Posted, ct);
        if (change.Status == 422)
        {
            (Errors, Problems) = (change.Errors!, change.Problems!);
            var page = await LoadAsync(employeeId, null, ct);
            if (page is PageResult) Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return page;
        }
        var name = await queries.CertificationNameAsync(certification ?? "", ct);
        Status = change.Status == 201 ? $"Recorded {name}, earned {earnedOn}." : $"{name}, earned {earnedOn}, was already recorded; its expiry is as given now.";
        return RedirectToPage(new { employeeId });
    }

    public async Task<IActionResult> OnPostRemoveAsync(string employeeId, long id, CancellationToken ct)
    {
        var scope = await scopes.ForAsync(User, ct);
        if (!scope.CanWrite) return Forbid();
        // Only a completion of this engineer, shown on this page, is removed from it.
        var detail = await queries.EngineerAsync(scope, employeeId, queries.Today, ct);
        var record = detail?.History.FirstOrDefault(h => h.Id == id);
        if (record is null || (await writer.RemoveAsync(scope, id, ct)).Status != 204) return NotFound();
        Status = $"Removed {record.CertificationName}, earned {record.EarnedOn:yyyy-MM-dd}.";
        return RedirectToPage(new { employeeId });
    }

    private async Task<IActionResult> LoadAsync(string employeeId, string? asOf, CancellationToken ct)
    {
        AsOfProblem = AsOf.PageProblem(asOf, queries.Today);
        var date = AsOf.Parse(asOf, queries.Today) ?? queries.Today;
        var scope = await scopes.ForAsync(User, ct);
        CanWrite = scope.CanWrite;
        if (CanWrite) Catalog = await queries.CertificationsAsync(ct);
        var detail = await queries.EngineerAsync(scope, employeeId, date, ct);
        if (detail is null) return NotFound();
        Detail = detail;
        CanOpenTeam = scope.CanSeeTeam(detail.Team.Id);
        foreach (var pre in detail.Plan.Select(p => p.PrerequisiteId).OfType<string>().Distinct())
            _names[pre] = await queries.CertificationNameAsync(pre, ct);
        return Page();
    }
}
