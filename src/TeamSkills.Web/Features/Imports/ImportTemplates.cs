using System.Text;

namespace TeamSkills.Web.Features.Imports;

/// <summary>
/// A starting file for each import: the header the import reads and two example rows that import as they are, in
/// UTF-8 with a byte-order mark so that spreadsheet programs read accents right when they open it.
/// </summary>
public static class ImportTemplates
{
    public static readonly string[] Kinds = ["roster", "completions"];

    public static string? Csv(string? kind) => kind?.ToLowerInvariant() switch
    {
        "roster" => string.Join("\r\n",
            string.Join(",", RosterImport.Columns.Select(c => c.Name)),
            "E1001,Ada Lovelace,ada@example.com,Platform,grace@example.com,Site Reliability Engineer",
            "E1002,Grace Hopper,grace@example.com,Platform,cto@example.com,Engineering Manager") + "\r\n",
        "completions" => string.Join("\r\n",
            string.Join(",", CompletionImport.Columns.Select(c => c.Name)),
            "E1001,,aiops-foundation,2026-03-15,",
            ",grace@example.com,MLOps Foundation,2025-09-01,2028-09-01") + "\r\n",
        _ => null,
    };

    /// <summary>The template as a download: (bytes with BOM, file name); null for an unknown kind.</summary>
    public static (byte[] Content, string FileName)? File(string? kind) =>
        Csv(kind) is { } csv
            ? ([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv)], $"teamskills-{kind!.ToLowerInvariant()}-template.csv")
            : null;
}
