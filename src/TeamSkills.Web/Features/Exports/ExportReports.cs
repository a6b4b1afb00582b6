using TeamSkills.Core.Data;
using TeamSkills.Core.Gaps;
using TeamSkills.Reports;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Gaps;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Exports;

/// <summary>
/// Builds the renderers' input records from the same gap queries the API answers with (<see cref="GapQueries"/>,
/// <see cref="GapQueries.EngineerOf"/>), so an export's numbers are the API's numbers.
/// </summary>
public sealed class ExportReports(TeamSkillsDbContext db, GapIndex index, GapQueries queries, OrgClock clock)
{
    public DateOnly Today => queries.Today;

    public async Task<TeamReport?> TeamAsync(CallerScope scope, int teamId, DateOnly asOf, CancellationToken ct)
    {
        var gaps = await queries.TeamGapsAsync(scope, teamId, asOf, ct);
        if (gaps is null) return null;
        var s = await index.GetAsync(db, ct);
        var forecast = s.Forecast([teamId], asOf);
        var engineers = gaps.Engineers.Select(ToReport).ToList();
        var columns = Catalog(s).Where(c => engineers.Any(e => e.Cells.Any(x => x.CertId == c.Id))).ToList();
        return new TeamReport(Header($"Team report: {gaps.Name}", asOf, scope, s), gaps.Id, gaps.Name, gaps.ManagerEmail,
            new ReportTotals(gaps.EngineerCount, gaps.RecommendedCount, gaps.HeldCount, gaps.GapCount, gaps.ExpiringSoonCount,
                gaps.ExpiredCount, gaps.UnmappedCount, gaps.CoveragePercent),
            columns, engineers, Months(forecast), Coverage(Catalog(s), engineers.SelectMany(e => e.Cells)), Catalog(s));
    }

    /// <summary>The org report over the caller's teams; its engineers are computed lazily, one at a time, when enumerated.</summary>
    public async Task<OrgReport> OrgAsync(CallerScope scope, DateOnly asOf, CancellationToken ct)
    {
        var s = await index.GetAsync(db, ct);
        var teams = await queries.TeamsAsync(scope, asOf, ct);
        var catalog = Catalog(s);
        var totals = new TeamTally();
        foreach (var t in teams)
        {
            foreach (var e in s.TeamEngineers(t.Id))
            {
                totals.AddEngineer(e.RoleIndex >= 0);
                if (e.RoleIndex < 0) continue;
                foreach (var ci in s.Roles[e.RoleIndex].Recommended) totals.AddStatus(s.StatusOf(e, ci, asOf));
            }
        }
        var coverage = OrgCoverage(s, teams.Select(t => t.Id), asOf);
        return new OrgReport(Header("Organisation report", asOf, scope, s),
            new ReportTotals(totals.EngineerCount, totals.RecommendedCount, totals.HeldCount, totals.GapCount, totals.ExpiringSoonCount,
                totals.ExpiredCount, totals.UnmappedCount, totals.CoveragePercent),
            teams.Select(t => new TeamRow(t.Id, t.Name, t.ManagerEmail, new ReportTotals(t.EngineerCount, t.RecommendedCount, t.HeldCount,
                t.GapCount, t.ExpiringSoonCount, t.ExpiredCount, t.UnmappedCount, t.CoveragePercent))).ToList(),
            Months(s.Forecast(teams.Select(t => t.Id), asOf)), coverage, catalog, totals.EngineerCount,
            OrgEngineers(s, teams, asOf));
    }

    private static IEnumerable<OrgEngineer> OrgEngineers(GapSnapshot s, IReadOnlyList<TeamSummary> teams, DateOnly asOf)
    {
        var scratch = new TeamTally();
        foreach (var t in teams)
        {
            var (start, count) = s.EngineersByTeam.GetValueOrDefault(t.Id);
            for (var i = start; i < start + count; i++)
                yield return new OrgEngineer(t.Name, ToReport(GapQueries.EngineerOf(s, s.Engineers[i], asOf, scratch)));
        }
    }

    /// <summary>Per certification over the teams, counted straight from the snapshot (no per-engineer records kept).</summary>
    private static List<CertCoverage> OrgCoverage(GapSnapshot s, IEnumerable<int> teamIds, DateOnly asOf)
    {
        var counts = new int[s.Certs.Length, 4];
        var recommended = new int[s.Certs.Length];
        foreach (var id in teamIds)
        {
            foreach (var e in s.TeamEngineers(id))
            {
                if (e.RoleIndex < 0) continue;
                foreach (var ci in s.Roles[e.RoleIndex].Recommended)
                {
                    recommended[ci]++;
                    counts[ci, (int)s.StatusOf(e, ci, asOf)]++;
                }
            }
        }
        return s.Certs.Select((c, i) => new CertCoverage(c.Rule.Id, c.Rule.Name, recommended[i],
            counts[i, (int)CertStatus.Valid] + counts[i, (int)CertStatus.Expiring], counts[i, (int)CertStatus.Expiring],
            counts[i, (int)CertStatus.Expired], counts[i, (int)CertStatus.Missing])).ToList();
    }

    private static List<CertCoverage> Coverage(IReadOnlyList<ReportCert> catalog, IEnumerable<ReportCell> cells)
    {
        var byCert = cells.GroupBy(c => c.CertId).ToDictionary(g => g.Key, g => g.ToList());
        return catalog.Select(c =>
        {
            var list = byCert.GetValueOrDefault(c.Id) ?? [];
            int Count(ReportStatus st) => list.Count(x => x.Status == st);
            return new CertCoverage(c.Id, c.Name, list.Count, Count(ReportStatus.Valid) + Count(ReportStatus.Expiring),
                Count(ReportStatus.Expiring), Count(ReportStatus.Expired), Count(ReportStatus.Missing));
        }).ToList();
    }

    private static ReportEngineer ToReport(EngineerGaps e) => new(e.EmployeeId, e.Name, e.Email, e.Title, e.Role,
        e.Certifications.Select(c => new ReportCell(c.Id, c.Name, (ReportStatus)(int)c.Status, c.EarnedOn, c.ExpiresOn)).ToList(),
        e.Next?.Label);

    /// <summary>The catalog as the workbooks list it; a hard prerequisite by its name (its id when it is not in the catalog).</summary>
    private static List<ReportCert> Catalog(GapSnapshot s) => s.Certs.Select(c => new ReportCert(c.Rule.Id, c.Rule.Name, c.Rule.Level,
        c.ValidityMonths, c.Rule.RenewalWindowDays,
        c.Rule.HardPrerequisiteId is { } pre ? s.Certs.FirstOrDefault(x => x.Rule.Id == pre)?.Rule.Name ?? pre : null)).ToList();

    private static List<ReportMonth> Months(ExpiryForecast f) => f.Months.Select(m => new ReportMonth(m.Month, m.Count)).ToList();

    private ReportHeader Header(string title, DateOnly asOf, CallerScope scope, GapSnapshot s) =>
        new(title, asOf, scope.Actor, scope.AllTeams ? "whole organisation" : (scope.TeamIds.Count == 1 ? "1 team" : $"{scope.TeamIds.Count} teams") + " in the manager's chain", clock.Now)
        { ExpiringLabel = s.ExpiringLabel };
}
