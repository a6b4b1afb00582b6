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

    /// <summary>The date the search was asked from (the overview on a past or future day), kept for the result links;
    /// null for today. The search itself is over today's roster.</summary>
    public DateOnly? AsOf { get; private set; }
    public string AsOfQuery => AsOf is { } day ? "?asOf=" + day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "";

    public async Task OnGetAsync(string? q, string? asOf, CancellationToken ct)
    {
        AsOf = Gaps.AsOf.Parse(asOf, queries.Today) is { } day && day != queries.Today ? day : null;
        Query = (q ?? "").Trim();
        if (Query.Length == 0) return;
        if (Query.Length > 100) Query = Query[..100];
        var found = await queries.FindEngineersAsync(await scopes.ForAsync(User, ct), Query, ct);
        Total = found.Count;
        Hits = found.Take(Shown).ToList();
    }
}
