using System.Globalization;
using SkiaSharp;

namespace TeamSkills.Reports.Pdf;

/// <summary>The team report and the org report for L&amp;D.</summary>
public static class ReportPdfs
{
    public static readonly IReadOnlyDictionary<ReportStatus, SKColor> Fills = new Dictionary<ReportStatus, SKColor>
    {
        [ReportStatus.Valid] = SKColor.Parse("#C6EFCE"),
        [ReportStatus.Expiring] = SKColor.Parse("#FFEB9C"),
        [ReportStatus.Expired] = SKColor.Parse("#FFC7CE"),
        [ReportStatus.Missing] = SKColor.Parse("#E7E6E6"),
    };

    private static readonly SKColor Good = SKColor.Parse("#2E7D32"), Warn = SKColor.Parse("#F9A825"), Bad = SKColor.Parse("#C62828"),
        Neutral = SKColor.Parse("#4F6D8F");

    private static string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Noun(int n, string noun) => n == 1 ? noun : noun + "s";

    private static string Of(int n, string noun) => $"{N(n)} {Noun(n, noun)}";

    private static string Pct(double p) => p.ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static IReadOnlyList<KpiTile> Tiles(ReportTotals t, string expiring) =>
    [
        new(t.Recommended == 0 ? "n/a" : Pct(t.CoveragePercent), "coverage", Neutral), new(N(t.Gaps), Noun(t.Gaps, "gap"), Bad), new(N(t.ExpiringSoon), expiring, Warn),
        new(N(t.Expired), "expired", Bad), new(N(t.Engineers), Noun(t.Engineers, "engineer"), Good),
    ];

    /// <summary>The tiles' numbers as one sentence: what a screen reader or a text extractor reads in order.</summary>
    private static string Sentence(ReportTotals t, string expiring) =>
        $"{N(t.Held)} of {N(t.Recommended)} recommended certifications held ({(t.Recommended == 0 ? "no coverage to measure" : Pct(t.CoveragePercent) + " coverage")}); {Of(t.Gaps, "gap")} " +
        $"(missing or expired), {N(t.ExpiringSoon)} {expiring}, {N(t.Expired)} expired; {Of(t.Engineers, "engineer")}, " +
        $"{N(t.Unmapped)} with a title that maps to no role.";

    private static string Line(ReportHeader h) =>
        $"As of {h.AsOf:yyyy-MM-dd}. {(h.PreparedBy is { } job ? $"Prepared for {h.ExportedBy} by {job}" : $"Exported by {h.ExportedBy}")} " +
        $"({h.Scope}) at {h.GeneratedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC.";

    public static void Team(TeamReport r, Stream output, bool subsetFonts = true)
    {
        using var pdf = new PdfLayout($"Team report: {r.TeamName}", $"as of {r.Header.AsOf:yyyy-MM-dd}");
        pdf.Heading(r.TeamName, 20);
        pdf.Paragraph(Line(r.Header) + (r.ManagerEmail is null ? "" : $" Manager: {r.ManagerEmail}."), 9, PdfLayout.Muted);
        SummaryPage(pdf, r.Header, r.Totals, r.Coverage, r.Forecast);

        pdf.NewPage();
        pdf.Heading("Heat map");
        pdf.Paragraph("Each cell says its status in words: valid, expiring (inside the renewal window), expired, missing; n/a where the role does not recommend the certification.", 8.5f, PdfLayout.Muted);
        var columns = new List<PdfColumn> { new("Engineer", 2.2f), new("Role", 1.6f) };
        columns.AddRange(r.Columns.Select(c => new PdfColumn(c.Name, 1.1f)));
        pdf.Table(columns, r.Engineers.Select(e =>
        {
            var row = new List<PdfCell> { $"{e.Name} ({e.EmployeeId})", e.Role ?? ReportText.TitleNotMapped };
            foreach (var c in r.Columns)
            {
                var cell = e.Cells.FirstOrDefault(x => x.CertId == c.Id);
                row.Add(cell is null ? new PdfCell("n/a") : new PdfCell(ReportText.Status(cell.Status), Fills[cell.Status]));
            }
            return (IReadOnlyList<PdfCell>)row;
        }), size: 7.5f, headerSize: 7f);

        pdf.Heading("Next step per engineer");
        pdf.Table([new("Engineer", 2), new("Employee ID", 1), new("Title", 2), new("Next step", 3)],
            r.Engineers.Select(e => (IReadOnlyList<PdfCell>)[e.Name, e.EmployeeId, e.Title, ReportText.Next(e)]));
        pdf.Save(output, r.Header.GeneratedAt, subsetFonts);
    }

