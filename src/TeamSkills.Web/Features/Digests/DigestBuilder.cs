using System.Globalization;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Data;
using TeamSkills.Core.Gaps;
using TeamSkills.Core.Tracking;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Gaps;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Digests;

/// <summary>
/// Builds a manager's digest from the roster as it is now, scoped exactly as that manager's own dashboard would be
/// (the same <see cref="ScopeService"/>, whether or not they have signed up).
/// </summary>
public sealed class DigestBuilder(
    TeamSkillsDbContext db, GapIndex index, ScopeService scopes, OrgClock clock, IOptions<DigestOptions> options, DigestLinks links)
{
    public const string DigestKind = "digest";

    /// <summary>Every distinct manager_email of the active roster.</summary>
    public async Task<IReadOnlyList<string>> ManagersAsync(CancellationToken ct)
    {
        var snapshot = await index.GetAsync(db, ct);
        return snapshot.Engineers.Select(e => e.ManagerEmail).OfType<string>()
            .Select(m => m.Trim().ToLowerInvariant()).Where(m => m.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    public async Task<DigestFrequency> FrequencyAsync(string manager, CancellationToken ct) =>
        await db.DigestPreferences.AsNoTracking().Where(p => p.ManagerEmail == manager).Select(p => (DigestFrequency?)p.Frequency)
            .FirstOrDefaultAsync(ct) ?? options.Value.DefaultFrequency;

    /// <summary>The period a digest belongs to: ISO week (2026-W23) or month (2026-06).</summary>
    public static string PeriodOf(DigestFrequency frequency, DateOnly day) => frequency == DigestFrequency.Monthly
        ? day.ToString("yyyy-MM", CultureInfo.InvariantCulture)
        : $"{ISOWeek.GetYear(day.ToDateTime(TimeOnly.MinValue))}-W{ISOWeek.GetWeekOfYear(day.ToDateTime(TimeOnly.MinValue)):D2}";

    /// <summary>Why this digest would not be sent now (null: it would), for the job and for the Admin's preview alike.</summary>
    public async Task<string?> WhyNotAsync(Digest digest, SendLog log, CancellationToken ct) =>
        digest.Frequency == DigestFrequency.Off ? "the manager opted out"
        : await log.AlreadyAsync(digest.Manager, DigestKind, digest.Period, ct) ? $"already sent for {digest.Period}"
        // Monthly means at most one a month: a weekly digest sent this month (before they chose monthly) was this month's.
        : digest.Frequency == DigestFrequency.Monthly && digest.Since is { } last && clock.DayOf(last) is var day
            && day.Year == digest.AsOf.Year && day.Month == digest.AsOf.Month
            ? $"a digest already went out this month ({day:yyyy-MM-dd}); the monthly one comes with next month's first run"
        : digest.Teams.Count == 0 ? "no teams in scope"
        : !digest.HasChanges && options.Value.SkipWhenUnchanged ? NothingChanged
        : null;

    public const string NothingChanged = "nothing changed since the last digest";

    public async Task<Digest> BuildAsync(string manager, CancellationToken ct)
    {
        manager = manager.Trim().ToLowerInvariant();
        var today = clock.Today;
        var frequency = await FrequencyAsync(manager, ct);
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, manager), new Claim(ClaimTypes.Email, manager), new Claim(ClaimTypes.Role, AppRoles.Manager)], "digest"));
        var scope = await scopes.ForAsync(principal, ct);
        var snapshot = await index.GetAsync(db, ct);
        var tallies = snapshot.Tallies(today);
        var teams = snapshot.Teams.Where(t => scope.CanSeeTeam(t.Id) && snapshot.EngineersByTeam.ContainsKey(t.Id))
            .Select(t => (Team: t, Tally: tallies.GetValueOrDefault(t.Id) ?? new TeamTally())).ToList();
        var teamIds = teams.Select(t => t.Team.Id).ToHashSet();
        var teamNames = teams.ToDictionary(t => t.Team.Id, t => t.Team.Name);
        var engineers = snapshot.Engineers.Where(e => teamIds.Contains(e.TeamId)).ToDictionary(e => e.Id);

        var since = await db.SentMessages.AsNoTracking()
            .Where(m => m.Recipient == manager && m.Kind == DigestKind && m.Outcome != SendOutcome.Rejected)
            .OrderByDescending(m => m.SentAt).Select(m => (DateTimeOffset?)m.SentAt).FirstOrDefaultAsync(ct);
        var from = since ?? clock.Now.AddDays(frequency == DigestFrequency.Monthly ? -31 : -7);
        var certName = snapshot.Certs.ToDictionary(c => c.Rule.Id, c => c.Rule.Name);

        // A manager's first digest has no "since": "Recently" is what was earned or expired in the last week (month), not
        // everything recorded then, or the roster's first import would list years of history as news.
        var fromDate = DateOnly.FromDateTime(from.UtcDateTime);
        var completions = (await db.Completions.AsNoTracking().Where(c => c.RecordedAt > from)
                .Select(c => new { c.EngineerId, c.CertificationId, c.EarnedOn }).ToListAsync(ct))
            .Where(c => engineers.ContainsKey(c.EngineerId) && (since is not null || c.EarnedOn >= fromDate))
            .Select(c => new DigestCompletion(engineers[c.EngineerId].Name, teamNames[engineers[c.EngineerId].TeamId],
                certName.GetValueOrDefault(c.CertificationId, c.CertificationId), c.EarnedOn))
            .OrderBy(c => c.Team).ThenBy(c => c.Engineer)
            .ThenBy(c => c.Certification, StringComparer.Ordinal).ThenBy(c => c.EarnedOn).ToList(); // never the rows' order
        // New since the last digest = recorded since then (not "took effect since": a late sweep records older dates).
        var gaps = (await db.StatusEvents.AsNoTracking().Where(e => e.ToStatus == CertStatus.Expired && e.RecordedAt > from)
                .Select(e => new { e.EngineerId, e.CertificationId, e.OnDate }).ToListAsync(ct))
            .Where(e => engineers.ContainsKey(e.EngineerId) && IsRecommended(engineers[e.EngineerId], e.CertificationId)
                && (since is not null || e.OnDate >= fromDate))
            .Select(e => new DigestGap(engineers[e.EngineerId].Name, teamNames[engineers[e.EngineerId].TeamId],
                certName.GetValueOrDefault(e.CertificationId, e.CertificationId), e.OnDate))
            .OrderBy(g => g.Team).ThenBy(g => g.Engineer).ThenBy(g => g.Certification, StringComparer.Ordinal).ToList();
        var upcoming = new List<DigestExpiry>();
        foreach (var e in engineers.Values)
        {
            if (e.RoleIndex < 0) continue;
            foreach (var ci in snapshot.Roles[e.RoleIndex].Recommended)
            {
                if (snapshot.Best(e, ci, today) is not { } best || best.ExpiresOn <= today || best.ExpiresOn > today.AddDays(30)) continue;
                upcoming.Add(new DigestExpiry(e.Name, teamNames[e.TeamId], snapshot.Certs[ci].Rule.Name, best.ExpiresOn,
                    best.ExpiresOn.DayNumber - today.DayNumber));
            }
        }

        // Expiries that entered the 30-day window since the last digest are news too.
        var newlyUpcoming = upcoming.Count(u => u.ExpiresOn.AddDays(-30) > fromDate);

        var baseUrl = options.Value.PublicUrl.TrimEnd('/');
        var digestTeams = teams.Select(t => new DigestTeam(t.Team.Id, t.Team.Name, t.Tally.EngineerCount, t.Tally.RecommendedCount,
            t.Tally.HeldCount, t.Tally.GapCount, t.Tally.ExpiringSoonCount, t.Tally.ExpiredCount, t.Tally.UnmappedCount,
            t.Tally.CoveragePercent, $"{baseUrl}/teams/{t.Team.Id}")).ToList();
        return new Digest(manager, PeriodOf(frequency, today), frequency, today, since, digestTeams,
            digestTeams.Sum(t => t.EngineerCount), digestTeams.Sum(t => t.GapCount), digestTeams.Sum(t => t.ExpiringSoonCount),
            digestTeams.Sum(t => t.ExpiredCount),
            TeamTally.CoverageOf(digestTeams.Sum(t => t.HeldCount), digestTeams.Sum(t => t.RecommendedCount)),
            completions, gaps, upcoming.OrderBy(u => u.ExpiresOn).ThenBy(u => u.Engineer).ToList(),
            baseUrl + "/", links.PreferencesUrl(manager)) { NewlyUpcomingCount = newlyUpcoming, ExpiringLabel = snapshot.ExpiringLabel };

        bool IsRecommended(EngineerRow e, string certId) =>
            e.RoleIndex >= 0 && snapshot.CertIndex.TryGetValue(certId, out var ci) && snapshot.Roles[e.RoleIndex].Recommended.Contains(ci);
    }
}
