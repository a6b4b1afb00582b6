using System.Globalization;
using System.Security.Claims;
using TeamSkills.Reports;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;

namespace TeamSkills.Web.Features.Exports;

/// <summary>
/// Reports taken out of the app by a caller, API or page alike: the caller's scope, the report, and an audit entry
/// saying who took which report for which day (reports carry names and gaps of many people), under one action and
/// target per report whichever way it was asked for.
/// </summary>
public sealed class AuditedExports(ExportReports reports, ScopeService scopes, AuditLog audit)
{
    public DateOnly Today => reports.Today;

    /// <summary>A team's report as the caller may see it; null (and nothing audited) when the team is not in their scope.</summary>
    public async Task<TeamReport?> TeamAsync(ClaimsPrincipal user, int teamId, DateOnly asOf, string format, CancellationToken ct)
    {
        var scope = await scopes.ForAsync(user, ct);
        if (await reports.TeamAsync(scope, teamId, asOf, ct) is not { } report) return null;
        await ExportedAsync(scope, "export.team", $"team {teamId} report.{format}", asOf, ct);
        return report;
    }

    /// <summary>The org report over the caller's teams (the callers' role is checked by the endpoint or page).</summary>
    public async Task<OrgReport> OrgAsync(ClaimsPrincipal user, DateOnly asOf, string format, CancellationToken ct)
    {
        var scope = await scopes.ForAsync(user, ct);
        await ExportedAsync(scope, "export.org", $"org.{format}", asOf, ct);
        return await reports.OrgAsync(scope, asOf, ct);
    }

    /// <summary>The org workbook started as a background job: audited when asked for, as the direct download is.</summary>
    public async Task OrgJobAsync(ClaimsPrincipal user, DateOnly asOf, CancellationToken ct) =>
        await ExportedAsync(await scopes.ForAsync(user, ct), "export.org", "org.xlsx (background)", asOf, ct);

    private Task ExportedAsync(CallerScope scope, string action, string target, DateOnly asOf, CancellationToken ct) =>
        audit.AddAndSaveAsync(scope.Actor, action, target, "Applied", new { asOf = asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) }, ct);
}
