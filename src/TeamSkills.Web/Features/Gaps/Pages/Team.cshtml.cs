using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Core.Gaps;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Gaps.Pages;

/// <summary>A team's heat map: engineers × the certifications recommended to anyone in the team, scoped like the API.</summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed class TeamModel(GapQueries queries, ScopeService scopes) : PageModel
{
    public TeamGaps Gaps { get; private set; } = null!;
    public IReadOnlyList<CertRef> Columns { get; private set; } = [];
    public IReadOnlySet<string> SinglePointsOfFailure { get; private set; } = new HashSet<string>();

    public async Task<IActionResult> OnGetAsync(int id, string? asOf, CancellationToken ct)
    {
        var date = AsOf.Parse(asOf, queries.Today) ?? queries.Today;
        var gaps = await queries.TeamGapsAsync(await scopes.ForAsync(User, ct), id, date, ct);
        if (gaps is null) return NotFound();
        Gaps = gaps;
        var all = gaps.Engineers.SelectMany(e => e.Certifications).ToList();
        Columns = all.DistinctBy(c => c.Id).Select(c => new CertRef(c.Id, c.Name)).ToList();
        SinglePointsOfFailure = Columns
            .Where(c => all.Count(x => x.Id == c.Id && GapEngine.IsHeld(x.Status)) < 2)
            .Select(c => c.Id).ToHashSet();
        return Page();
    }

    public string Symbol(CertStatus status) => status switch
    {
        CertStatus.Valid => "✓",
        CertStatus.Expiring => "◷",
        CertStatus.Expired => "✗",
        _ => "○",
    };
}
