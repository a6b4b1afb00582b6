using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Live;

/// <summary>
/// Which groups each live connection belongs to. Groups are decided here, server-side, from the caller's scope:
/// <c>org</c> for whoever sees the whole org, <c>team:{id}</c> for each team a manager may see, and
/// <c>user:{name}</c> for messages meant for one person (import progress). After a change that can move scope
/// (a roster import), <see cref="RescopeAsync"/> recomputes every manager's groups.
/// </summary>
public sealed class LiveConnections(IServiceScopeFactory services, IHubContext<GapHub> hub, ILogger<LiveConnections> log)
{
    public const string OrgGroup = "org";
    public static string TeamGroup(int teamId) => $"team:{teamId}";
    public static string UserGroup(string name) => $"user:{name}";

    private sealed record Membership(ClaimsPrincipal User, HashSet<string> Groups);

    private readonly ConcurrentDictionary<string, Membership> _connections = new();
    private long _generation;

    public int Count => _connections.Count;

    public async Task AddAsync(string connectionId, ClaimsPrincipal user, CancellationToken ct)
    {
        var generation = Volatile.Read(ref _generation);
        var groups = await GroupsForAsync(user, ct);
        foreach (var g in groups) await hub.Groups.AddToGroupAsync(connectionId, g, ct);
        _connections[connectionId] = new Membership(user, groups);
        // A rescope that ran while this connection was joining did not see it: catch up now.
        if (Volatile.Read(ref _generation) != generation) await RescopeOneAsync(connectionId, ct);
    }

    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    public async Task RescopeAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _generation);
        foreach (var id in _connections.Keys) await RescopeOneAsync(id, ct);
    }

    private async Task RescopeOneAsync(string id, CancellationToken ct)
    {
        if (!_connections.TryGetValue(id, out var membership)) return;
        if (membership.Groups.Contains(OrgGroup)) return; // org-wide callers see every team whatever changes
        var wanted = await GroupsForAsync(membership.User, ct);
        if (wanted.SetEquals(membership.Groups)) return;
        foreach (var g in wanted.Except(membership.Groups)) await hub.Groups.AddToGroupAsync(id, g, ct);
        foreach (var g in membership.Groups.Except(wanted)) await hub.Groups.RemoveFromGroupAsync(id, g, ct);
        log.LogInformation("Live connection of {User} rescoped: {Before} → {After} groups", membership.User.Identity?.Name,
            membership.Groups.Count, wanted.Count);
        _connections.TryUpdate(id, membership with { Groups = wanted }, membership);
    }

    private async Task<HashSet<string>> GroupsForAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var callerScope = await scope.ServiceProvider.GetRequiredService<ScopeService>().ForAsync(user, ct);
        var groups = new HashSet<string>(StringComparer.Ordinal);
        if (callerScope.AllTeams) groups.Add(OrgGroup);
        else foreach (var t in callerScope.TeamIds) groups.Add(TeamGroup(t));
        if (user.Identity?.Name is { Length: > 0 } name) groups.Add(UserGroup(name));
        return groups;
    }
}
