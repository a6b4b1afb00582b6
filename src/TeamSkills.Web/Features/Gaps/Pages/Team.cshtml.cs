using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Core.Gaps;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Gaps.Pages;

/// <summary>A team's heat map: engineers × the certifications recommended to anyone in the team, scoped like the API.</summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed class TeamModel(GapQueries queries, ScopeService scopes, Exports.AuditedExports exports) : PageModel
{
    /// <summary>Why the asked as-of date was not used (not a date), shown above the page.</summary>
    public string? AsOfProblem { get; private set; }

    public TeamGaps Gaps { get; private set; } = null!;
    public ExpiryForecast Forecast { get; private set; } = null!;
    public IReadOnlyList<CertRef> Columns { get; private set; } = [];
    public IReadOnlySet<string> SinglePointsOfFailure { get; private set; } = new HashSet<string>();
    public bool IsToday => Gaps.AsOf == queries.Today;

    /// <summary>"?asOf=…" for links to the other pages when this one is not today's, so a past date carries through.</summary>
    public string AsOfQuery => IsToday ? "" : "?asOf=" + Gaps.AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    public string ExpiringLabel { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(int id, string? asOf, CancellationToken ct)
    {
        AsOfProblem = AsOf.PageProblem(asOf, queries.Today);
        var date = AsOf.Parse(asOf, queries.Today) ?? queries.Today;
        var scope = await scopes.ForAsync(User, ct);
        var gaps = await queries.TeamGapsAsync(scope, id, date, ct);
        if (gaps is null) return NotFound();
        Gaps = gaps;
        Forecast = await queries.ForecastAsync(scope with { AllTeams = false, TeamIds = new HashSet<int> { id } }, date, ct);
        ExpiringLabel = await queries.ExpiringLabelAsync(ct);
        var all = gaps.Engineers.SelectMany(e => e.Certifications).ToList();
        // In catalog order, as the team workbook and PDF have them (not in the order the first engineers' roles list them).
        var recommended = all.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        Columns = (await queries.CertificationsAsync(ct)).Where(c => recommended.Contains(c.Id)).ToList();
        SinglePointsOfFailure = Columns
            .Where(c => all.Count(x => x.Id == c.Id && GapEngine.IsHeld(x.Status)) < 2)
            .Select(c => c.Id).ToHashSet();
        return Page();
    }

    /// <summary>The team workbook for a signed-in browser (the API is key-only): same scope check, same export code,
    /// audited as the API's.</summary>
    public Task<IActionResult> OnGetXlsxAsync(int id, string? asOf, CancellationToken ct) =>
        DownloadAsync(id, asOf, "xlsx", Exports.ExportFiles.TeamXlsx, ct);

    public Task<IActionResult> OnGetPdfAsync(int id, string? asOf, CancellationToken ct) =>
        DownloadAsync(id, asOf, "pdf", Exports.ExportFiles.TeamPdf, ct);

    private async Task<IActionResult> DownloadAsync(int id, string? asOf, string extension,
        Func<TeamSkills.Reports.TeamReport, IResult> write, CancellationToken ct)
    {
        if (!AsOf.TryDownloadDate(asOf, queries.Today, out var date, out var refusal)) return refusal;
        return await exports.TeamAsync(User, id, date, extension, ct) is { } report
            ? new Exports.ExportActionResult(write(report))
            : NotFound();
    }

    /// <summary>The next step; for an engineer holding everything, the renewal due first (the exports say the same).</summary>
    public string NextText(EngineerGaps e) => TeamSkills.Reports.ReportText.NextText(e.Role is not null, e.Next?.Label, e.Certifications,
        c => c.Status == CertStatus.Expiring, c => c.ExpiresOn, c => c.Name);

    /// <summary>A heat-map cell's tooltip: "AIOps Foundation: expired 2026-05-01", "…: expiring, expires 2026-07-01".</summary>
    public static string CellTitle(CertificationStatus c) => $"{c.Name}: " + (c.Status, c.ExpiresOn) switch
    {
        (CertStatus.Expired, { } x) => $"expired {x:yyyy-MM-dd}",
        (var status, { } x) => $"{status.ToString().ToLowerInvariant()}, expires {x:yyyy-MM-dd}",
        (var status, null) => status.ToString().ToLowerInvariant(),
    };

    public string Symbol(CertStatus status) => status switch
    {
        CertStatus.Valid => "✓",
        CertStatus.Expiring => "◷",
        CertStatus.Expired => "✗",
        _ => "○",
    };

    /// <summary>Sort order of a cell: worst first.</summary>
    public int Rank(CertStatus status) => status switch
    {
        CertStatus.Missing => 0,
        CertStatus.Expired => 1,
        CertStatus.Expiring => 2,
        _ => 3,
    };

    /// <summary>What the status filter matches on: gap, expiring, expired, unmapped.</summary>
    public string StatusKeys(EngineerGaps e)
    {
        if (e.Role is null) return "unmapped";
        var keys = new List<string>();
        if (e.Certifications.Any(c => c.Status is CertStatus.Missing or CertStatus.Expired)) keys.Add("gap");
        if (e.Certifications.Any(c => c.Status == CertStatus.Expiring)) keys.Add("expiring");
        if (e.Certifications.Any(c => c.Status == CertStatus.Expired)) keys.Add("expired");
        return string.Join(' ', keys);
    }
}
