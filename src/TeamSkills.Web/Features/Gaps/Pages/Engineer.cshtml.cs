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

    public string NameOf(string certificationId) =>
        Detail.Certifications.FirstOrDefault(c => c.Id == certificationId)?.Name
        ?? Detail.Plan.FirstOrDefault(p => p.Id == certificationId)?.Name ?? certificationId;

    public async Task<IActionResult> OnGetAsync(string employeeId, string? asOf, CancellationToken ct)
    {
        AsOfProblem = AsOf.PageProblem(asOf, queries.Today);
        var date = AsOf.Parse(asOf, queries.Today) ?? queries.Today;
        var detail = await queries.EngineerAsync(await scopes.ForAsync(User, ct), employeeId, date, ct);
        if (detail is null) return NotFound();
        Detail = detail;
        return Page();
    }
}
