namespace TeamSkills.Reports.Excel;

/// <summary>
/// Formula injection (OWASP ASVS 5.0, 1.2.10): a roster value such as <c>=HYPERLINK(...)</c> must reach the reader as
/// text. Every xlsx and csv writer asks this one helper.
/// </summary>
public static class FormulaGuard
{
    /// <summary>Does a spreadsheet treat text starting like this as a formula (or a DDE payload)?</summary>
    public static bool IsRisky(string? text) =>
        !string.IsNullOrEmpty(text) && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r';

    /// <summary>
    /// For CSV, where there are no cell types: prefix risky values with an apostrophe, which spreadsheets show as
    /// text (and hide). Quoting for the delimiter is the CSV writer's job.
    /// </summary>
    public static string ForCsv(string? text) => IsRisky(text) ? "'" + text : text ?? "";
}
