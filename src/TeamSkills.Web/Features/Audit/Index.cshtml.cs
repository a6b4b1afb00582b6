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
    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];
    public string? Action { get; private set; }
    public string? Actor { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? action, string? actor, CancellationToken ct)
    {
        if (!User.IsInRole(AppRoles.Admin) && !User.IsInRole(AppRoles.LearningAdmin)) return Forbid();
        (Action, Actor) = (action, actor);
        Entries = await AuditEndpoints.Filter(db.AuditEntries.AsNoTracking(), action, actor).OrderByDescending(e => e.Id).Take(200).ToListAsync(ct);
        return Page();
    }
}
