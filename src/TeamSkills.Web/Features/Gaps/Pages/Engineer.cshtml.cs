using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Gaps.Pages;

/// <summary>One engineer's certifications with explained dates and their plan, scoped like the API.</summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed class EngineerModel(GapQueries queries, ScopeService scopes) : PageModel
{
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

    public async Task<IActionResult> OnGetAsync(string employeeId, string? asOf, CancellationToken ct)
    {
        AsOfProblem = AsOf.PageProblem(asOf, queries.Today);
        var date = AsOf.Parse(asOf, queries.Today) ?? queries.Today;
        var scope = await scopes.ForAsync(User, ct);
        var detail = await queries.EngineerAsync(scope, employeeId, date, ct);
        if (detail is null) return NotFound();
        Detail = detail;
        CanOpenTeam = scope.CanSeeTeam(detail.Team.Id);
        foreach (var pre in detail.Plan.Select(p => p.PrerequisiteId).OfType<string>().Distinct())
            _names[pre] = await queries.CertificationNameAsync(pre, ct);
        return Page();
    }
}
