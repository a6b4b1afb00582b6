using SkiaSharp;

namespace TeamSkills.Reports.Pdf;

/// <summary>A table column: header, share of the width, alignment.</summary>
public sealed record PdfColumn(string Header, float Weight, bool RightAlign = false);

/// <summary>A table cell: text and an optional fill (a heat-map status).</summary>
public readonly record struct PdfCell(string Text, SKColor? Fill = null)
{
    public static implicit operator PdfCell(string text) => new(text);
}

public sealed record KpiTile(string Value, string Label, SKColor Accent);

/// <summary>
/// The small layout layer over SkiaSharp's PDF backend: a cursor flowing down pages, wrapped text, KPI tiles, tables
/// whose header repeats on every page, drawings (charts) and a header/footer with "page X of Y". Pages are recorded as
/// SKPictures first, so the total is known when the footers are drawn; text stays text (selectable, extractable).
/// </summary>
public sealed class PdfLayout : IDisposable
{
    public const float Margin = 36, HeaderSpace = 28, FooterSpace = 24;
    public float Width { get; }
    public float Height { get; }
    public float ContentWidth => Width - 2 * Margin;
    public float Y { get; private set; }
    private float Bottom => Height - Margin - FooterSpace;

    private readonly string _title;
    private readonly string _subtitle;
    private readonly List<SKPicture> _pages = [];
    private SKPictureRecorder? _recorder;
    private SKCanvas _canvas = null!;

    public static readonly SKColor Ink = new(0x22, 0x22, 0x22), Muted = new(0x66, 0x66, 0x66), Rule = new(0xCC, 0xCC, 0xCC),
        HeaderFill = new(0xEE, 0xEE, 0xEE);

    public PdfLayout(string title, string subtitle, bool landscape = true)
    {
        (Width, Height) = landscape ? (842f, 595f) : (595f, 842f);
        _title = title;
        _subtitle = subtitle;
        NewPage();
    }

    public SKCanvas Canvas => _canvas;

    public void NewPage()
    {
        EndRecording();
        _recorder = new SKPictureRecorder();
        _canvas = _recorder.BeginRecording(new SKRect(0, 0, Width, Height));
        Y = Margin + HeaderSpace;
    }

    private void EndRecording()
    {
        if (_recorder is null) return;
        _pages.Add(_recorder.EndRecording());
        _recorder.Dispose();
        _recorder = null;
    }

    /// <summary>Starts a new page unless <paramref name="height"/> still fits on this one.</summary>
    public void Need(float height)
    {
        if (Y + height > Bottom && Y > Margin + HeaderSpace + 1) NewPage();
    }

    /// <summary>
    /// Unhinted, with fractional advances: SKFont's defaults (normal hinting, whole-pixel advances) placed each glyph
    /// where the hinted advance said, while the PDF's width table has the font's own advances. At 7.5 and 8.5 pt the
    /// two differ most after wide letters, and text extractors (pdftotext, viewers' search) read "m issing". The
    /// measured widths (wrapping, column widths) now match the drawn text too.
    /// </summary>
    public static SKFont Font(float size, bool bold = false) =>
        new(bold ? ReportFonts.Bold : ReportFonts.Regular, size) { Hinting = SKFontHinting.None, Subpixel = true, LinearMetrics = true };

    public static void Text(SKCanvas canvas, string text, float x, float baseline, SKFont font, SKColor color, SKTextAlign align = SKTextAlign.Left)
    {
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        canvas.DrawText(text, x, baseline, align, font, paint);
    }

    public void Heading(string text, float size = 15)
    {
        using var font = Font(size, bold: true);
        // Team names come from HR files and may be one long word: wrapped (cut when a word is wider than the page).
        var lines = Wrap(text, font, ContentWidth);
        Need(size * (1.0f + 1.2f * lines.Count));
        Y += size * 0.6f;
        foreach (var line in lines)
        {
            Text(_canvas, line, Margin, Y + size, font, Ink);
            Y += size * 1.25f;
        }
        Y += size * 0.35f;
    }

    public void Paragraph(string text, float size = 10, SKColor? color = null)
    {
        using var font = Font(size);
        foreach (var line in Wrap(text, font, ContentWidth))
        {
            Need(size * 1.4f);
            Text(_canvas, line, Margin, Y + size, font, color ?? Ink);
            Y += size * 1.4f;
        }
        Y += size * 0.4f;
    }

    public void Space(float points) => Y += points;

