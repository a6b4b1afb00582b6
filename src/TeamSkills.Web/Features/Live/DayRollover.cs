using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Live;

/// <summary>
/// At midnight in the organisation's time zone "today" moves and statuses change with no write at all (valid becomes
/// expiring, expiring becomes expired): open dashboards are pushed the new day's summaries. The Hangfire expiry
/// sweep records those transitions as events; this only keeps live pages true.
/// </summary>
public sealed class DayRollover(OrgClock clock, GapChanges changes, ILogger<DayRollover> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // +1 s so the clock reads the new day when we wake; the time provider makes this testable.
                await Task.Delay(clock.UntilTomorrow() + TimeSpan.FromSeconds(1), clock.Time, stoppingToken);
                log.LogInformation("Day changed to {Today}: pushing the new day's summaries", clock.Today);
                changes.Publish(DataChange.Everything(DataChange.DayChanged));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
