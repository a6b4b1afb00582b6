using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Gaps;

namespace TeamSkills.Web.Features.Live;

/// <summary>The <c>gapSummaryUpdated</c> message: one team's numbers as of today.</summary>
public sealed record GapSummaryUpdated(
    int TeamId, string TeamName, string? ManagerEmail, int EngineerCount, int RecommendedCount, int HeldCount, int GapCount,
    int ExpiringSoonCount, int ExpiredCount, int UnmappedCount, double CoveragePercent, DateOnly AsOf)
{
    public static GapSummaryUpdated From(TeamSummary s, DateOnly asOf) => new(s.Id, s.Name, s.ManagerEmail, s.EngineerCount,
        s.RecommendedCount, s.HeldCount, s.GapCount, s.ExpiringSoonCount, s.ExpiredCount, s.UnmappedCount, s.CoveragePercent, asOf);

    /// <summary>
    /// A team's summary as a page carries it (<c>data-summary</c>), so that a live page can skip a push it already shows
    /// without asking the server: <c>summaryKey</c> in wwwroot/js/dashboard.js builds the same string from a push.
    /// Coverage is left out: it follows from held and recommended.
    /// </summary>
    public static string PageKey(string name, string? managerEmail, int engineers, int recommended, int held, int gaps,
        int expiring, int expired, int unmapped) =>
        string.Join('\u001f', [name, managerEmail ?? "",
            .. new[] { engineers, recommended, held, gaps, expiring, expired, unmapped }.Select(n => n.ToString(CultureInfo.InvariantCulture))]);

    public static string PageKey(TeamSummary s) => PageKey(s.Name, s.ManagerEmail, s.EngineerCount, s.RecommendedCount, s.HeldCount,
        s.GapCount, s.ExpiringSoonCount, s.ExpiredCount, s.UnmappedCount);

    public static string PageKey(TeamGaps g) => PageKey(g.Name, g.ManagerEmail, g.EngineerCount, g.RecommendedCount, g.HeldCount,
        g.GapCount, g.ExpiringSoonCount, g.ExpiredCount, g.UnmappedCount);
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
    /// <summary>To a connection whose teams changed (a roster import moved one): an open page checks what it shows.</summary>
    public const string ScopeChangedMessage = "scopeChanged";

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
