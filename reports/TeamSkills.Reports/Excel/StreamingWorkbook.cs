using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Xml;

namespace TeamSkills.Reports.Excel;

/// <summary>
/// A workbook written as a zip of SpreadsheetML parts, one entry after another, each sheet one row at a time: memory
/// stays flat however many rows pass through, and the output stream need not be seekable. The Open XML SDK 2.20 (via
/// System.IO.Packaging) kept every sheet part in memory until the package closed, and cannot open a package
/// write-only, so the parts are written here with <see cref="ZipArchive"/> and <see cref="XmlWriter"/>. Text is
/// written as inline strings (never a formula); text a spreadsheet would take for a formula also gets the quotePrefix
/// style, so Excel keeps it text when the cell is edited.
/// </summary>
public sealed class StreamingWorkbook : IDisposable
{
    public const uint StyleHeader = 1, StyleDate = 2, StyleQuoted = 3, StyleDecimal = 4, StyleStatus = 5;
    /// <summary>Rows used to size the columns before they are written (widths must precede the rows in the XML).</summary>
    public const int SampleRows = 500;

    internal const string Main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private const string RelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    private const string PackageRels = "http://schemas.openxmlformats.org/package/2006/relationships";
    private const string ContentTypesNs = "http://schemas.openxmlformats.org/package/2006/content-types";
    private const string SheetType = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";

    private static readonly XmlWriterSettings Settings = new()
    {
        // Entitize keeps a CR inside a cell as CR (a parser would read a raw one back as LF).
        Encoding = new UTF8Encoding(false), CloseOutput = true, NewLineHandling = NewLineHandling.Entitize,
    };

    private readonly ZipArchive _zip;
    private readonly List<string> _sheets = [];
    private bool _disposed;

    public StreamingWorkbook(Stream output)
    {
        // Create mode writes each entry straight through (with a data descriptor when the stream cannot seek).
        _zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        Part("xl/styles.xml", WriteStyles);
    }

    public static uint StatusStyle(ReportStatus s) => StyleStatus + (uint)s;

