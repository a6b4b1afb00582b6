using System.Globalization;
using System.IO.Compression;
using System.Xml;

namespace TeamSkills.Core.Imports;

/// <summary>
/// Reads the first worksheet of an .xlsx as text cells, streaming its XML. Every part is read through a
/// stream that counts the bytes actually inflated, so a zip bomb is refused long before memory runs out,
/// whatever sizes its headers claim. Date-formatted numbers come out as yyyy-MM-dd.
/// </summary>
internal static class XlsxReader
{
    private sealed class InflationLimitExceeded : Exception;

    private static readonly XmlReaderSettings XmlSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreWhitespace = false,
        IgnoreComments = true,
        CloseInput = true,
    };

    public static (TabularTable? Table, FileProblem? Problem) Read(ReadOnlyMemory<byte> content, TabularLimits limits)
    {
        var budget = new InflationBudget(limits.MaxInflatedBytes);
        try
        {
            using var zip = new ZipArchive(new MemoryStream(content.ToArray(), writable: false), ZipArchiveMode.Read);
            var (sheetPath, date1904) = FindFirstSheet(zip, budget);
            if (sheetPath is null || zip.GetEntry(sheetPath) is not { } sheetEntry)
                return (null, new FileProblem(422, "The .xlsx has no worksheet."));
            var sharedStrings = ReadSharedStrings(zip, budget);
            var dateStyles = ReadDateStyles(zip, budget);
            return ReadSheet(sheetEntry, sharedStrings, new DateCells(dateStyles, date1904), budget, limits);
        }
        catch (InflationLimitExceeded)
        {
            return (null, new FileProblem(422,
                $"The .xlsx inflates to more than {limits.MaxInflatedBytes / (1024 * 1024)} MB when unpacked; it was refused (zip bomb protection)."));
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
        {
            return (null, new FileProblem(422, "The file starts like an .xlsx (zip) but is damaged or not a workbook."));
        }
        catch (XmlException ex)
        {
            return (null, new FileProblem(422, $"The .xlsx contains malformed XML ({ex.Message})."));
        }
    }

    private static Stream Open(ZipArchiveEntry entry, InflationBudget budget) => new CountingStream(entry.Open(), budget);

    /// <summary>Which cell formats display a date, and whether the workbook counts days from 1904 (Excel for Mac's old
    /// default, <c>workbookPr date1904</c>) instead of 1900.</summary>
    private sealed record DateCells(HashSet<int> Styles, bool Date1904);

    /// <summary>The first worksheet's part, and the workbook's date system.</summary>
    private static (string? Path, bool Date1904) FindFirstSheet(ZipArchive zip, InflationBudget budget)
    {
        var workbook = zip.GetEntry("xl/workbook.xml");
        if (workbook is null) return (null, false);
        string? relId = null;
        var date1904 = false;
        using (var reader = XmlReader.Create(Open(workbook, budget), XmlSettings))
        {
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "workbookPr")
                    date1904 = reader.GetAttribute("date1904") is "1" or "true";
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "sheet")
                {
                    relId = reader.GetAttribute("id", "http://schemas.openxmlformats.org/officeDocument/2006/relationships");
                    break;
                }
            }
        }
        var rels = zip.GetEntry("xl/_rels/workbook.xml.rels");
        if (relId is null || rels is null) return (zip.GetEntry("xl/worksheets/sheet1.xml") is null ? null : "xl/worksheets/sheet1.xml", date1904);
        using var relReader = XmlReader.Create(Open(rels, budget), XmlSettings);
        while (relReader.Read())
        {
            if (relReader.NodeType == XmlNodeType.Element && relReader.LocalName == "Relationship" && relReader.GetAttribute("Id") == relId)
            {
                var target = relReader.GetAttribute("Target") ?? "";
                return (target.StartsWith('/') ? target.TrimStart('/') : "xl/" + target, date1904);
            }
        }
        return (null, date1904);
    }

    private static List<string> ReadSharedStrings(ZipArchive zip, InflationBudget budget)
    {
        var list = new List<string>();
        var entry = zip.GetEntry("xl/sharedStrings.xml");
        if (entry is null) return list;
        using var reader = XmlReader.Create(Open(entry, budget), XmlSettings);
        var current = new System.Text.StringBuilder();
        var inSi = false;
        var phoneticDepth = 0;
        // ReadElementContentAsString already moves to the next node, so the loop only calls Read() otherwise.
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "t" && inSi && phoneticDepth == 0)
            {
                current.Append(reader.ReadElementContentAsString());
                continue;
            }
            if (reader.NodeType == XmlNodeType.Element)
            {
                if (reader.LocalName == "si")
                {
                    current.Clear();
                    if (reader.IsEmptyElement) list.Add(""); else inSi = true;
                }
                else if (reader.LocalName == "rPh" && !reader.IsEmptyElement) phoneticDepth++;
            }
            else if (reader.NodeType == XmlNodeType.EndElement)
            {
                if (reader.LocalName == "si") { list.Add(current.ToString()); inSi = false; }
                else if (reader.LocalName == "rPh") phoneticDepth--;
            }
            reader.Read();
        }
        return list;
    }

    /// <summary>Indexes of cell formats (the "s" attribute) that display a date.</summary>
    private static HashSet<int> ReadDateStyles(ZipArchive zip, InflationBudget budget)
    {
        var result = new HashSet<int>();
        var entry = zip.GetEntry("xl/styles.xml");
        if (entry is null) return result;
        var customDateFormats = new HashSet<int>();
        using var reader = XmlReader.Create(Open(entry, budget), XmlSettings);
        var inCellXfs = false;
        var xfIndex = 0;
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.Element)
            {
                if (reader.LocalName == "numFmt"
                    && int.TryParse(reader.GetAttribute("numFmtId"), out var id)
                    && IsDateFormatCode(reader.GetAttribute("formatCode") ?? ""))
                {
                    customDateFormats.Add(id);
                }
                else if (reader.LocalName == "cellXfs") inCellXfs = !reader.IsEmptyElement;
                else if (reader.LocalName == "xf" && inCellXfs)
                {
                    if (int.TryParse(reader.GetAttribute("numFmtId"), out var fmt)
                        && (fmt is >= 14 and <= 22 or >= 45 and <= 47 || customDateFormats.Contains(fmt)))
                    {
                        result.Add(xfIndex);
                    }
                    xfIndex++;
                }
            }
            else if (reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "cellXfs") inCellXfs = false;
        }
        return result;
    }

    private static bool IsDateFormatCode(string code)
    {
        var inQuote = false;
        var inBracket = false;
        foreach (var ch in code)
        {
            if (ch == '"') inQuote = !inQuote;
            else if (!inQuote && ch == '[') inBracket = true;
            else if (!inQuote && ch == ']') inBracket = false;
            else if (!inQuote && !inBracket && ch is 'd' or 'D' or 'm' or 'M' or 'y' or 'Y') return true;
        }
        return false;
    }

    // Runs once per import over every row: optimise at first call instead of starting in tier-0 code.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static (TabularTable? Table, FileProblem? Problem) ReadSheet(
        ZipArchiveEntry entry, List<string> sharedStrings, DateCells dates, InflationBudget budget, TabularLimits limits)
    {
        using var reader = XmlReader.Create(Open(entry, budget), XmlSettings);
        string[]? header = null;
        var headerLine = 0;
        var rows = new List<TabularRow>();
        var cells = new List<string>();
        var rowNumber = 0;

        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "row") continue;
            rowNumber = int.TryParse(reader.GetAttribute("r"), out var r) ? r : rowNumber + 1;
            cells.Clear();
            if (!reader.IsEmptyElement)
            {
                using var row = reader.ReadSubtree();
                row.Read();
                while (row.Read())
                {
                    if (row.NodeType != XmlNodeType.Element || row.LocalName != "c") continue;
                    var column = ColumnIndex(row.GetAttribute("r")) ?? cells.Count;
                    if (column >= limits.MaxColumns)
                        return (null, new FileProblem(422, $"Row {rowNumber} has a cell in column {column + 1}; at most {limits.MaxColumns} columns are accepted.", rowNumber));
                    var value = ReadCell(row, sharedStrings, dates);
                    while (cells.Count < column) cells.Add("");
                    if (column < cells.Count) cells[column] = value; else cells.Add(value);
                }
            }
            var array = cells.ToArray();
            if (array.All(string.IsNullOrWhiteSpace)) continue;
            if (header is null) { header = array; headerLine = rowNumber; }
            else
            {
                rows.Add(new TabularRow(rowNumber, array));
                if (rows.Count > limits.MaxRows) return (null, TabularFile.CheckShape(header, headerLine, rows.Count, limits));
            }
        }
        if (header is null) return (null, new FileProblem(422, "The worksheet has no header row."));
        return (new TabularTable("xlsx", headerLine, header, rows), null);
    }

    private static string ReadCell(XmlReader reader, List<string> sharedStrings, DateCells dates)
    {
        var type = reader.GetAttribute("t");
        var style = int.TryParse(reader.GetAttribute("s"), out var s) ? s : -1;
        if (reader.IsEmptyElement) return "";
        string? raw = null;
        var inline = new System.Text.StringBuilder();
        // A subtree reader stops at the cell's end, and leaves the row reader on it.
        using (var cell = reader.ReadSubtree())
        {
            cell.Read();
            cell.Read();
            while (!cell.EOF)
            {
                if (cell.NodeType == XmlNodeType.Element && cell.LocalName == "v") { raw = cell.ReadElementContentAsString(); continue; }
                if (cell.NodeType == XmlNodeType.Element && cell.LocalName == "t") { inline.Append(cell.ReadElementContentAsString()); continue; }
                cell.Read();
            }
        }
        switch (type)
        {
            case "s":
                return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= 0 && i < sharedStrings.Count
                    ? sharedStrings[i] : "";
            case "inlineStr": return inline.ToString();
            case "b": return raw == "1" ? "TRUE" : "FALSE";
            case "str" or "e": return raw ?? "";
        }
        if (raw is null) return "";
        // The 1904 system counts from 1904-01-01 (day 0), which is day 1462 of the 1900 system; the range is checked after
        // the shift (a serial near the end would otherwise pass the check and overflow DateTime).
        if (dates.Styles.Contains(style) && double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial)
            && (dates.Date1904 ? serial + 1462 : serial) is var oa && oa is > 0 and < 2958466)
        {
            return DateOnly.FromDateTime(DateTime.FromOADate(oa)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            return number.ToString("R", CultureInfo.InvariantCulture);
        return raw;
    }

    /// <summary>"C12" → 2.</summary>
    private static int? ColumnIndex(string? reference)
    {
        if (string.IsNullOrEmpty(reference)) return null;
        var index = 0;
        var letters = 0;
        foreach (var ch in reference)
        {
            if (ch is >= 'A' and <= 'Z') { index = index * 26 + (ch - 'A' + 1); letters++; }
            else break;
            if (letters > 3) return null;
        }
        return letters == 0 ? null : index - 1;
    }

    private sealed class InflationBudget(long limit)
    {
        private long _used;
        public void Spend(int bytes)
        {
            _used += bytes;
            if (_used > limit) throw new InflationLimitExceeded();
        }
    }

    private sealed class CountingStream(Stream inner, InflationBudget budget) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            budget.Spend(n);
            return n;
        }

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            budget.Spend(n);
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
