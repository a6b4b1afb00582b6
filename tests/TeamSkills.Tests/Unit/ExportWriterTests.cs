using ClosedXML.Excel;
using TeamSkills.Reports;
using TeamSkills.Reports.Excel;
using TeamSkills.Web.Features.Exports;

namespace TeamSkills.Tests.Unit;

public sealed class ExportWriterTests
{
    [Theory]
    [InlineData("=1+1", true)]
    [InlineData("+44 20", true)]
    [InlineData("-2", true)]
    [InlineData("@SUM(A1)", true)]
    [InlineData("\tx", true)]
    [InlineData("\rx", true)]
    [InlineData("Ann = Bob", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void FormulaGuard_FlagsOnlyTextStartingLikeAFormula(string? text, bool risky)
    {
        Assert.Equal(risky, FormulaGuard.IsRisky(text));
        Assert.Equal(risky ? "'" + text : text ?? "", FormulaGuard.ForCsv(text));
    }

    [Fact]
    public void StreamingWorkbook_WritesFormulaLikeTextAsQuotedText_NeverAFormula()
    {
        var payload = "=HYPERLINK(\"http://x\",\"y\")";
        var ms = new MemoryStream();
        using (var wb = new StreamingWorkbook(ms))
            wb.AddSheet("S", ["Name", "Count", "Day"], [[payload, 3, new DateOnly(2026, 6, 1)], ["-1", 4, null]]);
        ms.Position = 0;
        using var read = new XLWorkbook(ms);
        var ws = read.Worksheet("S");
        Assert.False(ws.Cell(2, 1).HasFormula);
        Assert.Equal(XLDataType.Text, ws.Cell(2, 1).DataType);
        Assert.Equal(payload, ws.Cell(2, 1).GetString());
        Assert.True(ws.Cell(2, 1).Style.IncludeQuotePrefix);
        Assert.Equal("-1", ws.Cell(3, 1).GetString());
        Assert.Equal(XLDataType.Text, ws.Cell(3, 1).DataType);
        Assert.Equal(3, ws.Cell(2, 2).GetValue<int>());
        Assert.Equal(new DateTime(2026, 6, 1), ws.Cell(2, 3).GetDateTime());
    }

    [Fact]
    public void TeamWorkbookText_KeepsAFormulaPayloadAsText()
    {
        using var wb = new XLWorkbook();
        var cell = wb.AddWorksheet("S").Cell(1, 1).Text("=1+1");
        Assert.False(cell.HasFormula);
        Assert.Equal("=1+1", cell.GetString());
        Assert.True(cell.Style.IncludeQuotePrefix);
    }

    [Theory]
    [InlineData("Platform", "teamskills-Platform-2026-06-01.pdf")]
    [InlineData("../We/st \"Ops\"", "teamskills-We-st-Ops-2026-06-01.pdf")]
    [InlineData("a\\b:c\r\nd", "teamskills-a-b-c-d-2026-06-01.pdf")]
    [InlineData("..", "teamskills-report-2026-06-01.pdf")]
    public void FileName_KeepsTheTeamName_WithoutPathOrQuoteCharacters(string team, string expected) =>
        Assert.Equal(expected, ExportFiles.FileName(team, new DateOnly(2026, 6, 1), "pdf"));

    [Fact]
    public void ColumnWidths_FollowTheLongestText_WithinBounds()
    {
        var w = new ColumnWidths(2);
        w.See(0, "short");
        w.See(0, new string('x', 30));
        w.See(1, new string('y', 500));
        Assert.Equal(35, w.Width(0));
        Assert.Equal(ColumnWidths.Max, w.Width(1));
    }

    [Fact]
    public void ExpiringWithin_KeepsHeldCertificationsInsideTheHorizonOnly()
    {
        var asOf = new DateOnly(2026, 6, 1);
        var e = new ReportEngineer("E1", "Ann", "a@x", "SRE", "SRE",
        [
            new("a", "A", ReportStatus.Valid, asOf.AddYears(-1), asOf.AddDays(180)),
            new("b", "B", ReportStatus.Valid, asOf.AddYears(-1), asOf.AddDays(181)),
            new("c", "C", ReportStatus.Expired, asOf.AddYears(-3), asOf),
            new("d", "D", ReportStatus.Missing, null, null),
        ], "B");
        Assert.Equal(["a"], ReportText.ExpiringWithin([e], asOf, 180).Select(x => x.Cell.CertId));
    }

    [Fact]
    public void Next_NamesTheRenewalDueFirst_AfterTheNextStepOrAllHeld()
    {
        var asOf = new DateOnly(2026, 6, 1);
        ReportEngineer Holding(params ReportCell[] cells) => new("E1", "Ann", "a@x", "SRE", "SRE", cells, null);
        Assert.Equal("all held; renew B by 2026-06-20", ReportText.Next(Holding(
            new("a", "A", ReportStatus.Expiring, asOf.AddYears(-1), new DateOnly(2026, 7, 1)),
            new("b", "B", ReportStatus.Expiring, asOf.AddYears(-1), new DateOnly(2026, 6, 20)),
            new("c", "C", ReportStatus.Valid, asOf.AddYears(-1), new DateOnly(2026, 6, 10)))));
        Assert.Equal("all held", ReportText.Next(Holding(new ReportCell("c", "C", ReportStatus.Valid, asOf.AddYears(-1), asOf.AddYears(2)))));
        // Something else next: the renewal due is named after it.
        Assert.Equal("take B; renew A by 2026-06-06", ReportText.Next(Holding(new ReportCell("a", "A", ReportStatus.Expiring, asOf, asOf.AddDays(5))) with { NextStep = "take B" }));
        Assert.Equal("take B", ReportText.Next(Holding(new ReportCell("a", "A", ReportStatus.Valid, asOf, asOf.AddYears(2))) with { NextStep = "take B" }));
        Assert.Equal("title not mapped", ReportText.Next(Holding() with { Role = null }));
    }
}
