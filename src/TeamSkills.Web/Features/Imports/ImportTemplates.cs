using System.Text;

namespace TeamSkills.Web.Features.Imports;

/// <summary>
/// A starting file for each import: the header the import reads and two example rows that import as they are, in
/// UTF-8 with a byte-order mark so that spreadsheet programs read accents right when they open it.
/// </summary>
public static class ImportTemplates
{
    public static readonly string[] Kinds = ["roster", "completions"];

    /// <summary>
    /// The example rows' keys, names, emails and team are none an org uses (the demo's ids are E1000…, its emails
    /// @example.com): previewing the template unchanged must create, never rename someone real.
    /// </summary>
    public static readonly string[] ExampleIds = ["T-0001", "T-0002"];

    public static string? Csv(string? kind) => kind?.ToLowerInvariant() switch
    {
        "roster" => string.Join("\r\n",
            string.Join(",", RosterImport.Columns.Select(c => c.Name)),
            $"{ExampleIds[0]},Ada Example,ada@example.org,Example Team,grace@example.org,Site Reliability Engineer",
            $"{ExampleIds[1]},Grace Example,grace@example.org,Example Team,cto@example.org,Engineering Manager") + "\r\n",
        "completions" => string.Join("\r\n",
            string.Join(",", CompletionImport.Columns.Select(c => c.Name)),
            $"{ExampleIds[0]},,aiops-foundation,2026-03-15,",
            ",grace@example.org,MLOps Foundation,2025-09-01,2028-09-01") + "\r\n",
        _ => null,
    };

    /// <summary>The template as a download: (bytes with BOM, file name); null for an unknown kind.</summary>
    public static (byte[] Content, string FileName)? File(string? kind) =>
        Csv(kind) is { } csv
            ? ([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv)], $"teamskills-{kind!.ToLowerInvariant()}-template.csv")
            : null;
}
