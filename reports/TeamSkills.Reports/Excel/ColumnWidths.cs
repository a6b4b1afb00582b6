namespace TeamSkills.Reports.Excel;

/// <summary>
/// Column widths from content. ClosedXML 0.95's AdjustToContents measures with GDI+ (System.Drawing), which throws on
/// Linux, so widths come from character counts: Excel's unit is roughly one digit of the default font.
/// </summary>
public sealed class ColumnWidths(int columns)
{
    private readonly int[] _chars = new int[columns];

    public const double Min = 6, Max = 60;

    public void See(int column, string? text)
    {
        if (text is null || column >= _chars.Length) return;
        var longest = 0;
        foreach (var line in text.Split('\n')) longest = Math.Max(longest, line.Length);
        if (longest > _chars[column]) _chars[column] = longest;
    }

    public double Width(int column) => Math.Clamp(_chars[column] * 1.1 + 2, Min, Max);

    public int Count => _chars.Length;
}
