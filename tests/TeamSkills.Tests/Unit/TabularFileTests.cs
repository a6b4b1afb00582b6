using System.Text;
using ClosedXML.Excel;
using TeamSkills.Core.Imports;

namespace TeamSkills.Tests.Unit;

public sealed class TabularFileTests
{
    private static readonly TabularLimits Limits = new();

    private static TabularTable Csv(string text)
    {
        var (table, problem) = TabularFile.Read(Encoding.UTF8.GetBytes(text), Limits);
        Assert.Null(problem);
        return table!;
    }

    [Theory]
    [InlineData("a,b,c\n1,2,3\n")]
    [InlineData("a;b;c\r\n1;2;3\r\n")]
    [InlineData("a\tb\tc\n1\t2\t3")]
    [InlineData("\uFEFFa,b,c\n1,2,3\n")]
    public void Csv_DetectsTheDelimiter_AndStripsTheBom(string text)
    {
        var t = Csv(text);
        Assert.Equal(["a", "b", "c"], t.Header);
        Assert.Equal(["1", "2", "3"], Assert.Single(t.Rows).Cells);
        Assert.Equal(2, t.Rows[0].Line);
    }

    [Fact]
    public void Csv_AValueRepeatedDownAColumn_IsOneString_AndUniqueValuesStayApart()
    {
        var text = new StringBuilder("id,team\n");
        for (var i = 0; i < 3000; i++) text.Append($"E{i:D5},Team {i % 50}\n");
        var t = Csv(text.ToString());

        Assert.Equal(3000, t.Rows.Count);
        for (var i = 0; i < 3000; i++)
        {
            Assert.Equal($"E{i:D5}", t.Rows[i].Cells[0]);
            Assert.Equal($"Team {i % 50}", t.Rows[i].Cells[1]);
        }
        // The 60 rows of a team share their string: one per team, where reading each cell on its own gives 3,000.
        // (Two values whose hashes share a slot would take turns in it; the hash is the same in every run, and these
        // 50 names do not collide.)
        Assert.Equal(50, t.Rows.Select(r => r.Cells[1]).Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void Csv_ThousandsOfDistinctValuesInARepeatingColumn_AreEachReadAsWritten()
    {
        // The column repeats enough to be pooled, then brings far more distinct values than the pool has slots: every
        // one comes back as written (slots shared by a hash are told apart by their bytes), quoted, accented or not.
        var expected = new List<string>();
        var text = new StringBuilder("id,title\n");
        for (var i = 0; i < 2000; i++) expected.Add(i % 2 == 0 ? "Engineer" : "Manager");
        for (var i = 0; i < 20_000; i++) expected.Add((i % 3) switch { 0 => $"Título {i}", 1 => $"日本 {i}", _ => $"Role, level {i}" });
        for (var i = 0; i < expected.Count; i++)
            text.Append($"{i},{(expected[i].Contains(',') ? $"\"{expected[i]}\"" : expected[i])}\n");
        var t = Csv(text.ToString());

        Assert.Equal(expected, t.Rows.Select(r => r.Cells[1]));
        Assert.Equal(2, t.Rows.Take(2000).Select(r => r.Cells[1]).Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void Csv_ARowOfHundredsOfThousandsOfFields_IsReadWithoutAPoolPerField()
    {
        // 300,000 one-letter fields on one line: read as plain strings past the pooled columns (a pool each would take
        // 64 KB, 19 GB in all), and every field is there.
        var fields = 300_000;
        var t = Csv("a,b\n" + string.Join(",", Enumerable.Repeat("x", fields)) + "\n");
        var row = Assert.Single(t.Rows);
        Assert.Equal(fields, row.Cells.Length);
        Assert.All(row.Cells, c => Assert.Equal("x", c));
    }

    [Fact]
    public void Csv_HandlesQuotesEscapesAndEmbeddedLineBreaks_WithTheStartingLine()
    {
        var t = Csv("name,note\n\"Doe, Jane\",\"said \"\"hi\"\"\"\n\"multi\nline\",x\n\nlast,\"\"\n");
        Assert.Equal(["Doe, Jane", "said \"hi\""], t.Rows[0].Cells);
        Assert.Equal(["multi\nline", "x"], t.Rows[1].Cells);
        Assert.Equal(3, t.Rows[1].Line);
        Assert.Equal(["last", ""], t.Rows[2].Cells);
        Assert.Equal(6, t.Rows[2].Line); // the blank line 5 is skipped but counted
    }

    [Fact]
    public void Csv_CommaInsideQuotedHeader_DoesNotConfuseDetection()
    {
        var t = Csv("\"a;b\",c\n1,2\n");
        Assert.Equal(["a;b", "c"], t.Header);
    }

    [Theory]
    [InlineData("a,b\n\"open,1\n", 422)]
    [InlineData("a,b\n\"x\"y,1\n", 422)]
    [InlineData("", 422)]
    public void Csv_Malformed_IsAProblemWithALine(string text, int status)
    {
        var (table, problem) = TabularFile.Read(Encoding.UTF8.GetBytes(text), Limits);
        Assert.Null(table);
        Assert.Equal(status, problem!.StatusCode);
    }

    [Fact]
    public void Csv_TooManyColumns_IsRefused()
    {
        var header = string.Join(",", Enumerable.Range(0, 300).Select(i => $"c{i}"));
        var (_, problem) = TabularFile.Read(Encoding.UTF8.GetBytes(header + "\n"), Limits);
        Assert.Contains("columns", problem!.Message);
    }

    [Fact]
    public void Xlsx_ReadsStringsNumbersAndDates_FromTheFirstSheet()
    {
        using var wb = new XLWorkbook();
        var ws = wb.AddWorksheet("Roster");
        ws.Cell(1, 1).Value = "employee_id";
        ws.Cell(1, 2).Value = "earned_on";
        ws.Cell(1, 3).Value = "name";
        ws.Cell(2, 1).Value = 1001;
        ws.Cell(2, 2).Value = new DateTime(2024, 3, 1);
        ws.Cell(2, 3).Value = "Zoë <O'Brien>";
        ws.Cell(4, 1).Value = "E2"; // row 3 left blank
        wb.AddWorksheet("Other").Cell(1, 1).Value = "ignored";
        using var ms = new MemoryStream();
        wb.SaveAs(ms);

        var (table, problem) = TabularFile.Read(ms.ToArray(), Limits);
        Assert.Null(problem);
        Assert.Equal("xlsx", table!.Format);
        Assert.Equal(["employee_id", "earned_on", "name"], table.Header);
        Assert.Equal(["1001", "2024-03-01", "Zoë <O'Brien>"], table.Rows[0].Cells);
        Assert.Equal(2, table.Rows[0].Line);
        Assert.Equal(4, table.Rows[1].Line);
        Assert.Equal("E2", table.Rows[1].Cells[0]);
    }
    [Fact]
    public void Xlsx_InThe1904DateSystem_ReadsTheSameDatesExcelShows()
    {
        // Excel for Mac's old default counts days from 1904-01-01: the serial of 2026-01-15 there is 1,462 less than in 1900's.
        var serial = new DateOnly(2026, 1, 15).DayNumber - new DateOnly(1904, 1, 1).DayNumber;
        using var wb = new XLWorkbook();
        var ws = wb.AddWorksheet("Completions");
        ws.Cell(1, 1).Value = "earned_on";
        ws.Cell(2, 1).Value = serial;
        ws.Cell(2, 1).Style.DateFormat.Format = "yyyy-mm-dd";
        ws.Cell(3, 1).Value = 2958000; // a valid 1900 serial (9998-…) that the 1904 shift takes past DateTime's end
        ws.Cell(3, 1).Style.DateFormat.Format = "yyyy-mm-dd";
        using var ms = new MemoryStream();
        wb.SaveAs(ms);
        var read1900 = TabularFile.Read(ms.ToArray(), Limits).Table!.Rows[0].Cells[0];
        Assert.Equal("2022-01-14", read1900); // the same serial, in the 1900 system: 4 years and a day earlier

        // The same workbook, marked date1904 as Excel for Mac writes it.
        using (var zip = new System.IO.Compression.ZipArchive(ms, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = zip.GetEntry("xl/workbook.xml")!;
            string xml;
            using (var reader = new StreamReader(entry.Open())) xml = reader.ReadToEnd();
            xml = System.Text.RegularExpressions.Regex.IsMatch(xml, "<(\\w+:)?workbookPr")
                ? System.Text.RegularExpressions.Regex.Replace(xml, "<((\\w+:)?)workbookPr", "<$1workbookPr date1904=\"1\"")
                : System.Text.RegularExpressions.Regex.Replace(xml, "<((\\w+:)?)sheets>", "<$1workbookPr date1904=\"1\"/><$1sheets>");
            Assert.Contains("date1904=\"1\"", xml);
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("xl/workbook.xml").Open());
            writer.Write(xml);
        }
        var (table, problem) = TabularFile.Read(ms.ToArray(), Limits);
        Assert.Null(problem);
        Assert.Equal("2026-01-15", table!.Rows[0].Cells[0]);
        Assert.Equal("2958000", table.Rows[1].Cells[0]); // not a date there: left as the number (the import says it is not a date)
    }
}
