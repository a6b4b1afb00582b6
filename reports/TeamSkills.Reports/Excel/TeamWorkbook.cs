using ClosedXML.Excel;

namespace TeamSkills.Reports.Excel;

/// <summary>A team's workbook, small enough to build as a ClosedXML document: Summary, Heat map, Expiring, Engineers, Catalog.</summary>
public static class TeamWorkbook
{
    public const int ExpiringDays = 180;

    public static readonly IReadOnlyDictionary<ReportStatus, XLColor> Fills = new Dictionary<ReportStatus, XLColor>
    {
        [ReportStatus.Valid] = XLColor.FromHtml("#C6EFCE"),
        [ReportStatus.Expiring] = XLColor.FromHtml("#FFEB9C"),
        [ReportStatus.Expired] = XLColor.FromHtml("#FFC7CE"),
        [ReportStatus.Missing] = XLColor.FromHtml("#E7E6E6"),
    };

    public static void Write(TeamReport report, Stream output)
    {
        using var wb = new XLWorkbook();
        Summary(wb.AddWorksheet("Summary"), report);
        HeatMap(wb.AddWorksheet("Heat map"), report);
        Expiring(wb.AddWorksheet("Expiring"), report);
        Engineers(wb.AddWorksheet("Engineers"), report);
        Catalog(wb.AddWorksheet("Catalog"), report.Catalog);
        wb.SaveAs(output);
    }

    /// <summary>Every text cell goes through here: a value that looks like a formula stays text.</summary>
    public static IXLCell Text(this IXLCell cell, string? text)
    {
        cell.SetValue(text ?? "");
        cell.DataType = XLDataType.Text;
        if (FormulaGuard.IsRisky(text)) cell.Style.IncludeQuotePrefix = true;
        return cell;
    }

    private static IXLCell Date(this IXLCell cell, DateOnly? date)
    {
        if (date is { } d)
        {
            cell.SetValue(d.ToDateTime(TimeOnly.MinValue));
            cell.Style.DateFormat.Format = "yyyy-mm-dd";
        }
        return cell;
    }