    /// <summary>Words into lines no wider than <paramref name="width"/>; a word longer than a line is cut.</summary>
    public static List<string> Wrap(string text, SKFont font, float width)
    {
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r", "").Split('\n'))
        {
            var line = "";
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = line.Length == 0 ? word : line + " " + word;
                if (font.MeasureText(candidate) <= width) { line = candidate; continue; }
                if (line.Length > 0) lines.Add(line);
                line = word;
                while (font.MeasureText(line) > width && line.Length > 1)
                {
                    var cut = line.Length - 1;
                    while (cut > 1 && font.MeasureText(line[..cut]) > width) cut--;
                    lines.Add(line[..cut]);
                    line = line[cut..];
                }
            }
            lines.Add(line);
        }
        return lines;
    }

    public void Tiles(IReadOnlyList<KpiTile> tiles)
    {
        const float height = 58, gap = 10;
        Need(height + 12);
        var w = (ContentWidth - gap * (tiles.Count - 1)) / tiles.Count;
        using var valueFont = Font(20, bold: true);
        using var labelFont = Font(9);
        using var border = new SKPaint { Color = Rule, Style = SKPaintStyle.Stroke, StrokeWidth = 0.8f, IsAntialias = true };
        for (var i = 0; i < tiles.Count; i++)
        {
            var x = Margin + i * (w + gap);
            var rect = new SKRect(x, Y, x + w, Y + height);
            _canvas.DrawRoundRect(rect, 4, 4, border);
            using var accent = new SKPaint { Color = tiles[i].Accent };
            _canvas.DrawRect(new SKRect(x, Y, x + 4, Y + height), accent);
            Text(_canvas, tiles[i].Value, x + 12, Y + 28, valueFont, Ink);
            Text(_canvas, tiles[i].Label, x + 12, Y + 46, labelFont, Muted);
        }
        Y += height + 12;
    }

    /// <summary>Reserves <paramref name="height"/> points (on a new page if need be) and lets <paramref name="draw"/> paint there.</summary>
    public void Drawing(float height, Action<SKCanvas, SKRect> draw)
    {
        Need(height);
        var rect = new SKRect(Margin, Y, Margin + ContentWidth, Y + height);
        _canvas.Save();
        draw(_canvas, rect);
        _canvas.Restore();
        Y += height + 8;
    }

    /// <summary>A table across as many pages as it needs; the header row is repeated at the top of each.</summary>
    public void Table(IReadOnlyList<PdfColumn> columns, IEnumerable<IReadOnlyList<PdfCell>> rows, float size = 8, float headerSize = 7.5f)
    {
        var total = columns.Sum(c => c.Weight);
        var widths = columns.Select(c => ContentWidth * c.Weight / total).ToArray();
        const float pad = 3;
        using var font = Font(size);
        using var headerFont = Font(headerSize, bold: true);
        // No word is split across lines where the page allows it: each column needs its longest word (header or
        // cell). A column short of that takes width from columns with room to spare, in proportion to their room and
        // never below their own need; when the room is not enough, the short columns share all of it. A cell word wider
        // than a quarter of the page (or the column's share, if more) claims only that much and is cut: one 200-letter
        // team name does not squeeze every other column.
        var table = rows as IReadOnlyList<IReadOnlyList<PdfCell>> ?? rows.ToList();
        var need = columns.Select((c, i) =>
        {
            var widest = c.Header.Split(' ').Max(w => headerFont.MeasureText(w));
            var cap = Math.Max(widths[i], ContentWidth / 4) - 2 * pad - 1;
            foreach (var row in table)
            {
                if (i >= row.Count) continue;
                foreach (var word in row[i].Text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    widest = Math.Max(widest, Math.Min(cap, font.MeasureText(word)));
            }
            return widest + 2 * pad + 1;
        }).ToArray();
        var deficit = widths.Select((w, i) => Math.Max(0, need[i] - w)).Sum();
        var slack = widths.Select((w, i) => Math.Max(0, w - need[i])).Sum();
        if (deficit > 0 && slack > 0)
        {
            var share = Math.Min(1, slack / deficit); // of each short column's shortfall that is made up
            var taken = Math.Min(slack, deficit);     // from the roomy columns, in proportion to their room
            for (var i = 0; i < widths.Length; i++)
                widths[i] = widths[i] < need[i] ? widths[i] + share * (need[i] - widths[i]) : widths[i] - taken * (widths[i] - need[i]) / slack;
        }
        using var rule = new SKPaint { Color = Rule, StrokeWidth = 0.5f };
        var headerLines = columns.Select((c, i) => Wrap(c.Header, headerFont, widths[i] - 2 * pad)).ToArray();
        var headerHeight = headerLines.Max(l => l.Count) * headerSize * 1.25f + 2 * pad;
        var lineHeight = size * 1.3f;

        void Header()
        {
            using var fill = new SKPaint { Color = HeaderFill };
            _canvas.DrawRect(new SKRect(Margin, Y, Margin + ContentWidth, Y + headerHeight), fill);
            var x = Margin;
            for (var i = 0; i < columns.Count; i++)
            {
                for (var l = 0; l < headerLines[i].Count; l++)
                {
                    var baseline = Y + pad + headerSize + l * headerSize * 1.25f;
                    // Over numbers, the header sits on the same (right) edge as they do.
                    if (columns[i].RightAlign) Text(_canvas, headerLines[i][l], x + widths[i] - pad, baseline, headerFont, Ink, SKTextAlign.Right);
                    else Text(_canvas, headerLines[i][l], x + pad, baseline, headerFont, Ink);
                }
                x += widths[i];
            }
            Y += headerHeight;
            _canvas.DrawLine(Margin, Y, Margin + ContentWidth, Y, rule);
        }

        Need(headerHeight + lineHeight + 2 * pad);
        Header();
        foreach (var row in table)
        {
            var lines = new List<string>[columns.Count];
            var count = 1;
            for (var i = 0; i < columns.Count; i++)
            {
                lines[i] = i < row.Count ? Wrap(row[i].Text, font, widths[i] - 2 * pad) : [""];
                count = Math.Max(count, lines[i].Count);
            }
            var height = count * lineHeight + 2 * pad;
            if (Y + height > Bottom)
            {
                NewPage();
                Header();
            }
            var x = Margin;
            for (var i = 0; i < columns.Count; i++)
            {
                if (i < row.Count && row[i].Fill is { } color)
                {
                    using var fill = new SKPaint { Color = color };
                    _canvas.DrawRect(new SKRect(x + 0.5f, Y + 0.5f, x + widths[i] - 0.5f, Y + height - 0.5f), fill);
                }
                for (var l = 0; l < lines[i].Count; l++)
                {
                    var baseline = Y + pad + size + l * lineHeight;
                    if (columns[i].RightAlign) Text(_canvas, lines[i][l], x + widths[i] - pad, baseline, font, Ink, SKTextAlign.Right);
                    else Text(_canvas, lines[i][l], x + pad, baseline, font, Ink);
                }
                x += widths[i];
            }
            Y += height;
            _canvas.DrawLine(Margin, Y, Margin + ContentWidth, Y, rule);
        }
        Y += 10;
    }

    /// <summary>Writes every page with its header (title, subtitle) and footer ("page X of Y"), with the fonts cut down
    /// to the glyphs drawn (<see cref="PdfFontSubset"/>) unless <paramref name="subsetFonts"/> is false.</summary>
    public void Save(Stream output, DateTimeOffset created, bool subsetFonts = true)
    {
        if (!subsetFonts)
        {
            Render(output, created);
            return;
        }
        using var whole = new MemoryStream();
        Render(whole, created);
        output.Write(PdfFontSubset.Shrink(whole.ToArray()));
    }

    private void Render(Stream output, DateTimeOffset created)
    {
        EndRecording();
        var metadata = new SKDocumentPdfMetadata
        {
            Title = _title, Subject = _subtitle, Creator = "TeamSkills", Producer = "TeamSkills (SkiaSharp PDF)",
            Creation = created.UtcDateTime, Modified = created.UtcDateTime, RasterDpi = 150,
        };
        using var doc = SKDocument.CreatePdf(output, metadata);
        using var small = Font(8);
        using var titleFont = Font(9, bold: true);
        using var rule = new SKPaint { Color = Rule, StrokeWidth = 0.5f };
        var runningTitle = Fit(_title, titleFont, ContentWidth - small.MeasureText(_subtitle) - 16);
        for (var i = 0; i < _pages.Count; i++)
        {
            var canvas = doc.BeginPage(Width, Height);
            Text(canvas, runningTitle, Margin, Margin, titleFont, Ink);
            Text(canvas, _subtitle, Width - Margin, Margin, small, Muted, SKTextAlign.Right);
            canvas.DrawLine(Margin, Margin + 6, Width - Margin, Margin + 6, rule);
            canvas.DrawPicture(_pages[i]);
            canvas.DrawLine(Margin, Height - Margin - 12, Width - Margin, Height - Margin - 12, rule);
            Text(canvas, "TeamSkills", Margin, Height - Margin, small, Muted);
            Text(canvas, $"page {i + 1} of {_pages.Count}", Width - Margin, Height - Margin, small, Muted, SKTextAlign.Right);
            doc.EndPage();
        }
        doc.Close();
    }

    /// <summary><paramref name="text"/>, shortened with an ellipsis to fit <paramref name="width"/>.</summary>
    public static string Fit(string text, SKFont font, float width)
    {
        if (font.MeasureText(text) <= width) return text;
        var cut = text.Length;
        while (cut > 1 && font.MeasureText(text[..cut] + "…") > width) cut--;
        return text[..cut].TrimEnd() + "…";
    }

    public int PageCount => _pages.Count + (_recorder is null ? 0 : 1);

    public void Dispose()
    {
        _recorder?.Dispose();
        foreach (var p in _pages) p.Dispose();
    }
}
