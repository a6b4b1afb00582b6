using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Gaps.Pages;

/// <summary>Find an engineer by employee id, name or email among the active engineers the caller may see.</summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed class SearchModel(GapQueries queries, ScopeService scopes) : PageModel
{
    public const int Shown = 50;

    public string Query { get; private set; } = "";
    public IReadOnlyList<EngineerHit> Hits { get; private set; } = [];
    public int Total { get; private set; }

    public async Task OnGetAsync(string? q, CancellationToken ct)
    {
        Query = (q ?? "").Trim();
        if (Query.Length == 0) return;
        if (Query.Length > 100) Query = Query[..100];
        var found = await queries.FindEngineersAsync(await scopes.ForAsync(User, ct), Query, ct);
        Total = found.Count;
        Hits = found.Take(Shown).ToList();
    }
}