    internal static void SummaryRows(IXLWorksheet ws, ReportHeader h, ReportTotals t, IEnumerable<(string, string)> extra)
    {
        var rows = new List<(string Label, object Value)>
        {
            ("Report", h.Title), ("As of", h.AsOf), (h.Origin.Label, h.Origin.Value), ("Scope", h.Scope),
            ("Generated (UTC)", h.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)),
        };
        rows.AddRange(extra.Select(x => (x.Item1, (object)x.Item2)));
        rows.Add(("Expiring soon means", ExpiringSoonMeans(h)));
        rows.AddRange(
        [
            ("Engineers", t.Engineers), ("Recommended", t.Recommended), ("Held", t.Held), ("Gaps", t.Gaps),
            ("Expiring soon", t.ExpiringSoon), ("Expired", t.Expired), ("Unmapped titles", t.Unmapped), ("Coverage %", t.CoverageSummary),
        ]);
        for (var i = 0; i < rows.Count; i++)
        {
            ws.Cell(i + 1, 1).Text(rows[i].Label).Style.Font.Bold = true;
            var cell = ws.Cell(i + 1, 2);
            switch (rows[i].Value)
            {
                case int n: cell.SetValue(n); break;
                case double d: cell.SetValue(d); cell.Style.NumberFormat.Format = "0.0"; break;
                case DateOnly d: cell.Date(d); break;
                default: cell.Text(rows[i].Value.ToString()); break;
            }
        }
        ws.Column(1).Width = 18;
        ws.Column(2).Width = Math.Clamp(rows.Max(r => r.Value.ToString()!.Length) * 1.1 + 2, 12, 60);
    }

    // The Expiring sheet looks further ahead than "Expiring soon" (each certification's renewal window): say how far.
    private static void Summary(IXLWorksheet ws, TeamReport r) =>
        SummaryRows(ws, r.Header, r.Totals, [("Team", r.TeamName), ("Manager", r.ManagerEmail ?? ""), ("Expiring sheet", ExpiringHorizon(r.Header.AsOf))]);

    /// <summary>What the "Expiring soon" count holds, in the words of the pages' tile.</summary>
    internal static string ExpiringSoonMeans(ReportHeader h) => $"held, and {h.ExpiringLabel} (inside the renewal window)";

    private static string ExpiringHorizon(DateOnly asOf) =>
        $"Expiring within {ExpiringDays} days: held certifications that expire after {asOf:yyyy-MM-dd} and by {asOf.AddDays(ExpiringDays):yyyy-MM-dd}";

    private static void HeatMap(IXLWorksheet ws, TeamReport r)
    {
        string[] fixedHeaders = ["Employee ID", "Name", "Role", "Next step"];
        var widths = new ColumnWidths(fixedHeaders.Length + r.Columns.Count);
        for (var c = 0; c < fixedHeaders.Length; c++) { ws.Cell(1, c + 1).Text(fixedHeaders[c]); widths.See(c, fixedHeaders[c]); }
        for (var c = 0; c < r.Columns.Count; c++)
        {
            ws.Cell(1, fixedHeaders.Length + c + 1).Text(r.Columns[c].Name);
            widths.See(fixedHeaders.Length + c, "expiring"); // headers wrap; cells hold one word
        }
        var row = 2;
        foreach (var e in r.Engineers)
        {
            string[] values = [e.EmployeeId, e.Name, e.Role ?? ReportText.TitleNotMapped, ReportText.Next(e)];
            for (var c = 0; c < values.Length; c++) { ws.Cell(row, c + 1).Text(values[c]); widths.See(c, values[c]); }
            for (var c = 0; c < r.Columns.Count; c++)
            {
                var cell = ws.Cell(row, fixedHeaders.Length + c + 1);
                var found = e.Cells.FirstOrDefault(x => x.CertId == r.Columns[c].Id);
                if (found is null) { cell.Text("n/a"); continue; }
                cell.Text(ReportText.Status(found.Status)).Style.Fill.BackgroundColor = Fills[found.Status];
            }
            row++;
        }
        var header = ws.Range(1, 1, 1, widths.Count);
        header.Style.Font.Bold = true;
        header.Style.Alignment.WrapText = true;
        header.Style.Alignment.Vertical = XLAlignmentVerticalValues.Top;
        ws.Row(1).Height = 45;
        for (var c = 0; c < widths.Count; c++) ws.Column(c + 1).Width = c < fixedHeaders.Length ? widths.Width(c) : 16;
        ws.SheetView.FreezeRows(1);
        ws.SheetView.FreezeColumns(2);
        // Printed (or converted to PDF): landscape, one page wide, the header row on every page.
        ws.PageSetup.PageOrientation = XLPageOrientation.Landscape;
        ws.PageSetup.FitToPages(1, 0);
        ws.PageSetup.SetRowsToRepeatAtTop(1, 1);
        ws.Range(1, 1, Math.Max(1, row - 1), widths.Count).SetAutoFilter();
    }

    private static void Expiring(IXLWorksheet ws, TeamReport r)
    {
        string[] headers = ["Employee ID", "Name", "Certification", "Status", "Expires on", "Days left"];
        Table(ws, headers, ReportText.ExpiringWithin(r.Engineers, r.Header.AsOf, ExpiringDays).Select(x => new object?[]
        {
            x.Engineer.EmployeeId, x.Engineer.Name, x.Cell.CertName, ReportText.Status(x.Cell.Status), x.Cell.ExpiresOn,
            x.Cell.ExpiresOn!.Value.DayNumber - r.Header.AsOf.DayNumber,
        }));
    }

    private static void Engineers(IXLWorksheet ws, TeamReport r) =>
        Table(ws, FlatHeaders, r.Engineers.SelectMany(e => FlatRows(r.TeamName, e)));

    public static readonly string[] FlatHeaders =
        ["Team", "Employee ID", "Name", "Email", "Title", "Role", "Certification", "Status", "Earned on", "Expires on", "Next step"];

    /// <summary>One row per engineer and recommended certification (one row with no certification for an unmapped title).</summary>
    public static IEnumerable<object?[]> FlatRows(string team, ReportEngineer e)
    {
        if (e.Cells.Count == 0)
        {
            yield return [team, e.EmployeeId, e.Name, e.Email, e.Title, e.Role ?? "", "", "", null, null, ReportText.Next(e)];
            yield break;
        }
        foreach (var c in e.Cells)
            yield return [team, e.EmployeeId, e.Name, e.Email, e.Title, e.Role ?? "", c.CertName, ReportText.Status(c.Status), c.EarnedOn, c.ExpiresOn, ReportText.Next(e)];
    }

    internal static void Catalog(IXLWorksheet ws, IReadOnlyList<ReportCert> catalog) =>
        Table(ws, ["ID", "Certification", "Level", "Validity (months)", "Renewal window (days)", "Hard prerequisite"],
            catalog.Select(c => new object?[] { c.Id, c.Name, c.Level, c.ValidityMonths, c.RenewalWindowDays, c.Prerequisite ?? "" }));

    internal static void Table(IXLWorksheet ws, string[] headers, IEnumerable<object?[]> rows)
    {
        var widths = new ColumnWidths(headers.Length);
        for (var c = 0; c < headers.Length; c++) { ws.Cell(1, c + 1).Text(headers[c]).Style.Font.Bold = true; widths.See(c, headers[c]); }
        var row = 2;
        foreach (var values in rows)
        {
            for (var c = 0; c < values.Length; c++)
            {
                var cell = ws.Cell(row, c + 1);
                switch (values[c])
                {
                    case null: break;
                    case int n: cell.SetValue(n); widths.See(c, n.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
                    case double d: cell.SetValue(d); widths.See(c, d.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
                    case DateOnly d: cell.Date(d); widths.See(c, "yyyy-mm-dd"); break;
                    case var v: var s = v.ToString(); cell.Text(s); widths.See(c, s); break;
                }
            }
            row++;
        }
        for (var c = 0; c < headers.Length; c++) ws.Column(c + 1).Width = widths.Width(c);
        ws.SheetView.FreezeRows(1);
        ws.Range(1, 1, Math.Max(1, row - 1), headers.Length).SetAutoFilter();
    }
}
