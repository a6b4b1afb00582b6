using System.Text;

namespace TeamSkills.Core.Catalog;

/// <summary>
/// Resolves a certification as written in an import (id, name or the seeds' long form) to its id,
/// ignoring case, extra spaces and the kind of dash.
/// </summary>
public sealed class CertificationNameMatcher
{
    private readonly Dictionary<string, string> _byKey = new(StringComparer.Ordinal);

    public CertificationNameMatcher(IEnumerable<Certification> certifications)
    {
        // In catalog order, whatever order the rows were read in: where two certifications' names or aliases read
        // alike, the one earlier in the catalog wins on every provider (a PostgreSQL table scan returns a row last
        // once it has been updated; SQLite's returns insertion order).
        foreach (var c in certifications.OrderBy(c => c.CatalogOrder))
        {
            Add(c.Id, c.Id);
            Add(c.Name, c.Id);
            foreach (var alias in c.Aliases.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Add(alias, c.Id);
            }
        }
    }

    private void Add(string text, string id) => _byKey.TryAdd(Key(text), id);

    public string? Match(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : _byKey.GetValueOrDefault(Key(text));

    /// <summary>Lower case, every dash or hyphen variant as '-', no spaces around dashes, single spaces.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static string Key(string text)
    {
        var sb = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var raw in System.Text.Ascii.IsValid(text) ? text : text.Normalize(NormalizationForm.FormKC))
        {
            var ch = IsDash(raw) ? '-' : char.ToLowerInvariant(raw);
            if (char.IsWhiteSpace(ch)) { pendingSpace = true; continue; }
            if (ch == '-')
            {
                pendingSpace = false;
                if (sb.Length > 0 && sb[^1] == '-') continue;
                sb.Append('-');
                continue;
            }
            if (pendingSpace && sb.Length > 0 && sb[^1] != '-') sb.Append(' ');
            pendingSpace = false;
            sb.Append(ch);
        }
        return sb.ToString().Trim('-');
    }

    private static bool IsDash(char ch) =>
        ch is '-' or '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2015' or '\u2212' or '\uFE58' or '\uFE63' or '\uFF0D';
}
