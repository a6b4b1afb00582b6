using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Xml;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Reports;
using TeamSkills.Reports.Excel;
using TeamSkills.Reports.Pdf;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Exports;
using TeamSkills.Web.Features.Imports;

namespace TeamSkills.Benchmarks;

/// <summary>
/// tests/bench.sh --exports [--engineers N]: imports a generated org, then in a fresh process (so the import's memory
/// peak is not counted) loads the gap index, times the streamed org workbook to a file with its peak RSS, a bare
/// zip-and-XmlWriter loop and a bare OpenXmlWriter loop writing the same cells, the team PDF of a 500-engineer team, and
/// the org PDF and the largest team's workbook and PDF beside bare loops (<see cref="Baselines"/>).
/// </summary>
internal static class ExportBenchmark
{
    public static async Task<int> RunAsync(int engineers)
    {
        var tmp = Directory.CreateTempSubdirectory("teamskills-exports-bench-").FullName;
        try
        {
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var data = DataGenerator.Write(tmp, engineers, 4, today);
            await using (var app = await BenchHost.BuildAsync(Path.Combine(tmp, "app")))
            {
                await ImportAsync<RosterImport>(app, data.RosterPath, "full", (h, r, ct) => h.ExecuteAsync(r, ct));
                await ImportAsync<CompletionImport>(app, data.CompletionsPath, "partial", (h, r, ct) => h.ExecuteAsync(r, ct));
            }
            var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, ["--exports-measure", Path.Combine(tmp, "app"),
                data.Engineers.ToString(CultureInfo.InvariantCulture), data.Teams.ToString(CultureInfo.InvariantCulture), data.Completions.ToString(CultureInfo.InvariantCulture)]))!;
            await child.WaitForExitAsync();
            return child.ExitCode;
        }
        finally
        {
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task ImportAsync<THandler>(WebApplication app, string path, string mode,
        Func<THandler, ImportRequest, CancellationToken, Task<ImportOutcomeResult>> execute) where THandler : notnull
    {
        var request = new ImportRequest(await File.ReadAllBytesAsync(path), Path.GetFileName(path), "text/csv", mode, false, "bench");
        await using var scope = app.Services.CreateAsyncScope();
        var outcome = await execute(scope.ServiceProvider.GetRequiredService<THandler>(), request, CancellationToken.None);
        if (outcome.StatusCode != 200) throw new InvalidOperationException($"{path}: {outcome.StatusCode} {outcome.Response.Message}");
    }

    public static async Task<int> MeasureAsync(string dataDirectory, int engineers, int teams, int completions)
    {
        const double TimeTarget = 15, PdfTarget = 2;
        const long RssTarget = 300_000_000;
        await using var app = await BenchHost.BuildAsync(dataDirectory);
        await using var scope = app.Services.CreateAsyncScope();
        var reports = scope.ServiceProvider.GetRequiredService<ExportReports>();
        var caller = CallerScope.From(AccessSetup.BootstrapPrincipal());
        var asOf = reports.Today;

        // Warm-up on a small org report (JIT, fonts), then the measured run.
        var warm = Stopwatch.StartNew();
        var report = await reports.OrgAsync(caller, asOf, CancellationToken.None); // loads the gap index
        var loadMs = warm.Elapsed.TotalMilliseconds;
        OrgWorkbook.Write(report with { Engineers = report.Engineers.Take(2_000) }, Stream.Null);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var rssBefore = Memory.CurrentRss();
        var peakBefore = Memory.PeakRss();
        // The index load sets the process peak; with VmHWM reset, the peak read after the export is the export's own.
        var reset = Memory.ResetPeak();

        var file = Path.Combine(dataDirectory, "org.xlsx");
        report = await reports.OrgAsync(caller, asOf, CancellationToken.None);
        var sw = Stopwatch.StartNew();
        using (var fs = new FileStream(file, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            OrgWorkbook.Write(report, fs);
        sw.Stop();
        var exportTime = sw.Elapsed;
        var exportPeak = reset ? Memory.PeakRss() : -1;
        var peakAfter = Math.Max(peakBefore, Memory.PeakRss());
        var size = new FileInfo(file).Length;

        // Baseline: the same engineer cells (materialised first, not timed) through a bare ZipArchive + XmlWriter loop.
        var rows = report.Engineers.Select(e => OrgWorkbook.EngineerRow(e, report.Catalog)).ToList();
        var teamRows = report.Teams.Select(OrgWorkbook.TeamRow).ToList();
        var baselineFile = Path.Combine(dataDirectory, "baseline.xlsx");
        // Warm-up like the workbook's: both bare loops once over the first 2,000 rows, so neither timing includes first-call JIT.
        BareWrite(Stream.Null, [teamRows, rows.Take(2_000).ToList()]);
        Baselines.OpenXmlLoop(new MemoryStream(), [teamRows, rows.Take(2_000).ToList()]);
        sw.Restart();
        using (var fs = new FileStream(baselineFile, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            BareWrite(fs, [teamRows, rows]);
        sw.Stop();
        var baselineTime = sw.Elapsed;
        var cells = rows.Sum(r => r.Count(v => v is not null)) + teamRows.Sum(r => r.Length);
        // The issue's baseline: the same cells through a bare OpenXmlWriter loop (buffers each part until the package closes).
        sw.Restart();
        using (var fs = new FileStream(Path.Combine(dataDirectory, "openxml.xlsx"), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            Baselines.OpenXmlLoop(fs, [teamRows, rows]);
        sw.Stop();
        var openXmlTime = sw.Elapsed;
        rows = null;

        // The org PDF (summary, top gaps, every team) and the largest team's workbook and PDF, each beside a bare loop over
        // the same cells or text; one warm-up call each, then the median of three.
        var orgPdf = new MemoryStream();
        var orgPdfTime = Median(() => { orgPdf = new MemoryStream(); ReportPdfs.Org(report, orgPdf); });
        var orgPdfPages = PdfPages(orgPdf.ToArray());
        var orgPdfText = report.Teams.Select(t => new[] { t.Name, t.ManagerEmail ?? "", N(t.Totals.Engineers), N(t.Totals.Recommended), N(t.Totals.Held),
            N(t.Totals.Gaps), N(t.Totals.ExpiringSoon), N(t.Totals.Expired), $"{t.Totals.CoveragePercent:0.0}%" }).ToList();
        var orgPdfBare = Median(() => Baselines.SkiaPdfLoop(new MemoryStream(), orgPdfText));

        var largest = report.Teams.MaxBy(t => t.Totals.Engineers)!;
        var bigTeam = (await reports.TeamAsync(caller, largest.Id, asOf, CancellationToken.None))!;
        var teamXlsx = new MemoryStream();
        var teamXlsxTime = Median(() => { teamXlsx = new MemoryStream(); TeamWorkbook.Write(bigTeam, teamXlsx); });
        var teamCells = bigTeam.Engineers.Select(e => OrgWorkbook.EngineerRow(new OrgEngineer(bigTeam.TeamName, e), report.Catalog)).ToList();
        var teamXlsxBare = Median(() => Baselines.OpenXmlLoop(new MemoryStream(), [teamCells]));
        var teamPdf = new MemoryStream();
        var teamPdfTime = Median(() => { teamPdf = new MemoryStream(); ReportPdfs.Team(bigTeam, teamPdf); });
        var teamPdfText = bigTeam.Engineers.Select(e => new[] { $"{e.Name} ({e.EmployeeId})", e.Role ?? "title not mapped" }
                .Concat(bigTeam.Columns.Select(c => e.Cells.FirstOrDefault(x => x.CertId == c.Id) is { } cell ? ReportText.Status(cell.Status) : "n/a")).ToArray())
            .Concat(bigTeam.Engineers.Select(e => new[] { e.Name, e.EmployeeId, e.Title, ReportText.Next(e) })).ToList();
        var teamPdfBare = Median(() => Baselines.SkiaPdfLoop(new MemoryStream(), teamPdfText));

        // Team PDF of 500 engineers: the first 500 of the org (with their statuses), as one team.
        var five = report.Engineers.Take(500).Select(e => e.Engineer).ToList();
        var team = new TeamReport(report.Header, 1, "Bench team", "boss@example.com", report.Totals,
            report.Catalog.Where(c => five.Any(e => e.Cells.Any(x => x.CertId == c.Id))).ToList(), five, report.Forecast, report.Coverage, report.Catalog);
        ReportPdfs.Team(team with { Engineers = five.Take(20).ToList() }, Stream.Null); // warm-up
        sw.Restart();
        var pdf = new MemoryStream();
        ReportPdfs.Team(team, pdf);
        sw.Stop();
        var pdfTime = sw.Elapsed;
        var pages = PdfPages(pdf.ToArray());

        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {TotalGb():0.0} GB RAM, {Os()}, .NET {Environment.Version} ({Machine.Gc()}), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        Console.WriteLine($"{engineers:N0} engineers, {teams:N0} teams, {completions:N0} completions; gap index loaded in {loadMs:N0} ms (not counted).");
        Console.WriteLine();
        Console.WriteLine("| Measure | TeamSkills | Baseline | Ratio | Target | Result |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Console.WriteLine($"| Org workbook to a file, {engineers:N0} engineers ({cells:N0} cells in Teams + Engineers; {size / 1e6:N1} MB) | {exportTime.TotalSeconds:N2} s | bare ZipArchive + XmlWriter loop, same cells: {baselineTime.TotalSeconds:N2} s | {exportTime / baselineTime:N1}x | ≤ {TimeTarget} s | {(exportTime.TotalSeconds <= TimeTarget ? "PASS" : "FAIL")} |");
        Console.WriteLine($"| Peak RSS of the process during the export (VmHWM; fresh process, gap index loaded) | {Memory.Mb(peakAfter)} | before the export: RSS {Memory.Mb(rssBefore)}, peak {Memory.Mb(peakBefore)}; peak during the export alone: {Memory.Mb(exportPeak)} | | ≤ 300 MB | {(peakAfter <= RssTarget ? "PASS" : "FAIL")} |");
        Console.WriteLine($"| Team PDF, 500 engineers ({pages} pages, {pdf.Length / 1e3:N0} kB) | {pdfTime.TotalMilliseconds:N0} ms | | | ≤ {PdfTarget} s | {(pdfTime.TotalSeconds <= PdfTarget ? "PASS" : "FAIL")} |");
        Console.WriteLine($"| Org workbook, same run, against the issue's baseline | {exportTime.TotalSeconds:N2} s | bare OpenXmlWriter loop, same cells: {openXmlTime.TotalSeconds:N2} s | {exportTime / openXmlTime:N1}x | | info |");
        Console.WriteLine($"| Org PDF ({report.Teams.Count:N0} teams; {orgPdfPages} pages, {orgPdf.Length / 1e3:N0} kB), median of 3 | {orgPdfTime:N1} ms | bare SkiaSharp PDF loop, same team rows: {orgPdfBare:N1} ms | {orgPdfTime / orgPdfBare:N1}x | | info |");
        Console.WriteLine($"| Team workbook, largest team ({bigTeam.Engineers.Count} engineers; {teamXlsx.Length / 1e3:N0} kB), median of 3 | {teamXlsxTime:N1} ms | bare OpenXmlWriter loop, same engineer cells: {teamXlsxBare:N1} ms | {teamXlsxTime / teamXlsxBare:N1}x | | info |");
        Console.WriteLine($"| Team PDF, largest team ({PdfPages(teamPdf.ToArray())} pages), median of 3 | {teamPdfTime:N1} ms | bare SkiaSharp PDF loop, same text: {teamPdfBare:N1} ms | {teamPdfTime / teamPdfBare:N1}x | | info |");

        Results.Emit("Exports", "Org workbook (xlsx) to a file", engineers, exportTime.TotalSeconds, openXmlTime.TotalSeconds, "s",
            "bare OpenXmlWriter loop, same cells", $"bare streamed XmlWriter loop {baselineTime.TotalSeconds:N2} s; {cells:N0} cells, {size / 1e6:N1} MB");
        Results.Emit("Exports", "Peak RSS during org export (fresh process, VmHWM)", engineers, peakAfter / 1e6, rssBefore / 1e6, "MB",
            "RSS before the export", $"export's own peak {Memory.Mb(exportPeak)}");
        Results.Emit("Exports", "Org PDF", engineers, orgPdfTime, orgPdfBare, "ms", "bare SkiaSharp PDF loop, same team rows",
            $"{report.Teams.Count:N0} teams, {orgPdfPages} pages");
        Results.Emit("Exports", "Team workbook (xlsx), largest team", engineers, teamXlsxTime, teamXlsxBare, "ms", "bare OpenXmlWriter loop, same engineer cells",
            $"{bigTeam.Engineers.Count} engineers; ClosedXML, 5 sheets");
        Results.Emit("Exports", "Team PDF, largest team", engineers, teamPdfTime, teamPdfBare, "ms", "bare SkiaSharp PDF loop, same text",
            $"{bigTeam.Engineers.Count} engineers, {PdfPages(teamPdf.ToArray())} pages");
        return 0;
    }

    /// <summary>
    /// The bare loop streams the same way the workbook does (one zip entry at a time, <see cref="XmlWriter"/> per row),
    /// with only the parts a reader needs: no styles, widths, panes or filters.
    /// </summary>
    private static void BareWrite(Stream output, List<object?[]>[] sheets)
    {
        const string Main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        const string Rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        void Part(string path, string? xml, Action<XmlWriter>? write = null)
        {
            using var stream = zip.CreateEntry(path, CompressionLevel.Optimal).Open();
            if (xml is not null) { stream.Write(Encoding.UTF8.GetBytes(xml)); return; }
            using var w = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false) });
            write!(w);
        }
        for (var s = 0; s < sheets.Length; s++)
        {
            Part($"xl/worksheets/sheet{s + 1}.xml", null, w =>
            {
                w.WriteStartElement("worksheet", Main);
                w.WriteStartElement("sheetData", Main);
                var r = 0;
                foreach (var values in sheets[s])
                {
                    r++;
                    var row = r.ToString(CultureInfo.InvariantCulture);
                    w.WriteStartElement("row", Main);
                    w.WriteAttributeString("r", row);
                    for (var c = 0; c < values.Length; c++)
                    {
                        var v = values[c];
                        if (v is null) continue;
                        w.WriteStartElement("c", Main);
                        w.WriteAttributeString("r", StreamingWorkbook.Letters(c) + row);
                        if (v is int or double)
                            w.WriteElementString("v", Main, Convert.ToString(v, CultureInfo.InvariantCulture));
                        else
                        {
                            w.WriteAttributeString("t", "inlineStr");
                            w.WriteStartElement("is", Main);
                            w.WriteElementString("t", Main, v is StreamingWorkbook.Styled st ? st.Text : v.ToString());
                            w.WriteEndElement();
                        }
                        w.WriteEndElement();
                    }
                    w.WriteEndElement();
                }
                w.WriteEndElement();
                w.WriteEndElement();
            });
        }
        var sheetList = string.Concat(Enumerable.Range(1, sheets.Length).Select(i => $"<sheet name=\"S{i}\" sheetId=\"{i}\" r:id=\"rId{i}\"/>"));
        Part("xl/workbook.xml", $"<workbook xmlns=\"{Main}\" xmlns:r=\"{Rel}\"><sheets>{sheetList}</sheets></workbook>");
        Part("xl/_rels/workbook.xml.rels", "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + string.Concat(Enumerable.Range(1, sheets.Length).Select(i => $"<Relationship Id=\"rId{i}\" Type=\"{Rel}/worksheet\" Target=\"worksheets/sheet{i}.xml\"/>"))
            + "</Relationships>");
        Part("_rels/.rels", $"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{Rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>");
        Part("[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
            + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
            + "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
            + string.Concat(Enumerable.Range(1, sheets.Length).Select(i => $"<Override PartName=\"/xl/worksheets/sheet{i}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"))
            + "</Types>");
    }

    /// <summary>One call to warm up, then the median of three timed calls, in milliseconds.</summary>
    private static double Median(Action work)
    {
        work();
        var times = new double[3];
        for (var i = 0; i < times.Length; i++)
        {
            var sw = Stopwatch.StartNew();
            work();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[1];
    }

    private static string N(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>"/Type /Page" objects (not /Pages): the page count, without a PDF reader in the benchmark.</summary>
    private static int PdfPages(byte[] pdf) =>
        System.Text.RegularExpressions.Regex.Matches(System.Text.Encoding.Latin1.GetString(pdf), @"/Type\s*/Page(?!s)").Count;

    private static double TotalGb() =>
        long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))["MemTotal:".Length..].Trim().Split(' ')[0]) * 1024 / 1e9;

    private static string Os() =>
        File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?["PRETTY_NAME=".Length..].Trim('"') ?? "Linux";
}
