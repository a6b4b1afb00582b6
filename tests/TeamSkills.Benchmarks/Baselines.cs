using System.Globalization;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using SkiaSharp;
using TeamSkills.Reports.Excel;
using TeamSkills.Reports.Pdf;

namespace TeamSkills.Benchmarks;

/// <summary>
/// Bare loops the exports are compared with: the same cells or text with none of the app's work around them (no styles,
/// widths, panes, filters, summaries, charts, wrapping or fills).
/// </summary>
internal static class Baselines
{
    /// <summary>
    /// The bare OpenXmlWriter loop (DocumentFormat.OpenXml, which ClosedXML brings): one worksheet part per sheet, inline
    /// strings, no styles. Its System.IO.Packaging keeps each part in memory until the package closes.
    /// </summary>
    public static void OpenXmlLoop(Stream output, IReadOnlyList<IReadOnlyList<object?[]>> sheets)
    {
        using var doc = SpreadsheetDocument.Create(output, SpreadsheetDocumentType.Workbook);
        var wbPart = doc.AddWorkbookPart();
        var list = new Sheets();
        for (var s = 0; s < sheets.Count; s++)
        {
            var part = wbPart.AddNewPart<WorksheetPart>();
            using (var w = OpenXmlWriter.Create(part))
            {
                w.WriteStartElement(new Worksheet());
                w.WriteStartElement(new SheetData());
                var r = 0;
                foreach (var values in sheets[s])
                {
                    r++;
                    w.WriteStartElement(new Row { RowIndex = (uint)r });
                    for (var c = 0; c < values.Length; c++)
                    {
                        var v = values[c];
                        if (v is null) continue;
                        var reference = StreamingWorkbook.Letters(c) + r.ToString(CultureInfo.InvariantCulture);
                        if (v is int or double)
                            w.WriteElement(new Cell { CellReference = reference, CellValue = new CellValue(Convert.ToString(v, CultureInfo.InvariantCulture)!) });
                        else
                            w.WriteElement(new Cell(new InlineString(new Text(v is StreamingWorkbook.Styled st ? st.Text : v.ToString()!)))
                                { CellReference = reference, DataType = CellValues.InlineString });
                    }
                    w.WriteEndElement();
                }
                w.WriteEndElement();
                w.WriteEndElement();
            }
            list.Append(new Sheet { Name = $"S{s + 1}", SheetId = (uint)s + 1, Id = wbPart.GetIdOfPart(part) });
        }
        wbPart.Workbook = new Workbook(list);
    }

    /// <summary>
    /// The same strings drawn with SkiaSharp's PDF backend at fixed column positions, one line a row, in the report's
    /// font and page size: what Skia costs for the text alone. Returns the page count.
    /// </summary>
    public static int SkiaPdfLoop(Stream output, IEnumerable<string[]> rows)
    {
        const float Width = 842, Height = 595, Margin = 36, Line = 11;
        using var doc = SKDocument.CreatePdf(output);
        using var font = new SKFont(ReportFonts.Regular, 7.5f);
        using var ink = new SKPaint { Color = SKColors.Black };
        SKCanvas? canvas = null;
        var y = Height;
        var pages = 0;
        foreach (var row in rows)
        {
            if (canvas is null || y + Line > Height - Margin)
            {
                if (canvas is not null) doc.EndPage();
                canvas = doc.BeginPage(Width, Height);
                pages++;
                y = Margin + Line;
            }
            var column = (Width - 2 * Margin) / Math.Max(1, row.Length);
            for (var c = 0; c < row.Length; c++) canvas.DrawText(row[c], Margin + c * column, y, SKTextAlign.Left, font, ink);
            y += Line;
        }
        if (canvas is not null) doc.EndPage();
        doc.Close();
        return pages;
    }
}
