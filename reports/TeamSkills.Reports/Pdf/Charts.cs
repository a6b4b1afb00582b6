using SkiaSharp;

namespace TeamSkills.Reports.Pdf;

/// <summary>ScottPlot charts drawn straight onto the PDF page's canvas: vector shapes and real (extractable) text.</summary>
public static class Charts
{
    private static readonly object Gate = new(); // ScottPlot's font cache is process-wide

    public static void CoverageByCertification(SKCanvas canvas, SKRect rect, IReadOnlyList<CertCoverage> coverage, string title)
    {
        var plot = NewPlot(title);
        var items = coverage.Where(c => c.Recommended > 0).ToList();
        var bars = items.Select((c, i) => new ScottPlot.Bar
        {
            Position = items.Count - i, Value = c.CoveragePercent,
            FillColor = ScottPlot.Color.FromHex(c.CoveragePercent >= 80 ? "#2E7D32" : c.CoveragePercent >= 50 ? "#F9A825" : "#C62828"),
            Label = $"{c.CoveragePercent:0.0}% ({c.Held}/{c.Recommended})", Orientation = ScottPlot.Orientation.Horizontal,
        }).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontName = ReportFonts.Family;
        barPlot.ValueLabelStyle.FontSize = 9;
        plot.Axes.Left.SetTicks(items.Select((_, i) => (double)(items.Count - i)).ToArray(), items.Select(c => c.Name).ToArray());
        // Room right of 100% for the longest label ("100.0% (44/44)"); the scale itself stops at 100.
        plot.Axes.SetLimitsX(0, 150);
        plot.Axes.Bottom.SetTicks([0, 20, 40, 60, 80, 100], ["0", "20", "40", "60", "80", "100"]);
        // Where the scale ends: the room beyond is for the labels, not more coverage.
        var full = plot.Add.VerticalLine(100, 1, ScottPlot.Color.FromHex("#9E9E9E"), ScottPlot.LinePattern.Dashed);
        plot.MoveToBack(full);
        plot.Axes.SetLimitsY(0.3, items.Count + 0.7);
        plot.XLabel("coverage % (held / recommended)");
        Render(plot, canvas, rect);
    }

    public static void Forecast(SKCanvas canvas, SKRect rect, IReadOnlyList<ReportMonth> months, string title)
    {
        var plot = NewPlot(title);
        var peak = months.Count == 0 ? 0 : months.Max(m => m.Count);
        var bars = months.Select((m, i) => new ScottPlot.Bar
        {
            Position = i, Value = m.Count, Label = m.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            FillColor = ScottPlot.Color.FromHex(m.Count == peak && peak > 0 ? "#C62828" : "#4F6D8F"),
        }).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontName = ReportFonts.Family;
        barPlot.ValueLabelStyle.FontSize = 9;
        // Twelve "MMM yy" labels ran into each other at half a page's width: the month alone, with the year at the first
        // month and at each January.
        plot.Axes.Bottom.SetTicks(months.Select((_, i) => (double)i).ToArray(), months.Select((m, i) => MonthLabel(m.Month, i == 0)).ToArray());
        plot.Axes.SetLimitsY(0, Math.Max(1, peak) * 1.2);
        plot.YLabel("certifications expiring");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        Render(plot, canvas, rect);
    }

    internal static string MonthLabel(DateOnly month, bool first) =>
        month.ToString(first || month.Month == 1 ? "MMM yy" : "MMM", System.Globalization.CultureInfo.InvariantCulture);

    private static ScottPlot.Plot NewPlot(string title)
    {
        ReportFonts.EnsureScottPlot();
        var plot = new ScottPlot.Plot();
        plot.Font.Set(ReportFonts.Family);
        plot.Title(title, size: 12);
        plot.Axes.Title.Label.FontName = ReportFonts.Family;
        plot.Axes.Title.Label.Bold = true;
        plot.Grid.MajorLineColor = ScottPlot.Color.FromHex("#E0E0E0");
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.TickLabelStyle.FontSize = 9;
            axis.Label.FontSize = 10;
        }
        return plot;
    }

    private static void Render(ScottPlot.Plot plot, SKCanvas canvas, SKRect rect)
    {
        lock (Gate)
        {
            canvas.Save();
            canvas.Translate(rect.Left, rect.Top);
            canvas.ClipRect(new SKRect(0, 0, rect.Width, rect.Height));
            plot.Render(canvas, (int)rect.Width, (int)rect.Height);
            canvas.Restore();
        }
    }
}
