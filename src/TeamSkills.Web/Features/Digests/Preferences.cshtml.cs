using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Core.Data;
using TeamSkills.Core.Tracking;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Digests;

/// <summary>
/// Weekly, monthly or no digest, chosen from the link in the digest itself: the signed token names the manager, so no
/// sign-in is needed (many managers never sign up). The form keeps antiforgery like every page.
/// </summary>
public sealed class PreferencesModel(DigestLinks links, DigestBuilder builder, TeamSkillsDbContext db, OrgClock clock, AuditLog audit) : PageModel
{
    public string? Manager { get; private set; }
    public string? Token { get; private set; }
    public DigestFrequency Frequency { get; private set; }
    public bool Saved { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? token, bool? saved, CancellationToken ct)
    {
        if (!await LoadAsync(token, ct)) return NotFoundPage();
        Saved = saved == true;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? token, string? frequency, CancellationToken ct)
    {
        if (!await LoadAsync(token, ct)) return NotFoundPage();
        if (!Enum.TryParse<DigestFrequency>(frequency, ignoreCase: true, out var chosen) || !Enum.IsDefined(chosen))
            return BadRequest();
        await DigestEndpoints.SetAsync(db, clock, Manager!, chosen, ct);
        await audit.AddAndSaveAsync(Manager!, "digest.preference", Manager!, "Applied", new { frequency = chosen.ToString().ToLowerInvariant(), via = "digest link" }, ct);
        return RedirectToPage(new { token, saved = true });
    }

    public string Describe(DigestFrequency f) => f switch
    {
        DigestFrequency.Weekly => "weekly (Mondays)",
        DigestFrequency.Monthly => "monthly (the first digest run of each month; none more this month if one already went out)",
        _ => "no digest",
    };

    private async Task<bool> LoadAsync(string? token, CancellationToken ct)
    {
        Manager = links.ManagerOf(token);
        Token = token;
        if (Manager is null) return false;
        Frequency = await builder.FrequencyAsync(Manager, ct);
        return true;
    }

    private IActionResult NotFoundPage()
    {
        var page = Page();
        page.StatusCode = 404;
        return page;
    }
}
