using Microsoft.AspNetCore.SignalR;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Gaps;
using TeamSkills.Web.Features.Imports;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Live;

/// <summary>
/// Turns committed changes into pushes: drains whatever changes queued up (a burst becomes one pass), brings the gap
/// index up to date, rescopes live connections after a roster import, recomputes the affected teams' summaries for
/// today and sends them to each team's group and to the org group.
/// </summary>
public sealed class LivePublisher(
    GapChanges changes, IServiceScopeFactory services, GapIndex index, IHubContext<GapHub> hub, LiveConnections connections,
    OrgClock clock, ILogger<LivePublisher> log) : BackgroundService
{
    private long _processed;

    /// <summary>True when every published change has been pushed (or failed): tests wait for it before listening.</summary>
    public bool IsIdle => Interlocked.Read(ref _processed) == changes.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = changes.Reader;
        var batch = new List<DataChange>();
        while (await WaitAsync(reader, stoppingToken))
        {
            batch.Clear();
            while (reader.TryRead(out var change)) batch.Add(change);
            try
            {
                await PublishAsync(batch, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // A failed push must not stop later ones; dashboards resync on their next change or reconnect.
                log.LogError(ex, "Live update for {Count} change(s) failed", batch.Count);
            }
            Interlocked.Add(ref _processed, batch.Count);
        }
    }

    private static async Task<bool> WaitAsync(System.Threading.Channels.ChannelReader<DataChange> reader, CancellationToken stoppingToken)
    {
        try
        {
            return await reader.WaitToReadAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false; // shutting down
        }
    }

    internal async Task PublishAsync(IReadOnlyList<DataChange> batch, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TeamSkillsDbContext>();
        var snapshot = await index.GetAsync(db, ct);
        var everything = batch.Any(c => c.EngineerIds is null);
        // Scope first: a team that moved to another manager is pushed to its new audience only.
        if (batch.Any(c => c.Kind == DataChange.RosterImport)) await connections.RescopeAsync(ct);
        var teamIds = everything
            ? snapshot.Teams.Select(t => t.Id).ToHashSet()
            : batch.SelectMany(c => c.EngineerIds!).Select(snapshot.TeamOf).OfType<int>().ToHashSet();
        var today = clock.Today;
        var sent = 0;
        var backplaneDown = false;
        foreach (var team in snapshot.Teams)
        {
            if (!teamIds.Contains(team.Id)) continue;
            // Every affected team is sent, changed numbers or not: an open team page refetches itself on it (names, next
            // steps, expiry dates), and a connection that just gained the team learns its numbers.
            var summary = GapSummaryUpdated.From(TeamSummary.From(team, snapshot.Tally(team.Id, today)), today);
            try
            {
                await hub.Clients.Groups(LiveConnections.TeamGroup(team.Id), LiveConnections.OrgGroup)
                    .SendAsync(GapHub.SummaryMessage, summary, ct);
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException)
            {
                // The Redis backplane is unreachable: other instances' clients wait for it to return (and catch up
                // then), but this instance's own clients are written to directly, which needs no Redis.
                backplaneDown = true;
                foreach (var id in connections.LocalIn(LiveConnections.TeamGroup(team.Id), LiveConnections.OrgGroup))
                    await hub.Clients.Client(id).SendAsync(GapHub.SummaryMessage, summary, ct);
            }
            sent++;
        }
        if (backplaneDown) log.LogWarning("Live: Redis is unreachable; {Sent} team summaries went to this instance's own clients only", sent);
        log.LogDebug("Live: {Changes} change(s) → {Sent} team summaries pushed (data v{Version})", batch.Count, sent, snapshot.Version);
    }
}

/// <summary>Import progress to the person running the import, on every instance they may be connected to.</summary>
public sealed class LiveImportProgress(IHubContext<GapHub> hub) : IImportProgress
{
    public void Report(string actor, ImportProgressUpdate update) =>
        _ = hub.Clients.Group(LiveConnections.UserGroup(actor)).SendAsync(GapHub.ImportProgressMessage, update);
}
