using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Gaps;

namespace TeamSkills.Web.Features.Home;

[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed class IndexModel(GapQueries queries, ScopeService scopes) : PageModel
{
    public IReadOnlyList<TeamSummary> Teams { get; private set; } = [];
    public DateOnly AsOf { get; private set; }
    public double Coverage { get; private set; }

    public async Task OnGetAsync(string? asOf, CancellationToken ct)
    {
        AsOf = Gaps.AsOf.Parse(asOf, queries.Today) ?? queries.Today;
        Teams = await queries.TeamsAsync(await scopes.ForAsync(User, ct), AsOf, ct);
        Coverage = Core.Gaps.TeamTally.CoverageOf(Teams.Sum(t => t.HeldCount), Teams.Sum(t => t.RecommendedCount));
    }
}
