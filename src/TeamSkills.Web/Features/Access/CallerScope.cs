using System.Security.Claims;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Gaps;

namespace TeamSkills.Web.Features.Access;

/// <summary>
/// What a caller may see. Every read path asks <see cref="ScopeService"/>; out of scope answers 404, so existence
/// is not leaked. Admin and LearningAdmin see the org; a Manager sees the teams they manage and the teams of every
/// manager below them in the roster's manager_email chain; an Engineer sees only themself.
/// </summary>
public sealed record CallerScope(string Actor, bool AllTeams, IReadOnlySet<int> TeamIds, bool CanWrite, string? SelfEmail = null)
{
    public bool CanSeeTeam(int teamId) => AllTeams || TeamIds.Contains(teamId);

    /// <summary>An Engineer (and no more): no team in scope, only their own record, whatever the roster says.</summary>
    public bool OwnRecordOnly { get; init; }

    /// <summary>An engineer record in a team in scope, or the caller's own: the active record with their email (an
    /// email can pass from a former employee's deactivated record to a new hire, who must not see the old one).</summary>
    public bool CanSeeEngineer(int teamId, string email, bool active) =>
        CanSeeTeam(teamId) || (active && SelfEmail is not null && string.Equals(email, SelfEmail, StringComparison.OrdinalIgnoreCase));

    /// <summary>The org-wide part only (who acts, may they write); team scope needs <see cref="ScopeService"/>.</summary>
    public static CallerScope From(ClaimsPrincipal user)
    {
        var actor = user.Identity?.Name ?? "anonymous";
        var admin = user.IsInRole(AppRoles.Admin) || user.IsInRole(AppRoles.LearningAdmin);
        return new CallerScope(actor, admin, new HashSet<int>(), admin);
    }
}

/// <summary>
/// Computes a caller's scope from the roster as it is now (the in-memory gap index, reloaded whenever data
/// changes), so when an import moves a team to another manager, scope follows on the next request.
/// </summary>
public sealed class ScopeService(TeamSkillsDbContext db, GapIndex index)
{
    public async Task<CallerScope> ForAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var scope = CallerScope.From(user);
        if (scope.AllTeams) return scope;
        var email = user.FindFirstValue(ClaimTypes.Email);
        if (string.IsNullOrEmpty(email)) return scope;
        if (user.IsInRole(AppRoles.Engineer) && !user.IsInRole(AppRoles.Manager)) return scope with { SelfEmail = email, OwnRecordOnly = true };
        if (!user.IsInRole(AppRoles.Manager)) return scope;

        var snapshot = await index.GetAsync(db, ct);
        // Everyone below the manager: walk the manager_email chain down from their email.
        var reportsOf = snapshot.Engineers.Where(e => e.ManagerEmail is not null)
            .ToLookup(e => e.ManagerEmail!, e => e.Email, StringComparer.OrdinalIgnoreCase);
        var below = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { email };
        var queue = new Queue<string>([email]);
        while (queue.TryDequeue(out var current))
        {
            foreach (var report in reportsOf[current])
            {
                if (below.Add(report)) queue.Enqueue(report);
            }
        }
        var teams = snapshot.Teams.Where(t => t.ManagerEmail is not null && below.Contains(t.ManagerEmail)).Select(t => t.Id).ToHashSet();
        return scope with { TeamIds = teams, SelfEmail = email };
    }
}
