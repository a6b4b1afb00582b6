using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Live;

/// <summary>
/// Which groups each live connection belongs to. Groups are decided here, server-side, from the caller's scope:
/// <c>org</c> for whoever sees the whole org, <c>team:{id}</c> for each team a manager may see, and
/// <c>user:{name}</c> for messages meant for one person (import progress). After a roster import (the only change
/// that moves scope) <see cref="RescopeAsync"/> recomputes every manager's groups; when a user is deleted or loses a
/// key, <see cref="DisconnectUser"/> closes their live connections, as the API refuses them on the next request.
/// </summary>
public sealed class LiveConnections(IServiceScopeFactory services, IHubContext<GapHub> hub, ILogger<LiveConnections> log)
{
    public const string OrgGroup = "org";
    public static string TeamGroup(int teamId) => $"team:{teamId}";
    public static string UserGroup(string name) => $"user:{name}";

    private sealed record Membership(HubCallerContext Context, HashSet<string> Groups)
    {
        public ClaimsPrincipal User => Context.User!;
    }

    private readonly ConcurrentDictionary<string, Membership> _connections = new();
    // Rescopes of one connection must not interleave (the publisher's and a joining connection's catch-up).
    private readonly SemaphoreSlim _rescope = new(1, 1);
    private long _generation;

    public int Count => _connections.Count;

    public async Task AddAsync(HubCallerContext context, CancellationToken ct)
    {
        var generation = Volatile.Read(ref _generation);
        var groups = await GroupsForAsync(context.User!, ct);
        foreach (var g in groups) await hub.Groups.AddToGroupAsync(context.ConnectionId, g, ct);
        _connections[context.ConnectionId] = new Membership(context, groups);
        // A rescope that ran while this connection was joining did not see it: catch up now.
        if (Volatile.Read(ref _generation) != generation) await RescopeOneAsync(context.ConnectionId, ct);
    }

    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    /// <summary>This instance's own connections in any of the groups (for delivery while the backplane is down).</summary>
    public List<string> LocalIn(params string[] groups) =>
        _connections.Where(c => c.Value.Groups.Overlaps(groups)).Select(c => c.Key).ToList();

    /// <summary>
    /// Raised after this instance rescoped or disconnected a user because of a change made here, so other instances
    /// sharing the database do the same to their own connections (<see cref="RedisLiveControl"/>).
    /// </summary>
    public event Action<LiveControlMessage>? Changed;

    /// <summary>Recomputes every scoped connection's groups; true when any connection gained or lost a team.</summary>
    public async Task<bool> RescopeAsync(CancellationToken ct)
    {
        var changed = await RescopeHereAsync(ct);
        Changed?.Invoke(LiveControlMessage.Rescope());
        return changed;
    }

    /// <summary>The same, for this instance's connections only (a change another instance made).</summary>
    internal async Task<bool> RescopeHereAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _generation);
        var changed = false;
        foreach (var id in _connections.Keys) changed |= await RescopeOneAsync(id, ct);
        return changed;
    }

    public int DisconnectUser(string name)
    {
        var closed = DisconnectHere(name);
        Changed?.Invoke(LiveControlMessage.Disconnect(name));
        return closed;
    }

    internal int DisconnectHere(string name)
    {
        var closed = 0;
        foreach (var (_, membership) in _connections)
        {
            if (!string.Equals(membership.User.Identity?.Name, name, StringComparison.OrdinalIgnoreCase)) continue;
            membership.Context.Abort();
            closed++;
        }
        if (closed > 0) log.LogInformation("Closed {Count} live connection(s) of {User}", closed, name);
        return closed;
    }

    private async Task<bool> RescopeOneAsync(string id, CancellationToken ct)
    {
        await _rescope.WaitAsync(ct);
        try
        {
            if (!_connections.TryGetValue(id, out var membership)) return false;
            if (membership.Groups.Contains(OrgGroup)) return false; // org-wide callers see every team whatever changes
            var wanted = await GroupsForAsync(membership.User, ct);
            if (wanted.SetEquals(membership.Groups)) return false;
            foreach (var g in wanted.Except(membership.Groups)) await hub.Groups.AddToGroupAsync(id, g, ct);
            foreach (var g in membership.Groups.Except(wanted)) await hub.Groups.RemoveFromGroupAsync(id, g, ct);
            log.LogInformation("Live connection of {User} rescoped: {Before} → {After} groups", membership.User.Identity?.Name,
                membership.Groups.Count, wanted.Count);
            _connections[id] = membership with { Groups = wanted };
            // A team gained is pushed next, but a team lost is never mentioned again: tell the page, which refetches.
            await hub.Clients.Client(id).SendAsync(GapHub.ScopeChangedMessage, ct);
            return true;
        }
        finally
        {
            _rescope.Release();
        }
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
