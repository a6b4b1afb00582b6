using SkiaSharp;

namespace TeamSkills.Reports.Pdf;

/// <summary>
/// Liberation Sans (SIL OFL 1.1, Fonts/LICENSE-Liberation.txt), embedded in this assembly. With SkiaSharp's
/// NoDependencies native assets there is no fontconfig, so <c>SKTypeface.Default</c> draws nothing: every piece of text,
/// charts included, uses these typefaces.
/// </summary>
public static class ReportFonts
{
    public const string Family = "Liberation Sans";
    private static readonly Lazy<SKTypeface> _regular = new(() => Load("LiberationSans-Regular.ttf"));
    private static readonly Lazy<SKTypeface> _bold = new(() => Load("LiberationSans-Bold.ttf"));
    private static readonly Lazy<bool> _plot = new(RegisterForScottPlot);

    public static SKTypeface Regular => _regular.Value;
    public static SKTypeface Bold => _bold.Value;

    private static byte[] Bytes(string file)
    {
        using var s = typeof(ReportFonts).Assembly.GetManifestResourceStream("TeamSkills.Reports.Fonts." + file)
            ?? throw new InvalidOperationException($"font resource {file} missing");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private static SKTypeface Load(string file) =>
        SKTypeface.FromData(SKData.CreateCopy(Bytes(file))) ?? throw new InvalidOperationException($"font {file} unreadable");

    /// <summary>Charts draw with these same typeface objects, through a resolver ScottPlot asks first: a PDF then embeds
    /// each font once (loading ScottPlot's own copy from a file embedded the regular face a second time, 210 kB more).</summary>
    public static void EnsureScottPlot() => _ = _plot.Value;

    private static bool RegisterForScottPlot()
    {
        ScottPlot.Fonts.FontResolvers.Insert(0, new EmbeddedResolver());
        ScottPlot.Fonts.Default = Family;
        return true;
    }

    private sealed class EmbeddedResolver : ScottPlot.IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            string.Equals(fontName, Family, StringComparison.OrdinalIgnoreCase) ? (bold ? Bold : Regular) : null;

        public SKTypeface? CreateTypeface(string fontName, ScottPlot.FontWeight weight, ScottPlot.FontSlant slant, ScottPlot.FontSpacing width) =>
            CreateTypeface(fontName, (int)weight >= 600, slant != ScottPlot.FontSlant.Upright);
    }
}
