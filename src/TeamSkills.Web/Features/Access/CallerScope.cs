using System.Security.Claims;

namespace TeamSkills.Web.Features.Access;

/// <summary>
/// What a caller may see. Every read path asks this one place; out of scope answers 404, so existence is not
/// leaked. Today the only principals are the bootstrap admin and pages signed in with its key (org-wide);
/// per-user team scopes plug in here.
/// </summary>
public sealed record CallerScope(string Actor, bool AllTeams, IReadOnlySet<int> TeamIds, bool CanWrite)
{
    public bool CanSeeTeam(int teamId) => AllTeams || TeamIds.Contains(teamId);

    public static CallerScope From(ClaimsPrincipal user)
    {
        var actor = user.Identity?.Name ?? "anonymous";
        var admin = user.IsInRole(AppRoles.Admin) || user.IsInRole(AppRoles.LearningAdmin);
        return new CallerScope(actor, admin, new HashSet<int>(), admin);
    }
}