    /// <summary>Writes one sheet from <paramref name="rows"/> (enumerated once), header row frozen and filtered.</summary>
    public long AddSheet(string name, string[] headers, IEnumerable<object?[]> rows, int freezeColumns = 0)
    {
        _sheets.Add(name);
        var widths = new ColumnWidths(headers.Length);
        for (var c = 0; c < headers.Length; c++) widths.See(c, headers[c]);

        using var enumerator = rows.GetEnumerator();
        var sample = new List<object?[]>(SampleRows);
        while (sample.Count < SampleRows && enumerator.MoveNext())
        {
            sample.Add(enumerator.Current);
            for (var c = 0; c < enumerator.Current.Length; c++) widths.See(c, Display(enumerator.Current[c]));
        }

        long written = 0;
        Part($"xl/worksheets/sheet{_sheets.Count}.xml", w =>
        {
            var sheet = new SheetWriter(w, headers.Length);
            sheet.Begin(widths, freezeColumns);
            sheet.Row(headers.Select(h => (object?)new Styled(h, StyleHeader)).ToArray());
            foreach (var r in sample) sheet.Row(r);
            sample.Clear(); // the sampled rows need not outlive their writing
            while (enumerator.MoveNext()) sheet.Row(enumerator.Current);
            sheet.End();
            written = sheet.RowCount - 1;
        });
        return written;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Part("xl/workbook.xml", w =>
        {
            w.WriteStartElement("workbook", Main);
            w.WriteAttributeString("xmlns", "r", null, RelNs);
            w.WriteStartElement("sheets", Main);
            for (var i = 0; i < _sheets.Count; i++)
            {
                w.WriteStartElement("sheet", Main);
                w.WriteAttributeString("name", _sheets[i]);
                w.WriteAttributeString("sheetId", Num(i + 1));
                w.WriteAttributeString("id", RelNs, $"rId{i + 1}");
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
        });
        Part("xl/_rels/workbook.xml.rels", w =>
        {
            w.WriteStartElement("Relationships", PackageRels);
            for (var i = 0; i < _sheets.Count; i++)
                Relationship(w, $"rId{i + 1}", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet", $"worksheets/sheet{i + 1}.xml");
            Relationship(w, $"rId{_sheets.Count + 1}", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles", "styles.xml");
            w.WriteEndElement();
        });
        Part("_rels/.rels", w =>
        {
            w.WriteStartElement("Relationships", PackageRels);
            Relationship(w, "rId1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument", "xl/workbook.xml");
            w.WriteEndElement();
        });
        Part("[Content_Types].xml", w =>
        {
            w.WriteStartElement("Types", ContentTypesNs);
            Default(w, "rels", "application/vnd.openxmlformats-package.relationships+xml");
            Default(w, "xml", "application/xml");
            Override(w, "/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml");
            Override(w, "/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml");
            for (var i = 0; i < _sheets.Count; i++) Override(w, $"/xl/worksheets/sheet{i + 1}.xml", SheetType);
            w.WriteEndElement();
        });
        _zip.Dispose();
    }

    /// <summary>One zip entry, written through an <see cref="XmlWriter"/> and closed before the next begins.</summary>
    private void Part(string path, Action<XmlWriter> write)
    {
        var entry = _zip.CreateEntry(path, CompressionLevel.Optimal);
        using var w = XmlWriter.Create(entry.Open(), Settings);
        w.WriteStartDocument(standalone: true);
        write(w);
        w.WriteEndDocument();
    }

    private static void Relationship(XmlWriter w, string id, string type, string target)
    {
        w.WriteStartElement("Relationship", PackageRels);
        w.WriteAttributeString("Id", id);
        w.WriteAttributeString("Type", type);
        w.WriteAttributeString("Target", target);
        w.WriteEndElement();
    }

    private static void Default(XmlWriter w, string extension, string type)
    {
        w.WriteStartElement("Default", ContentTypesNs);
        w.WriteAttributeString("Extension", extension);
        w.WriteAttributeString("ContentType", type);
        w.WriteEndElement();
    }

    private static void Override(XmlWriter w, string part, string type)
    {
        w.WriteStartElement("Override", ContentTypesNs);
        w.WriteAttributeString("PartName", part);
        w.WriteAttributeString("ContentType", type);
        w.WriteEndElement();
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string? Display(object? v) => v switch
    {
        null => null,
        DateOnly => "yyyy-mm-dd",
        Styled s => s.Text,
        double d => d.ToString("0.0", CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The cell formats the styles above name by index: 0 plain, 1 bold header, 2 date, 3 quotePrefix text, 4 one
    /// decimal, 5..8 the status fills (Valid, Expiring, Expired, Missing).
    /// </summary>
    private static void WriteStyles(XmlWriter w)
    {
        void El(string name, params (string Name, string Value)[] attrs)
        {
            w.WriteStartElement(name, Main);
            foreach (var (n, v) in attrs) w.WriteAttributeString(n, v);
        }
        void Font(bool bold)
        {
            El("font");
            if (bold) { El("b"); w.WriteEndElement(); }
            El("sz", ("val", "11")); w.WriteEndElement();
            El("name", ("val", "Calibri")); w.WriteEndElement();
            w.WriteEndElement();
        }
        void Fill(string pattern, string? rgb = null)
        {
            El("fill");
            El("patternFill", ("patternType", pattern));
            if (rgb is not null) { El("fgColor", ("rgb", "FF" + rgb)); w.WriteEndElement(); }
            w.WriteEndElement();
            w.WriteEndElement();
        }
        void Xf(int numFmt = 0, int font = 0, int fill = 0, bool quote = false, bool inCellXfs = true)
        {
            El("xf", ("numFmtId", Num(numFmt)), ("fontId", Num(font)), ("fillId", Num(fill)), ("borderId", "0"));
            if (inCellXfs) w.WriteAttributeString("xfId", "0");
            if (numFmt != 0) w.WriteAttributeString("applyNumberFormat", "1");
            if (font != 0) w.WriteAttributeString("applyFont", "1");
            if (fill != 0) w.WriteAttributeString("applyFill", "1");
            if (quote) w.WriteAttributeString("quotePrefix", "1");
            w.WriteEndElement();
        }

        El("styleSheet");
        El("numFmts", ("count", "2"));
        El("numFmt", ("numFmtId", "164"), ("formatCode", "yyyy-mm-dd")); w.WriteEndElement();
        El("numFmt", ("numFmtId", "165"), ("formatCode", "0.0")); w.WriteEndElement();
        w.WriteEndElement();
        El("fonts", ("count", "2"));
        Font(bold: false);
        Font(bold: true);
        w.WriteEndElement();
        El("fills", ("count", "6"));
        Fill("none");
        Fill("gray125");
        Fill("solid", "C6EFCE");
        Fill("solid", "FFEB9C");
        Fill("solid", "FFC7CE");
        Fill("solid", "E7E6E6");
        w.WriteEndElement();
        El("borders", ("count", "1"));
        El("border");
        foreach (var side in new[] { "left", "right", "top", "bottom", "diagonal" }) { El(side); w.WriteEndElement(); }
        w.WriteEndElement();
        w.WriteEndElement();
        El("cellStyleXfs", ("count", "1"));
        Xf(inCellXfs: false);
        w.WriteEndElement();
        El("cellXfs", ("count", "9"));
        Xf();
        Xf(font: 1);
        Xf(numFmt: 164);
        Xf(quote: true);
        Xf(numFmt: 165);
        for (var fill = 2; fill <= 5; fill++) Xf(fill: fill);
        w.WriteEndElement();
        El("cellStyles", ("count", "1"));
        El("cellStyle", ("name", "Normal"), ("xfId", "0"), ("builtinId", "0")); w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement(); // styleSheet
    }

    /// <summary>A text cell with a chosen style (a header, a status with its fill).</summary>
    public sealed record Styled(string Text, uint Style);

    private sealed class SheetWriter(XmlWriter w, int columns)
    {
        private static readonly string[] StyleIds = Enumerable.Range(0, 16).Select(i => Num(i)).ToArray();
        private readonly string[] _letters = Enumerable.Range(0, columns).Select(Letters).ToArray();
        public int RowCount { get; private set; }

        public void Begin(ColumnWidths widths, int freezeColumns)
        {
            w.WriteStartElement("worksheet", Main);
            w.WriteStartElement("sheetViews", Main);
            w.WriteStartElement("sheetView", Main);
            w.WriteAttributeString("workbookViewId", "0");
            w.WriteStartElement("pane", Main);
            if (freezeColumns > 0) w.WriteAttributeString("xSplit", Num(freezeColumns));
            w.WriteAttributeString("ySplit", "1");
            w.WriteAttributeString("topLeftCell", $"{Letters(freezeColumns)}2");
            w.WriteAttributeString("activePane", freezeColumns > 0 ? "bottomRight" : "bottomLeft");
            w.WriteAttributeString("state", "frozen");
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteStartElement("cols", Main);
            for (var c = 0; c < widths.Count; c++)
            {
                w.WriteStartElement("col", Main);
                w.WriteAttributeString("min", Num(c + 1));
                w.WriteAttributeString("max", Num(c + 1));
                w.WriteAttributeString("width", widths.Width(c).ToString("R", CultureInfo.InvariantCulture));
                w.WriteAttributeString("customWidth", "1");
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteStartElement("sheetData", Main);
        }

        public void Row(object?[] values)
        {
            RowCount++;
            var r = Num(RowCount);
            w.WriteStartElement("row", Main);
            w.WriteAttributeString("r", r);
            for (var c = 0; c < values.Length && c < _letters.Length; c++)
            {
                var v = values[c];
                if (v is null) continue;
                var reference = _letters[c] + r;
                switch (v)
                {
                    case int n: Number(reference, Num(n), 0); break;
                    case long n: Number(reference, Num(n), 0); break;
                    case double d: Number(reference, d.ToString("R", CultureInfo.InvariantCulture), StyleDecimal); break;
                    case DateOnly d: Number(reference, d.ToDateTime(TimeOnly.MinValue).ToOADate().ToString(CultureInfo.InvariantCulture), StyleDate); break;
                    case Styled s: Inline(reference, s.Text, FormulaGuard.IsRisky(s.Text) ? StyleQuoted : s.Style); break;
                    default:
                        var text = Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
                        Inline(reference, text, FormulaGuard.IsRisky(text) ? StyleQuoted : 0);
                        break;
                }
            }
            w.WriteEndElement();
        }

        private void Number(string reference, string value, uint style)
        {
            w.WriteStartElement("c", Main);
            w.WriteAttributeString("r", reference);
            if (style != 0) w.WriteAttributeString("s", StyleIds[style]);
            w.WriteStartElement("v", Main);
            w.WriteString(value);
            w.WriteEndElement();
            w.WriteEndElement();
        }

        private void Inline(string reference, string text, uint style)
        {
            w.WriteStartElement("c", Main);
            w.WriteAttributeString("r", reference);
            if (style != 0) w.WriteAttributeString("s", StyleIds[style]);
            w.WriteAttributeString("t", "inlineStr");
            w.WriteStartElement("is", Main);
            w.WriteStartElement("t", Main);
            text = XmlSafe(text);
            if (text.Length > 0 && (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1])))
                w.WriteAttributeString("xml", "space", null, "preserve");
            w.WriteString(text);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        }

        public void End()
        {
            w.WriteEndElement(); // sheetData
            var last = Math.Max(1, RowCount);
            w.WriteStartElement("autoFilter", Main);
            w.WriteAttributeString("ref", $"A1:{_letters[^1]}{last}");
            w.WriteEndElement();
            w.WriteEndElement(); // worksheet
        }

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
