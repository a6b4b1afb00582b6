using System.Text;

namespace TeamSkills.Core.Imports;

/// <summary>
/// RFC 4180 CSV: quoted fields with "" escapes and embedded line breaks, CRLF or LF, an optional BOM,
/// and the delimiter (comma, semicolon or tab) detected from the header line.
/// </summary>
internal static class CsvReader
{
    // Runs once per import over every row: optimise at first call instead of starting in tier-0 code.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static (TabularTable? Table, FileProblem? Problem) Read(string text, TabularLimits limits)
    {
        var start = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        var delimiter = DetectDelimiter(text, start);
        var rows = new List<TabularRow>();
        string[]? header = null;
        var headerLine = 0;

        var pos = start;
        var line = 1;
        var fields = new List<string>();
        var field = new StringBuilder();
        while (pos < text.Length)
        {
            var recordLine = line;
            fields.Clear();
            var endOfFile = false;
            // One record.
            while (true)
            {
                field.Clear();
                if (pos < text.Length && text[pos] == '"')
                {
                    var quoteLine = line;
                    pos++;
                    var closed = false;
                    while (pos < text.Length)
                    {
                        var ch = text[pos];
                        if (ch == '"')
                        {
                            if (pos + 1 < text.Length && text[pos + 1] == '"') { field.Append('"'); pos += 2; continue; }
                            pos++;
                            closed = true;
                            break;
                        }
                        if (ch == '\n') line++;
                        field.Append(ch);
                        pos++;
                    }
                    if (!closed)
                        return (null, new FileProblem(422, $"Line {quoteLine}, field {fields.Count + 1}: a quoted field is never closed.", quoteLine, $"#{fields.Count + 1}"));
                    if (pos < text.Length && text[pos] != delimiter && text[pos] != '\r' && text[pos] != '\n')
                        return (null, new FileProblem(422, $"Line {line}, field {fields.Count + 1}: unexpected text after a closing quote.", line, $"#{fields.Count + 1}"));
                }
                else
                {
                    while (pos < text.Length)
                    {
                        var ch = text[pos];
                        if (ch == delimiter || ch == '\r' || ch == '\n') break;
                        field.Append(ch);
                        pos++;
                    }
                }
                fields.Add(field.ToString());
                if (pos >= text.Length) { endOfFile = true; break; }
                var c = text[pos];
                if (c == delimiter) { pos++; continue; }
                // End of record: \r\n, \n or a lone \r.
                if (c == '\r') pos++;
                if (pos < text.Length && text[pos] == '\n') pos++;
                line++;
                break;
            }

            var cells = fields.ToArray();
            var blank = cells.All(string.IsNullOrWhiteSpace);
            if (!blank)
            {
                if (header is null)
                {
                    header = cells;
                    headerLine = recordLine;
                    if (header.Length > limits.MaxColumns)
                        return (null, TabularFile.CheckShape(header, 0, limits));
                }
                else
                {
                    rows.Add(new TabularRow(recordLine, cells));
                    if (rows.Count > limits.MaxRows) return (null, TabularFile.CheckShape(header, rows.Count, limits));
                }
            }
            if (endOfFile) break;
        }

        if (header is null) return (null, new FileProblem(422, "The file has no header row."));
        return (new TabularTable("csv", headerLine, header, rows), null);
    }

    private static char DetectDelimiter(string text, int start)
    {
        int comma = 0, semicolon = 0, tab = 0;
        var quoted = false;
        for (var i = start; i < text.Length; i++)
        {
            var ch = text[i];
            if (ch == '"') quoted = !quoted;
            else if (!quoted && (ch == '\n' || ch == '\r')) break;
            else if (!quoted && ch == ',') comma++;
            else if (!quoted && ch == ';') semicolon++;
            else if (!quoted && ch == '\t') tab++;
        }
        if (tab > comma && tab >= semicolon) return '\t';
        return semicolon > comma ? ';' : ',';
    }
}
