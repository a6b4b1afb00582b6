using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Gaps;

namespace TeamSkills.Web.Features.Live;

/// <summary>The <c>gapSummaryUpdated</c> message: one team's numbers as of today.</summary>
public sealed record GapSummaryUpdated(
    int TeamId, string TeamName, int EngineerCount, int RecommendedCount, int HeldCount, int GapCount,
    int ExpiringSoonCount, int ExpiredCount, int UnmappedCount, double CoveragePercent, DateOnly AsOf)
{
    public static GapSummaryUpdated From(TeamSummary s, DateOnly asOf) => new(s.Id, s.Name, s.EngineerCount, s.RecommendedCount,
        s.HeldCount, s.GapCount, s.ExpiringSoonCount, s.ExpiredCount, s.UnmappedCount, s.CoveragePercent, asOf);
}

/// <summary>
/// Live gap summaries at <c>/hubs/gaps</c>. Clients only listen: the server puts each connection in the groups of the
/// teams its caller may see (after the same scope check as every read path) and there is no method by which a client
/// can ask to join a team.
/// </summary>
[Authorize(Policy = LiveSetup.LivePolicy)]
public sealed class GapHub(LiveConnections connections, GapQueries queries, ScopeService scopes) : Hub
{
    public const string SummaryMessage = "gapSummaryUpdated";
    public const string ImportProgressMessage = "importProgress";
    public const string ExportProgressMessage = "exportProgress";

    public override async Task OnConnectedAsync()
    {
        await connections.AddAsync(Context, Context.ConnectionAborted);
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Remove(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>Today's summaries of the caller's teams: what a client re-reads after a reconnect to catch up.</summary>
    public async Task<IReadOnlyList<GapSummaryUpdated>> GetSummaries()
    {
        var scope = await scopes.ForAsync(Context.User!, Context.ConnectionAborted);
        var today = queries.Today;
        return (await queries.TeamsAsync(scope, today, Context.ConnectionAborted)).Select(s => GapSummaryUpdated.From(s, today)).ToList();
    }
}
