using System.Text;

namespace TeamSkills.Core.Imports;

/// <summary>
/// RFC 4180 CSV read straight from UTF-8 bytes (already checked valid): quoted fields with "" escapes and embedded
/// line breaks, CRLF or LF, an optional BOM, and the delimiter (comma, semicolon or tab) detected from the header
/// line. Delimiters, quotes and line breaks are ASCII, and no byte of a multi-byte UTF-8 sequence is, so the scan
/// works on bytes and only each field is decoded: no copy of the whole file as a string.
/// </summary>
internal static class CsvReader
{
    // Runs once per import over every byte: optimise at first call instead of starting in tier-0 code.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static (TabularTable? Table, FileProblem? Problem) Read(ReadOnlySpan<byte> text, TabularLimits limits)
    {
        if (text.StartsWith("\uFEFF"u8)) text = text[3..];
        var delimiter = DetectDelimiter(text);
        var rows = new List<TabularRow>(Math.Max(16, text.Count((byte)'\n')));
        string[]? header = null;
        var headerLine = 0;
        var fields = new List<string>();
        var pools = new List<FieldPool>();
        byte[]? unescape = null;

        var pos = 0;
        var line = 1;
        while (pos < text.Length)
        {
            var recordLine = line;
            fields.Clear();
            var endOfFile = false;
            while (true)
            {
                if (pos < text.Length && text[pos] == (byte)'"')
                {
                    var quoteLine = line;
                    var start = ++pos;
                    var escapes = 0;
                    var closed = false;
                    while (pos < text.Length)
                    {
                        var b = text[pos];
                        if (b == (byte)'"')
                        {
                            if (pos + 1 < text.Length && text[pos + 1] == (byte)'"') { escapes++; pos += 2; continue; }
                            closed = true;
                            break;
                        }
                        if (b == (byte)'\n') line++;
                        pos++;
                    }
                    if (!closed)
                        return (null, new FileProblem(422, $"Line {quoteLine}, field {Field(header, fields.Count)}: a quoted field is never closed.", quoteLine, Column(header, fields.Count)));
                    var inner = text[start..pos];
                    pos++; // the closing quote
                    fields.Add(escapes == 0 ? Pool(pools, fields.Count).Get(text, start, inner.Length) : Unescape(inner, ref unescape));
                    if (pos < text.Length && text[pos] != delimiter && text[pos] != (byte)'\r' && text[pos] != (byte)'\n')
                        return (null, new FileProblem(422, $"Line {line}, field {Field(header, fields.Count - 1)}: unexpected text after a closing quote.", line, Column(header, fields.Count - 1)));
                }
                else
                {
                    var rest = text[pos..];
                    var end = rest.IndexOfAny(delimiter, (byte)'\r', (byte)'\n');
                    if (end < 0) end = rest.Length;
                    fields.Add(end == 0 ? "" : Pool(pools, fields.Count).Get(text, pos, end));
                    pos += end;
                }
                if (pos >= text.Length) { endOfFile = true; break; }
                var c = text[pos];
                if (c == delimiter) { pos++; continue; }
                // End of record: \r\n, \n or a lone \r.
                if (c == (byte)'\r') pos++;
                if (pos < text.Length && text[pos] == (byte)'\n') pos++;
                line++;
                break;
            }

            var blank = true;
            foreach (var f in fields)
            {
                if (!string.IsNullOrWhiteSpace(f)) { blank = false; break; }
            }
            if (!blank)
            {
                var cells = fields.ToArray();
                if (header is null)
                {
                    header = cells;
                    headerLine = recordLine;
                    if (header.Length > limits.MaxColumns) return (null, TabularFile.CheckShape(header, headerLine, 0, limits));
                }
                else
                {
                    rows.Add(new TabularRow(recordLine, cells));
                    if (rows.Count > limits.MaxRows) return (null, TabularFile.CheckShape(header, headerLine, rows.Count, limits));
                }
            }
            if (endOfFile) break;
        }

        if (header is null) return (null, new FileProblem(422, "The file has no header row."));
        return (new TabularTable("csv", headerLine, header, rows), null);
    }

