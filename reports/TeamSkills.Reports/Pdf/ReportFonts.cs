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

    /// <summary>ScottPlot resolves fonts by name from files: the embedded fonts are written once to a temp folder.</summary>
    public static void EnsureScottPlot() => _ = _plot.Value;

    private static bool RegisterForScottPlot()
    {
        var dir = Path.Combine(Path.GetTempPath(), "teamskills-fonts");
        Directory.CreateDirectory(dir);
        foreach (var (file, bold) in new[] { ("LiberationSans-Regular.ttf", false), ("LiberationSans-Bold.ttf", true) })
        {
            var path = Path.Combine(dir, file);
            var bytes = Bytes(file);
            if (!File.Exists(path) || new FileInfo(path).Length != bytes.Length)
            {
                var tmp = path + "." + Guid.NewGuid().ToString("N");
                File.WriteAllBytes(tmp, bytes);
                File.Move(tmp, path, overwrite: true);
            }
            ScottPlot.Fonts.AddFontFile(Family, path, bold, italic: false);
        }
        ScottPlot.Fonts.Default = Family;
        return true;
    }
}