    /// <summary>The first page's body shared by both reports: tiles, the one-sentence summary, and the two charts side by side.</summary>
    private static void SummaryPage(PdfLayout pdf, ReportHeader header, ReportTotals totals, IReadOnlyList<CertCoverage> coverage,
        IReadOnlyList<ReportMonth> forecast)
    {
        pdf.Tiles(Tiles(totals, header.ExpiringLabel));
        pdf.Paragraph(Sentence(totals, header.ExpiringLabel), 9);
        var chartHeight = pdf.Height - pdf.Y - PdfLayout.Margin - PdfLayout.FooterSpace - 8;
        pdf.Drawing(Math.Max(200, chartHeight), (canvas, rect) =>
        {
            var half = (rect.Width - 12) / 2;
            Charts.CoverageByCertification(canvas, new SKRect(rect.Left, rect.Top, rect.Left + half, rect.Bottom), coverage, "Coverage by certification");
            Charts.Forecast(canvas, new SKRect(rect.Left + half + 12, rect.Top, rect.Right, rect.Bottom), forecast, "Expiry forecast, next 12 months");
        });
    }

    public static void Org(OrgReport r, Stream output, int topGaps = 10, bool subsetFonts = true)
    {
        using var pdf = new PdfLayout("Organisation report", $"as of {r.Header.AsOf:yyyy-MM-dd}");
        pdf.Heading("Certification coverage: organisation", 20);
        pdf.Paragraph(Line(r.Header) + $" {N(r.Teams.Count)} teams.", 9, PdfLayout.Muted);
        SummaryPage(pdf, r.Header, r.Totals, r.Coverage, r.Forecast);

        pdf.NewPage();
        pdf.Heading("Top gaps");
        pdf.Paragraph("Certifications with the most gaps (missing or expired where recommended).", 8.5f, PdfLayout.Muted);
        pdf.Table([new("Certification", 3), new("Recommended", 1, true), new("Held", 1, true), new("Missing", 1, true),
                new("Expired", 1, true), new("Gaps", 1, true), new("Coverage", 1, true)],
            r.Coverage.Where(c => c.Gaps > 0).OrderByDescending(c => c.Gaps).ThenBy(c => c.Name, StringComparer.Ordinal).Take(topGaps)
                .Select(c => (IReadOnlyList<PdfCell>)[c.Name, N(c.Recommended), N(c.Held), N(c.Missing), N(c.Expired), N(c.Gaps), Pct(c.CoveragePercent)]));

        pdf.Heading("Teams");
        pdf.Table([new("Team", 3), new("Manager", 3), new("Engineers", 1, true), new("Recommended", 1, true), new("Held", 1, true),
                new("Gaps", 1, true), new("Expiring", 1, true), new("Expired", 1, true), new("Coverage", 1, true)],
            r.Teams.Select(t => (IReadOnlyList<PdfCell>)[t.Name, t.ManagerEmail ?? "", N(t.Totals.Engineers), N(t.Totals.Recommended),
                N(t.Totals.Held), N(t.Totals.Gaps), N(t.Totals.ExpiringSoon), N(t.Totals.Expired),
                // Nothing recommended for the team's roles: no coverage, and no red for it.
                t.Totals.Recommended == 0 ? new PdfCell("n/a")
                : new PdfCell(Pct(t.Totals.CoveragePercent), t.Totals.CoveragePercent >= 80 ? Fills[ReportStatus.Valid]
                    : t.Totals.CoveragePercent >= 50 ? Fills[ReportStatus.Expiring] : Fills[ReportStatus.Expired])]));
        pdf.Save(output, r.Header.GeneratedAt, subsetFonts);
    }
}
