namespace TeamSkills.Web.Features.Imports;

/// <summary>A column an import understands, with the header spellings HR exports use for it.</summary>
public sealed record ColumnSpec(string Name, bool Required, params string[] Synonyms);

/// <summary>
/// Finds each known column in a header, matching case-insensitively and ignoring spaces, '_' and '-'.
/// </summary>
public sealed class ColumnMap
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    // Header text as error messages show it: clipped, since one error per row names its column and a header cell
    // can be as long as the upload (a 1 MB header turned 20 row errors into a 20 MB answer).
    private readonly string[] _header;

    private ColumnMap(string[] header) => _header = header.Select(RosterImport.Clip).ToArray();

    public static string Key(string header)
    {
        Span<char> buffer = stackalloc char[Math.Min(header.Length, 256)];
        var n = 0;
        foreach (var ch in header.AsSpan().Trim())
        {
            if (ch is ' ' or '_' or '-' or '\u00A0' or '\uFEFF' || n >= buffer.Length) continue;
            buffer[n++] = char.ToLowerInvariant(ch);
        }
        return new string(buffer[..n]);
    }

    public static ColumnMap Resolve(string[] header, int headerLine, IReadOnlyList<ColumnSpec> specs, List<ImportError> errors)
    {
        var map = new ColumnMap(header);
        var keys = header.Select(Key).ToArray();
        foreach (var spec in specs)
        {
            var wanted = new HashSet<string>(spec.Synonyms.Prepend(spec.Name).Select(Key), StringComparer.Ordinal);
            var found = Enumerable.Range(0, keys.Length).Where(i => wanted.Contains(keys[i])).ToList();
            if (found.Count > 1)
            {
                errors.Add(new ImportError(headerLine, map._header[found[1]],
                    $"Columns {string.Join(" and ", found.Select(i => $"'{map._header[i]}'"))} both mean '{spec.Name}'; keep one."));
            }
            else if (found.Count == 1)
            {
                map._index[spec.Name] = found[0];
            }
            else if (spec.Required)
            {
                errors.Add(new ImportError(headerLine, spec.Name,
                    $"Missing required column '{spec.Name}' (accepted headers: {string.Join(", ", spec.Synonyms.Prepend(spec.Name))})."));
            }
        }
        // Nothing known at all: the header is probably not on the first row (a title row above it, a cover sheet first).
        if (map._index.Count == 0 && header.Length > 0)
        {
            var shown = string.Join(", ", map._header.Where(h => h.Trim().Length > 0).Take(4).Select(h => $"'{h.Trim()}'"));
            errors.Insert(0, new ImportError(headerLine, "",
                $"Line {headerLine} is read as the header, and none of its columns is one this import knows ({shown}). " +
                $"The header must be the first non-empty row (of the first worksheet, in an .xlsx), with columns such as " +
                $"{string.Join(", ", specs.Where(c => c.Required).Select(c => c.Name))}."));
        }
        return map;
    }

    /// <summary>The understood columns a row of <paramref name="cells"/> does not reach, in header order (a CSV row cut short).</summary>
    public List<string> Unreached(string[] cells) =>
        _index.Where(c => c.Value >= cells.Length).OrderBy(c => c.Value).Select(c => _header[c.Value]).ToList();

    public bool Has(string column) => _index.ContainsKey(column);

    /// <summary>The header text of a column as the file spells it (for error messages).</summary>
    public string HeaderOf(string column) => _index.TryGetValue(column, out var i) ? _header[i] : column;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public string Get(string[] cells, string column) =>
        _index.TryGetValue(column, out var i) && i < cells.Length ? cells[i].Trim() : "";

    public int Width => _header.Length;
}
