using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Data;
using TeamSkills.Core.Gaps;
using TeamSkills.Core.Tracking;
using TeamSkills.Web.Features.Gaps;
using TeamSkills.Web.Features.Live;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Jobs;

/// <summary>
/// expiry-sweep: records each status transition of a held certification (valid → expiring → expired) once, as an
/// event, and pushes live updates when any happened. Re-entrant: the unique (engineer, certification, expiry, status)
/// index makes a second run on the same day, or a retry, record nothing new; a missed day is caught up.
/// </summary>
public sealed class ExpirySweepJob(TeamSkillsDbContext db, GapIndex index, OrgClock clock, GapChanges changes, ILogger<ExpirySweepJob> log)
{
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var today = clock.Today;
        var snapshot = await index.GetAsync(db, ct);
        var known = (await db.StatusEvents.AsNoTracking()
                .Select(e => new { e.EngineerId, e.CertificationId, e.ExpiresOn, e.ToStatus }).ToListAsync(ct))
            .Select(e => (e.EngineerId, e.CertificationId, e.ExpiresOn, e.ToStatus)).ToHashSet();
        var added = new List<StatusEvent>();
        foreach (var engineer in snapshot.Engineers)
        {
            foreach (var certIndex in engineer.Completions.ToArray().Select(c => c.CertIndex).Where(ci => ci >= 0).Distinct())
            {
                if (snapshot.Best(engineer, certIndex, today) is not { } best) continue;
                var rule = snapshot.Certs[certIndex].Rule;
                var status = GapEngine.Classify(best.ExpiresOn, today, rule.RenewalWindowDays);
                if (status is not (CertStatus.Expiring or CertStatus.Expired)) continue;
                var windowStart = best.ExpiresOn.AddDays(-rule.RenewalWindowDays);
                // Expiring first (unless the window is empty), then expired: each recorded once, on the day it took effect.
                if (rule.RenewalWindowDays > 0 && windowStart <= today)
                    Add(engineer.Id, rule.Id, best.ExpiresOn, CertStatus.Valid, CertStatus.Expiring, windowStart);
                if (status == CertStatus.Expired)
                    Add(engineer.Id, rule.Id, best.ExpiresOn, rule.RenewalWindowDays > 0 ? CertStatus.Expiring : CertStatus.Valid,
                        CertStatus.Expired, best.ExpiresOn);
            }
        }
        if (added.Count > 0)
        {
            db.StatusEvents.AddRange(added);
            await db.SaveChangesAsync(ct);
            changes.Publish(DataChange.Everything("expiry-sweep"));
        }
        log.LogInformation("Expiry sweep for {Today:yyyy-MM-dd}: {Count} status transitions recorded", today, added.Count);
        return added.Count;

        void Add(int engineerId, string certId, DateOnly expiresOn, CertStatus from, CertStatus to, DateOnly onDate)
        {
            if (!known.Add((engineerId, certId, expiresOn, to))) return;
            added.Add(new StatusEvent
            {
                EngineerId = engineerId, CertificationId = certId, ExpiresOn = expiresOn, FromStatus = from, ToStatus = to,
                OnDate = onDate, RecordedAt = clock.Now,
            });
        }
    }
}

/// <summary>coverage-snapshot: every team's numbers today, stored for the trend chart. Re-running replaces the day.</summary>
public sealed class CoverageSnapshotJob(TeamSkillsDbContext db, GapIndex index, OrgClock clock, ILogger<CoverageSnapshotJob> log)
{
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var today = clock.Today;
        var snapshot = await index.GetAsync(db, ct);
        var tallies = snapshot.Tallies(today);
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        await db.CoverageSnapshots.Where(s => s.Date == today).ExecuteDeleteAsync(ct);
        db.CoverageSnapshots.AddRange(snapshot.Teams.Select(t => (t, tally: tallies.GetValueOrDefault(t.Id) ?? new TeamTally()))
            .Where(x => x.tally.EngineerCount > 0)
            .Select(x => new CoverageSnapshot
            {
                Date = today, TeamId = x.t.Id, EngineerCount = x.tally.EngineerCount, RecommendedCount = x.tally.RecommendedCount,
                HeldCount = x.tally.HeldCount, GapCount = x.tally.GapCount, ExpiringSoonCount = x.tally.ExpiringSoonCount,
                ExpiredCount = x.tally.ExpiredCount, UnmappedCount = x.tally.UnmappedCount, CoveragePercent = x.tally.CoveragePercent,
            }));
        var written = await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        log.LogInformation("Coverage snapshot for {Today:yyyy-MM-dd}: {Teams} teams", today, written);
        return written;
    }
}
