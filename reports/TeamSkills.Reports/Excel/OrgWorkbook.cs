namespace TeamSkills.Reports.Excel;

/// <summary>
/// The org workbook, streamed: Summary, Teams (one row per team), Engineers (one row per engineer, with a status column
/// per catalog certification), Catalog. Excel's 1,048,576-row limit splits Engineers into more sheets past it.
/// </summary>
public static class OrgWorkbook
{
    public const int MaxRowsPerSheet = 1_048_575;

    public static readonly string[] TeamHeaders =
        ["Team ID", "Team", "Manager", "Engineers", "Recommended", "Held", "Gaps", "Expiring soon", "Expired", "Unmapped titles", "Coverage %"];

    public static readonly string[] EngineerFixedHeaders =
        ["Team", "Employee ID", "Name", "Email", "Title", "Role", "Recommended", "Held", "Gaps", "Expiring soon", "Expired", "Next step"];

    /// <summary>Writes the workbook; <paramref name="progress"/> gets engineer rows written so far (every 1,000).</summary>
    public static void Write(OrgReport report, Stream output, Action<long>? progress = null)
    {
        using var wb = new StreamingWorkbook(output);
        wb.AddSheet("Summary", ["Item", "Value"], SummaryRows(report));
        wb.AddSheet("Teams", TeamHeaders, report.Teams.Select(TeamRow), freezeColumns: 2);
        var headers = EngineerHeaders(report.Catalog);
        long written = 0;
        var rows = report.Engineers.Select(e =>
        {
            if (++written % 1000 == 0) progress?.Invoke(written);
            return EngineerRow(e, report.Catalog);
        });
        using var all = rows.GetEnumerator();
        var part = 1;
        var more = true;
        while (more)
        {
            // Each sheet takes at most MaxRowsPerSheet rows from the one enumeration.
            var chunk = Take(all, MaxRowsPerSheet, () => more = false);
            wb.AddSheet(part == 1 ? "Engineers" : $"Engineers {part}", headers, chunk, freezeColumns: 3);
            part++;
            if (!more) break;
        }
        progress?.Invoke(written);
        wb.AddSheet("Catalog", ["ID", "Certification", "Level", "Validity (months)", "Renewal window (days)", "Hard prerequisite"],
            report.Catalog.Select(c => new object?[] { c.Id, c.Name, c.Level, c.ValidityMonths, c.RenewalWindowDays, c.Prerequisite ?? "" }));
    }

    private static IEnumerable<object?[]> Take(IEnumerator<object?[]> source, int max, Action exhausted)
    {
        for (var i = 0; i < max; i++)
        {
            if (!source.MoveNext()) { exhausted(); yield break; }
            yield return source.Current;
        }
        // A full sheet: whether more rows follow is learnt by the next sheet's first MoveNext (which may find none).
    }

    public const string StatusCellsItem = "Certification columns (Engineers)";

    public static IEnumerable<object?[]> SummaryRows(OrgReport r)
    {
        var h = r.Header;
        var t = r.Totals;
        return new object?[][]
        {
            ["Report", h.Title], ["As of", h.AsOf], [h.Origin.Label, h.Origin.Value], ["Scope", h.Scope],
            ["Generated (UTC)", h.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)],
            ["Teams", r.Teams.Count], ["Engineers", t.Engineers], ["Recommended", t.Recommended], ["Held", t.Held], ["Gaps", t.Gaps],
            ["Expiring soon", t.ExpiringSoon], ["Expiring soon means", TeamWorkbook.ExpiringSoonMeans(h)], ["Expired", t.Expired], ["Unmapped titles", t.Unmapped], ["Coverage %", t.CoverageSummary],
            // Empty rather than "n/a" (as the team reports say): a filter on a certification's column lists the engineers
            // it concerns at once, and a 100,000-row sheet does not carry a string in most of its cells.
            [StatusCellsItem, "valid, expiring (inside the renewal window), expired or missing; empty where the role does not recommend the certification"],
        };
    }

    public static object?[] TeamRow(TeamRow t) =>
        [t.Id, t.Name, t.ManagerEmail ?? "", t.Totals.Engineers, t.Totals.Recommended, t.Totals.Held, t.Totals.Gaps,
            t.Totals.ExpiringSoon, t.Totals.Expired, t.Totals.Unmapped, t.Totals.CoverageCell];

    public static string[] EngineerHeaders(IReadOnlyList<ReportCert> catalog) =>
        [.. EngineerFixedHeaders, .. catalog.Select(c => c.Name)];

    /// <summary>One engineer: fixed columns, then a status per catalog certification (empty when not recommended).</summary>
    public static object?[] EngineerRow(OrgEngineer oe, IReadOnlyList<ReportCert> catalog)
    {
        var e = oe.Engineer;
        int held = 0, gaps = 0, expiring = 0, expired = 0;
        var row = new object?[EngineerFixedHeaders.Length + catalog.Count];
        foreach (var c in e.Cells)
        {
            switch (c.Status)
            {
                case ReportStatus.Valid: held++; break;
                case ReportStatus.Expiring: held++; expiring++; break;
                case ReportStatus.Expired: gaps++; expired++; break;
                default: gaps++; break;
            }
            for (var i = 0; i < catalog.Count; i++)
            {
                if (catalog[i].Id != c.CertId) continue;
                row[EngineerFixedHeaders.Length + i] = Status(c.Status);
                break;
            }
        }
        row[0] = oe.Team; row[1] = e.EmployeeId; row[2] = e.Name; row[3] = e.Email; row[4] = e.Title; row[5] = e.Role ?? "";
        row[6] = e.Cells.Count; row[7] = held; row[8] = gaps; row[9] = expiring; row[10] = expired; row[11] = ReportText.Next(e);
        return row;
    }

    private static readonly StreamingWorkbook.Styled[] Statuses =
        Enum.GetValues<ReportStatus>().Select(s => new StreamingWorkbook.Styled(ReportText.Status(s), StreamingWorkbook.StatusStyle(s))).ToArray();

    private static StreamingWorkbook.Styled Status(ReportStatus s) => Statuses[(int)s];
}
