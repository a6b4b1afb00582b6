using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Gaps;

namespace TeamSkills.Web.Features.Home;

/// <summary>The overview: the teams in the caller's scope on any date, with tiles, the expiry forecast and live rows.</summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed class IndexModel(GapQueries queries, ScopeService scopes, Exports.AuditedExports exports, Exports.ExportJobs jobs) : PageModel
{
    /// <summary>Why the asked as-of date was not used (not a date), shown above the page.</summary>
    public string? AsOfProblem { get; private set; }

    public IReadOnlyList<TeamSummary> Teams { get; private set; } = [];
    /// <summary>Teams in scope with no active engineer, not listed.</summary>
    public IReadOnlyList<int> EmptyTeamIds { get; private set; } = [];
    public int EmptyTeams => EmptyTeamIds.Count;
    public ExpiryForecast Forecast { get; private set; } = null!;
    public IReadOnlyList<TrendPoint> Trend { get; private set; } = [];
    public DateOnly AsOf { get; private set; }
    public DateOnly Today => queries.Today;
    public bool IsToday => AsOf == Today;

    /// <summary>How far back the coverage trend looks from the page's date (the chart's caption says it).</summary>
    public const int TrendDays = 90;

    /// <summary>"?asOf=…" for links to the other pages when this one is not today's, so a past date carries through.</summary>
    public string AsOfQuery => IsToday ? "" : "?asOf=" + AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    public double Coverage { get; private set; }
    public string ExpiringLabel { get; private set; } = "";
    /// <summary>The caller's own engineer record (an active one with their email), for the "My certifications" link.</summary>
    public string? OwnEmployeeId { get; private set; }
    public bool CanExportOrg => User.IsInRole(AppRoles.Admin) || User.IsInRole(AppRoles.LearningAdmin);

    public Exports.ExportJobStatus? Export { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? asOf, Guid? export, CancellationToken ct)
    {
        OwnEmployeeId = await queries.OwnEmployeeIdAsync(User.FindFirst(System.Security.Claims.ClaimTypes.Email)?.Value, ct);
        AsOfProblem = Gaps.AsOf.PageProblem(asOf, queries.Today);
        AsOf = Gaps.AsOf.Parse(asOf, queries.Today) ?? queries.Today;
        var scope = await scopes.ForAsync(User, ct);
        // An Engineer's scope holds no teams, only their own record: open it rather than an empty overview.
        if (OwnEmployeeId is { } own && scope.OwnRecordOnly)
            return Redirect($"/engineers/{Uri.EscapeDataString(own)}" + (AsOf != queries.Today ? $"?asOf={AsOf:yyyy-MM-dd}" : ""));
        if (export is { } id) Export = jobs.Find(id, User)?.Status();
        // Teams left without an active engineer (a reorganisation emptied them) add nothing: they are counted, not listed.
        var all = await queries.TeamsAsync(scope, AsOf, ct);
        Teams = all.Where(t => t.EngineerCount > 0).ToList();
        EmptyTeamIds = all.Where(t => t.EngineerCount == 0).Select(t => t.Id).ToList();
        Forecast = await queries.ForecastAsync(scope, AsOf, ct);
        Trend = await queries.TrendAsync(scope, AsOf, TrendDays, ct);
        ExpiringLabel = await queries.ExpiringLabelAsync(ct);
        Coverage = Core.Gaps.TeamTally.CoverageOf(Teams.Sum(t => t.HeldCount), Teams.Sum(t => t.RecommendedCount));
        return Page();
    }

    /// <summary>Org exports for L&amp;D and Admin signed in on the pages: the same code and role rule as the API.</summary>
    public async Task<IActionResult> OnGetOrgXlsxAsync(string? asOf, CancellationToken ct)
    {
        if (!CanExportOrg) return Forbid();
        if (!Gaps.AsOf.TryDownloadDate(asOf, queries.Today, out var date, out var refusal)) return refusal;
        var report = await exports.OrgAsync(User, date, "xlsx", ct);
        return new Exports.ExportActionResult(Exports.ExportFiles.OrgXlsx(report, Exports.ExportEndpoints.Folder(HttpContext.RequestServices)));
    }

    /// <summary>
    /// The org workbook prepared in the background (large orgs): progress arrives over the live hub as exportProgress,
    /// with the download link when ready. Without script the page reloads with the export's id and its status.
    /// </summary>
    public async Task<IActionResult> OnPostOrgJobAsync(string? asOf, CancellationToken ct)
    {
        if (!CanExportOrg) return Forbid();
        if (!Gaps.AsOf.TryDownloadDate(asOf, queries.Today, out var date, out var refusal)) return refusal;
        await exports.OrgJobAsync(User, date, ct);
        var job = jobs.Enqueue(User, date, Exports.ExportEndpoints.PageJobsPath);
        if (Request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal)) return new JsonResult(job.Status());
        return RedirectToPage(new { export = job.Id });
    }

    public async Task<IActionResult> OnGetOrgPdfAsync(string? asOf, CancellationToken ct)
    {
        if (!CanExportOrg) return Forbid();
        if (!Gaps.AsOf.TryDownloadDate(asOf, queries.Today, out var date, out var refusal)) return refusal;
        return new Exports.ExportActionResult(Exports.ExportFiles.OrgPdf(await exports.OrgAsync(User, date, "pdf", ct)));
    }
}