    /// <summary>Columns pooled: a roster or completion file uses fewer; a row of thousands of fields (a malformed or
    /// hostile file) reads its cells as plain strings instead of taking a pool each.</summary>
    private const int PooledColumns = 64;

    private static FieldPool Pool(List<FieldPool> pools, int column)
    {
        if (column >= PooledColumns) return FieldPool.None;
        while (pools.Count <= column) pools.Add(new FieldPool());
        return pools[column];
    }

    /// <summary>
    /// One column's recent values, so a value that repeats down the column (a team, a manager, a title: a roster
    /// names a few thousand of them in 100,000 rows) is one string, not one per row: fewer, smaller garbage
    /// collections while a large file is read, and less memory held until the import ends. Direct-mapped by a hash of
    /// the field's bytes, compared against the bytes of the field that filled the slot; a column whose values do not
    /// repeat (ids, emails) stops being looked up after its first rows.
    /// </summary>
    private sealed class FieldPool
    {
        private const int Slots = 4096;
        private const int MaxBytes = 64;
        private const int Trial = 1024;
        /// <summary>Pools nothing: for columns past <see cref="PooledColumns"/>.</summary>
        public static readonly FieldPool None = new() { _off = true };

        private (int Start, int Length, string? Value)[]? _slots;
        private int _lookups, _hits;
        private bool _off;

        public string Get(ReadOnlySpan<byte> text, int start, int length)
        {
            var field = text.Slice(start, length);
            if (_off || length > MaxBytes) return Encoding.UTF8.GetString(field);
            if (++_lookups == Trial && _hits < Trial / 4)
            {
                // Mostly unique so far: not worth the hashing for the rest of the file.
                _off = true;
                _slots = null;
                return Encoding.UTF8.GetString(field);
            }
            _slots ??= new (int, int, string?)[Slots];
            ref var slot = ref _slots[Hash(field) & (Slots - 1)];
            if (slot.Value is not null && slot.Length == length && text.Slice(slot.Start, length).SequenceEqual(field))
            {
                _hits++;
                return slot.Value;
            }
            var value = Encoding.UTF8.GetString(field);
            slot = (start, length, value);
            return value;
        }

        /// <summary>FNV-1a, folded: the same slot for the same bytes in every process (a crafted file can only make
        /// values miss the pool, never cost more than a lookup each).</summary>
        private static int Hash(ReadOnlySpan<byte> field)
        {
            var h = 2166136261u;
            foreach (var b in field) h = (h ^ b) * 16777619u;
            return (int)(h ^ (h >> 15));
        }
    }

    /// <summary>The header's name for field <paramref name="index"/> (0-based) once the header is read, else "#n".</summary>
    private static string Column(string[]? header, int index) =>
        header is not null && index < header.Length && header[index].Trim() is { Length: > 0 and <= 100 } name ? name : $"#{index + 1}";

    private static string Field(string[]? header, int index) =>
        Column(header, index) is var column && column[0] == '#' ? $"{index + 1}" : $"{index + 1} ({column})";

    private static string Unescape(ReadOnlySpan<byte> inner, ref byte[]? buffer)
    {
        if (buffer is null || buffer.Length < inner.Length) buffer = new byte[Math.Max(inner.Length, 256)];
        var n = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            buffer[n++] = inner[i];
            if (inner[i] == (byte)'"') i++; // "" → "
        }
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private static byte DetectDelimiter(ReadOnlySpan<byte> text)
    {
        int comma = 0, semicolon = 0, tab = 0;
        var quoted = false;
        foreach (var b in text)
        {
            if (b == (byte)'"') quoted = !quoted;
            else if (!quoted && (b == (byte)'\n' || b == (byte)'\r')) break;
            else if (!quoted && b == (byte)',') comma++;
            else if (!quoted && b == (byte)';') semicolon++;
            else if (!quoted && b == (byte)'\t') tab++;
        }
        if (tab > comma && tab >= semicolon) return (byte)'\t';
        return semicolon > comma ? (byte)';' : (byte)',';
    }
}
