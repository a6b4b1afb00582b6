using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace TeamSkills.Reports.Excel;

/// <summary>
/// A workbook written sheet by sheet with the Open XML SDK's <see cref="OpenXmlWriter"/> (the SDK ClosedXML itself uses),
/// one row at a time: memory stays flat however many rows pass through. Text is written as inline strings (never a
/// formula); text a spreadsheet would take for a formula also gets the quotePrefix style, so Excel keeps it text when
/// the cell is edited.
/// </summary>
public sealed class StreamingWorkbook : IDisposable
{
    public const uint StyleHeader = 1, StyleDate = 2, StyleQuoted = 3, StyleDecimal = 4, StyleStatus = 5;
    /// <summary>Rows used to size the columns before they are written (widths must precede the rows in the XML).</summary>
    public const int SampleRows = 500;

    private readonly SpreadsheetDocument _doc;
    private readonly WorkbookPart _workbook;
    private readonly List<(string Name, string RelId)> _sheets = [];

    public StreamingWorkbook(Stream output)
    {
        _doc = SpreadsheetDocument.Create(output, SpreadsheetDocumentType.Workbook);
        _workbook = _doc.AddWorkbookPart();
        _workbook.AddNewPart<WorkbookStylesPart>().Stylesheet = Styles();
    }

    public static uint StatusStyle(ReportStatus s) => StyleStatus + (uint)s;

    /// <summary>Writes one sheet from <paramref name="rows"/> (enumerated once), header row frozen and filtered.</summary>
    public long AddSheet(string name, string[] headers, IEnumerable<object?[]> rows, int freezeColumns = 0)
    {
        var part = _workbook.AddNewPart<WorksheetPart>();
        _sheets.Add((name, _workbook.GetIdOfPart(part)));
        var widths = new ColumnWidths(headers.Length);
        for (var c = 0; c < headers.Length; c++) widths.See(c, headers[c]);

        using var enumerator = rows.GetEnumerator();
        var sample = new List<object?[]>(SampleRows);
        while (sample.Count < SampleRows && enumerator.MoveNext())
        {
            sample.Add(enumerator.Current);
            for (var c = 0; c < enumerator.Current.Length; c++) widths.See(c, Display(enumerator.Current[c]));
        }

        using var sheet = new SheetWriter(part, headers.Length);
        sheet.Begin(widths, freezeColumns);
        sheet.Row(headers.Select(h => (object?)new Styled(h, StyleHeader)).ToArray());
        foreach (var r in sample) sheet.Row(r);
        while (enumerator.MoveNext()) sheet.Row(enumerator.Current);
        sheet.End();
        return sheet.RowCount - 1;
    }

    public void Dispose()
    {
        var sheets = new Sheets();
        for (var i = 0; i < _sheets.Count; i++)
            sheets.Append(new Sheet { Name = _sheets[i].Name, SheetId = (uint)(i + 1), Id = _sheets[i].RelId });
        _workbook.Workbook = new Workbook(sheets);
        _workbook.Workbook.Save();
        _doc.Dispose();
    }

    private static string? Display(object? v) => v switch
    {
        null => null,
        DateOnly => "yyyy-mm-dd",
        Styled s => s.Text,
        double d => d.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
    };

    private static Stylesheet Styles()
    {
        Fill Solid(string rgb) => new(new PatternFill(new ForegroundColor { Rgb = "FF" + rgb }) { PatternType = PatternValues.Solid });
        var fills = new Fills(
            new Fill(new PatternFill { PatternType = PatternValues.None }),
            new Fill(new PatternFill { PatternType = PatternValues.Gray125 }),
            Solid("C6EFCE"), Solid("FFEB9C"), Solid("FFC7CE"), Solid("E7E6E6"));
        var xfs = new CellFormats(
            new CellFormat(),
            new CellFormat { FontId = 1, ApplyFont = true },
            new CellFormat { NumberFormatId = 164, ApplyNumberFormat = true },
            new CellFormat { QuotePrefix = true },
            new CellFormat { NumberFormatId = 165, ApplyNumberFormat = true },
            new CellFormat { FillId = 2, ApplyFill = true },
            new CellFormat { FillId = 3, ApplyFill = true },
            new CellFormat { FillId = 4, ApplyFill = true },
            new CellFormat { FillId = 5, ApplyFill = true });
        return new Stylesheet(
            new NumberingFormats(
                new NumberingFormat { NumberFormatId = 164, FormatCode = "yyyy-mm-dd" },
                new NumberingFormat { NumberFormatId = 165, FormatCode = "0.0" }),
            new Fonts(new Font(new FontSize { Val = 11 }, new FontName { Val = "Calibri" }),
                new Font(new Bold(), new FontSize { Val = 11 }, new FontName { Val = "Calibri" })),
            fills,
            new Borders(new Border()),
            new CellStyleFormats(new CellFormat()),
            xfs);
    }

    /// <summary>A text cell with a chosen style (a header, a status with its fill).</summary>
    public sealed record Styled(string Text, uint Style);

    private sealed class SheetWriter(WorksheetPart part, int columns) : IDisposable
    {
        private static readonly Cell CellTag = new();
        private static readonly Row RowTag = new();
        private static readonly InlineString InlineTag = new();
        private static readonly Text TextTag = new();
        private static readonly CellValue ValueTag = new();
        private static readonly OpenXmlAttribute[] Preserve = [new("xml", "space", "http://www.w3.org/XML/1998/namespace", "preserve")];

        private readonly OpenXmlWriter _w = OpenXmlWriter.Create(part);
        private readonly string[] _letters = Enumerable.Range(0, columns).Select(Letters).ToArray();
        private readonly List<OpenXmlAttribute> _attrs = new(3);
        public int RowCount { get; private set; }

        public void Begin(ColumnWidths widths, int freezeColumns)
        {
            _w.WriteStartElement(new Worksheet());
            var pane = new Pane { VerticalSplit = 1, TopLeftCell = $"{Letters(freezeColumns)}2", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen };
            if (freezeColumns > 0) { pane.HorizontalSplit = freezeColumns; pane.ActivePane = PaneValues.BottomRight; }
            _w.WriteElement(new SheetViews(new SheetView(pane) { WorkbookViewId = 0 }));
            var cols = new Columns();
            for (var c = 0; c < widths.Count; c++)
                cols.Append(new Column { Min = (uint)c + 1, Max = (uint)c + 1, Width = widths.Width(c), CustomWidth = true });
            _w.WriteElement(cols);
            _w.WriteStartElement(new SheetData());
        }

        public void Row(object?[] values)
        {
            RowCount++;
            var r = RowCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _w.WriteStartElement(RowTag, [new OpenXmlAttribute("r", "", r)]);
            for (var c = 0; c < values.Length && c < _letters.Length; c++)
            {
                var v = values[c];
                if (v is null) continue;
                _attrs.Clear();
                _attrs.Add(new OpenXmlAttribute("r", "", _letters[c] + r));
                switch (v)
                {
                    case int n: Number(n.ToString(System.Globalization.CultureInfo.InvariantCulture), 0); break;
                    case long n: Number(n.ToString(System.Globalization.CultureInfo.InvariantCulture), 0); break;
                    case double d: Number(d.ToString("R", System.Globalization.CultureInfo.InvariantCulture), StyleDecimal); break;
                    case DateOnly d: Number(d.ToDateTime(TimeOnly.MinValue).ToOADate().ToString(System.Globalization.CultureInfo.InvariantCulture), StyleDate); break;
                    case Styled s: Inline(s.Text, FormulaGuard.IsRisky(s.Text) ? StyleQuoted : s.Style); break;
                    default:
                        var text = Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                        Inline(text, FormulaGuard.IsRisky(text) ? StyleQuoted : 0);
                        break;
                }
            }
            _w.WriteEndElement();
        }

        private void Number(string value, uint style)
        {
            if (style != 0) _attrs.Add(new OpenXmlAttribute("s", "", style.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            _w.WriteStartElement(CellTag, _attrs);
            _w.WriteStartElement(ValueTag);
            _w.WriteString(value);
            _w.WriteEndElement();
            _w.WriteEndElement();
        }

        private void Inline(string text, uint style)
        {
            _attrs.Add(new OpenXmlAttribute("t", "", "inlineStr"));
            if (style != 0) _attrs.Add(new OpenXmlAttribute("s", "", style.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            _w.WriteStartElement(CellTag, _attrs);
            _w.WriteStartElement(InlineTag);
            text = XmlSafe(text);
            if (text.Length > 0 && (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1]))) _w.WriteStartElement(TextTag, Preserve);
            else _w.WriteStartElement(TextTag);
            _w.WriteString(text);
            _w.WriteEndElement();
            _w.WriteEndElement();
            _w.WriteEndElement();
        }

        public void End()
        {
            _w.WriteEndElement(); // sheetData
            var last = Math.Max(1, RowCount);
            _w.WriteElement(new AutoFilter { Reference = $"A1:{_letters[^1]}{last}" });
            _w.WriteEndElement(); // worksheet
        }

        public void Dispose() => _w.Dispose();

        /// <summary>XML 1.0 cannot carry most control characters; a roster cell with one must not break the file.</summary>
        private static string XmlSafe(string text)
        {
            foreach (var ch in text)
            {
                if (ch < 0x20 && ch is not ('\t' or '\n' or '\r') || ch is '\uFFFE' or '\uFFFF')
                    return string.Concat(text.Select(x => x < 0x20 && x is not ('\t' or '\n' or '\r') || x is '\uFFFE' or '\uFFFF' ? '\uFFFD' : x));
            }
            return text;
        }
    }

    public static string Letters(int column)
    {
        var s = "";
        for (var n = column + 1; n > 0; n = (n - 1) / 26) s = (char)('A' + (n - 1) % 26) + s;
        return s;
    }
}
