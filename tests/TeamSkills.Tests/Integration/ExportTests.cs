using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClosedXML.Excel;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Data;
using UglyToad.PdfPig;

namespace TeamSkills.Tests.Integration;

/// <summary>Every export read back (ClosedXML, PdfPig) and compared with the API's numbers; access rules; file names.</summary>
public sealed class ExportTests
{
    public const string Payload = "=HYPERLINK(\"http://x\",\"y\")";
    public const string OddTeam = "../We/st \"Ops\"";

    private static Task<AppFactory> StartAsync(DatabaseProvider provider) => new AppFactory(provider).StartedAsync(async app =>
    {
        var api = app.Api();
        var roster = Data.Roster(
            "E6,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",x@example.com,Platform,mia@example.com,Platform Engineer",
            $"E9,Pat Path,pat@example.com,\"../We/st \"\"Ops\"\"\",pat.boss@example.com,Platform Engineer");
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", roster)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/completions", Data.Completions(), "completions.csv")).StatusCode);
    });

    private static async Task<int> TeamId(AppFactory app, string name) =>
        (await (await app.Api().GetAsync("/api/teams")).JsonOf()).EnumerateArray().Single(t => t.GetProperty("name").GetString() == name).GetProperty("id").GetInt32();

    private static Task<HttpClient> As(AppFactory app, string email, string role) => app.ApiAsAsync(email, role);

    private static async Task<XLWorkbook> Workbook(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", response.Content.Headers.ContentType?.MediaType);
        return new XLWorkbook(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
    }

    private static Dictionary<string, IXLCell> SummaryOf(IXLWorksheet ws) =>
        ws.RowsUsed().ToDictionary(r => r.Cell(1).GetString(), r => r.Cell(2));

    private static string Status(JsonElement c) => c.GetProperty("status").GetString()!;

    [SkippableTheory, DatabaseData]
    public async Task TeamXlsx_ReadBack_EqualsTheTeamGapsApi(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var client = app.Api();
        var id = await TeamId(app, "Platform");
        // A Data Engineer among the SREs: the roles' lists, joined in engineer order, are not in catalog order.
        Assert.Equal(HttpStatusCode.OK, (await client.UploadCsv("/api/imports/roster?mode=partial", Data.Lines(Data.RosterHeader,
            "E10,Dee Data,dee@example.com,Platform,mia@example.com,Data Engineer"))).StatusCode);
        var api = await (await client.GetAsync($"/api/teams/{id}/gaps?asOf=2026-06-01")).JsonOf();
        var response = await client.GetAsync($"/api/teams/{id}/report.xlsx?asOf=2026-06-01");
        await response.Content.LoadIntoBufferAsync();
        File.WriteAllBytes(Path.Combine(TeamSkills.Tests.Browser.BrowserFixture.ArtifactsDirectory, "team-report.xlsx"), await response.Content.ReadAsByteArrayAsync());
        using var wb = await Workbook(response);
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal("teamskills-Platform-2026-06-01.xlsx", disposition.FileName?.Trim('"'));

        Assert.Equal(["Summary", "Heat map", "Expiring", "Engineers", "Catalog"], wb.Worksheets.Select(w => w.Name));
        var summary = SummaryOf(wb.Worksheet("Summary"));
        Assert.Equal("Platform", summary["Team"].GetString());
        Assert.Equal(new DateTime(2026, 6, 1), summary["As of"].GetDateTime());
        Assert.Equal("bootstrap-admin", summary["Exported by"].GetString());
        Assert.Equal("whole organisation", summary["Scope"].GetString());
        foreach (var (label, field) in new[] { ("Engineers", "engineerCount"), ("Recommended", "recommendedCount"), ("Held", "heldCount"),
                     ("Gaps", "gapCount"), ("Expiring soon", "expiringSoonCount"), ("Expired", "expiredCount"), ("Unmapped titles", "unmappedCount") })
            Assert.Equal(api.GetProperty(field).GetInt32(), summary[label].GetValue<int>());
        Assert.Equal(api.GetProperty("coveragePercent").GetDouble(), summary["Coverage %"].GetDouble());
        // "Expiring soon" in the words of the pages' tile (from the catalog's renewal windows).
        var tile = app.Services.GetRequiredService<TeamSkills.Web.Features.Gaps.GapIndex>();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var label = (await tile.GetAsync(scope.ServiceProvider.GetRequiredService<TeamSkillsDbContext>(), default)).ExpiringLabel;
            Assert.StartsWith("expiring ", label);
            Assert.Equal($"held, and {label} (inside the renewal window)", summary["Expiring soon means"].GetString());
        }

        var heat = wb.Worksheet("Heat map");
        Assert.Equal(1, heat.SheetView.SplitRow);
        Assert.True(heat.AutoFilter.IsEnabled);
        Assert.True(heat.Column(2).Width > 10); // sized from the names, not the default
        var headers = heat.Row(1).CellsUsed().Select(c => c.GetString()).ToList();
        var engineers = api.GetProperty("engineers").EnumerateArray().ToList();
        Assert.Equal(engineers.Count, heat.RowsUsed().Count() - 1);
        foreach (var e in engineers)
        {
            var row = heat.RowsUsed().Single(r => r.Cell(1).GetString() == e.GetProperty("employeeId").GetString());
            Assert.Equal(e.GetProperty("name").GetString(), row.Cell(2).GetString());
            // The next step (or "all held"), then the renewal due first, if any (as on the team page).
            var due = e.GetProperty("certifications").EnumerateArray().Where(c => c.GetProperty("status").GetString() == "expiring")
                .OrderBy(c => c.GetProperty("expiresOn").GetString()).Select(c => $"; renew {c.GetProperty("name").GetString()} by {c.GetProperty("expiresOn").GetString()}")
                .FirstOrDefault() ?? "";
            var next = e.GetProperty("role").ValueKind == JsonValueKind.Null ? "title not mapped"
                : (e.GetProperty("next").ValueKind == JsonValueKind.Null ? "all held" : e.GetProperty("next").GetProperty("label").GetString()) + due;
            Assert.Equal(next, row.Cell(4).GetString());
            foreach (var c in e.GetProperty("certifications").EnumerateArray())
            {
                var cell = row.Cell(headers.IndexOf(c.GetProperty("name").GetString()!) + 1);
                Assert.Equal(Status(c), cell.GetString());
                Assert.NotEqual(XLColor.NoColor, cell.Style.Fill.BackgroundColor);
            }
        }

        // Expiring: held certifications expiring within 180 days, as the API's dates say.
        var asOf = new DateOnly(2026, 6, 1);
        var expected = engineers.SelectMany(e => e.GetProperty("certifications").EnumerateArray())
            .Count(c => Status(c) is "valid" or "expiring" && DateOnly.Parse(c.GetProperty("expiresOn").GetString()!) is var x && x > asOf && x <= asOf.AddDays(180));
        Assert.True(expected > 0);
        Assert.Equal(expected, wb.Worksheet("Expiring").RowsUsed().Count() - 1);
        // The sheet's horizon is said, not left to guess against "Expiring soon" (the renewal windows).
        Assert.Equal("Expiring within 180 days: held certifications that expire after 2026-06-01 and by 2026-11-28", summary["Expiring sheet"].GetString());
        // Engineers: one flat row per engineer and recommended certification (one for an unmapped title).
        Assert.Equal(engineers.Sum(e => Math.Max(1, e.GetProperty("certifications").GetArrayLength())), wb.Worksheet("Engineers").RowsUsed().Count() - 1);
        Assert.Equal(12, wb.Worksheet("Catalog").RowsUsed().Count() - 1);
        // A hard prerequisite by name, as the dashboard shows it.
        var professional = wb.Worksheet("Catalog").RowsUsed().Single(r => r.Cell(1).GetString() == "mlops-professional");
        Assert.Equal("MLOps Foundation", professional.Cell(6).GetString());

        // The team page's heat map has the workbook's columns in the workbook's order.
        var page = await (await app.SignedInAsAsync("lnd@example.com", "LearningAdmin")).GetStringAsync($"/teams/{id}?asOf=2026-06-01");
        var names = engineers.SelectMany(e => e.GetProperty("certifications").EnumerateArray())
            .DistinctBy(c => c.GetProperty("id").GetString()).ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("name").GetString()!);
        var pageColumns = System.Text.RegularExpressions.Regex.Matches(page, "<th class=\"certcol\" data-key=\"([^\"]+)\"").Select(m => names[m.Groups[1].Value]);
        Assert.Equal(headers.Skip(4), pageColumns);
    }

    [SkippableTheory, DatabaseData]
    public async Task TeamXlsx_FormulaLikeRosterName_ComesOutAsText(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var bytes = await (await api.GetAsync($"/api/teams/{await TeamId(app, "Platform")}/report.xlsx")).Content.ReadAsByteArrayAsync();
        using (var wb = new XLWorkbook(new MemoryStream(bytes)))
        {
            var cells = wb.Worksheets.SelectMany(w => w.CellsUsed()).Where(c => c.GetString() == Payload).ToList();
            Assert.Equal(5, cells.Count); // heat map once, Engineers once per recommended certification (4 for a Platform Engineer)
            Assert.All(cells, c => Assert.False(c.HasFormula));
            Assert.All(cells, c => Assert.Equal(XLDataType.Text, c.DataType));
            Assert.All(cells, c => Assert.True(c.Style.IncludeQuotePrefix));
        }
        using var zip = new ZipArchive(new MemoryStream(bytes));
        foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith("xl/worksheets/", StringComparison.Ordinal)))
            Assert.DoesNotContain("<x:f>", new StreamReader(entry.Open()).ReadToEnd().Replace("<f>", "<x:f>"));
    }

    [SkippableTheory, DatabaseData]
    public async Task TeamPdf_ReadBack_TextEqualsTheApi_AndPageOneRendersToPng(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var client = app.Api();
        var id = await TeamId(app, "Platform");
        var api = await (await client.GetAsync($"/api/teams/{id}/gaps")).JsonOf();
        var response = await client.GetAsync($"/api/teams/{id}/report.pdf");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("teamskills-Platform-2026-06-01.pdf", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var png = Pdftoppm(bytes, "team-report-page1");
        Assert.True(new FileInfo(png).Length > 10_000, "page 1 rendered to a real picture");
        // Each font is embedded once: the charts draw with the report's own typefaces (a second copy of the regular face
        // was 210 kB of every team PDF).
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(System.Text.Encoding.Latin1.GetString(bytes), "/FontFile2").Count);

        using var pdf = PdfDocument.Open(bytes);
        var pages = pdf.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))).ToList();
        var all = string.Join(" ", pages);
        Assert.Contains("Platform", pages[0]);
        Assert.Contains($"{api.GetProperty("coveragePercent").GetDouble():0.0}%", pages[0]);
        Assert.Contains($"{api.GetProperty("gapCount").GetInt32()} gaps", pages[0]);
        // The expiring count in the pages' words ("N expiring in 90 days"), not "expiring soon".
        Assert.Matches($"{api.GetProperty("expiringSoonCount").GetInt32()} expiring (in|within) ", pages[0]);
        Assert.DoesNotContain("expiring soon", pages[0]);
        Assert.Contains("Coverage by certification", pages[0]);
        for (var i = 0; i < pages.Count; i++) Assert.Contains($"page {i + 1} of {pages.Count}", pages[i]);
        foreach (var e in api.GetProperty("engineers").EnumerateArray())
        {
            Assert.Contains(e.GetProperty("employeeId").GetString()!, all);
            if (e.GetProperty("next").ValueKind == JsonValueKind.Object) Assert.Contains(e.GetProperty("next").GetProperty("name").GetString()!, all);
        }
        Assert.Contains("Ann Archer", all);
        Assert.Contains("expiring", all);
    }

    private static double Overlap(double a0, double a1, double b0, double b1) => Math.Min(a1, b1) - Math.Max(a0, b0);

    /// <summary>Page 1 through poppler's pdftoppm into tests/results/screenshots; fails if pdftoppm fails.</summary>
    private static string Pdftoppm(byte[] pdf, string name)
    {
        var dir = TeamSkills.Tests.Browser.BrowserFixture.ArtifactsDirectory;
        var input = Path.Combine(dir, name + ".pdf");
        File.WriteAllBytes(input, pdf);
        Poppler("pdftoppm", ["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", input, Path.Combine(dir, name)]);
        var png = Path.Combine(dir, name + ".png");
        Assert.True(File.Exists(png));
        return png;
    }

    /// <summary>Every page's text through poppler's pdftotext (its default, layout-guessing mode); the PDF is kept in
    /// tests/results/screenshots.</summary>
    private static string Pdftotext(byte[] pdf, string name)
    {
        var input = Path.Combine(TeamSkills.Tests.Browser.BrowserFixture.ArtifactsDirectory, name + ".pdf");
        File.WriteAllBytes(input, pdf);
        return Poppler("pdftotext", ["-enc", "UTF-8", input, "-"]);
    }

    /// <summary>Runs a poppler-utils tool and returns its output; fails if the tool fails.</summary>
    private static string Poppler(string tool, string[] args)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process? p;
        try { p = Process.Start(psi); }
        catch (System.ComponentModel.Win32Exception ex)
        {
            // House rule: a missing tool skips with the reason, except under CI=true, where it fails.
            var reason = $"{tool} is not installed (Debian: poppler-utils; tests/run.sh installs it as root)";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException(reason, ex);
            Skip.If(true, reason);
            throw;
        }
        Assert.NotNull(p);
        var errors = p!.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), $"{tool} finished");
        Assert.True(p.ExitCode == 0, $"{tool} exit {p.ExitCode}: {errors.Result}");
        return output;
    }

    [SkippableTheory, DatabaseData]
    public async Task OrgXlsx_ReadBack_EqualsTheTeamsApi_AndListsEveryEngineer(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var teams = (await (await api.GetAsync("/api/teams?asOf=2026-06-01")).JsonOf()).EnumerateArray().ToList();
        using var wb = await Workbook(await api.GetAsync("/api/reports/org.xlsx?asOf=2026-06-01"));
        Assert.Equal(["Summary", "Teams", "Engineers", "Catalog"], wb.Worksheets.Select(w => w.Name));
        var sheet = wb.Worksheet("Teams");
        Assert.Equal(teams.Count, sheet.RowsUsed().Count() - 1);
        foreach (var t in teams)
        {
            var row = sheet.RowsUsed().Single(r => r.Cell(1).GetString() == t.GetProperty("id").GetInt32().ToString());
            Assert.Equal(t.GetProperty("name").GetString(), row.Cell(2).GetString());
            Assert.Equal(t.GetProperty("engineerCount").GetInt32(), row.Cell(4).GetValue<int>());
            Assert.Equal(t.GetProperty("recommendedCount").GetInt32(), row.Cell(5).GetValue<int>());
            Assert.Equal(t.GetProperty("heldCount").GetInt32(), row.Cell(6).GetValue<int>());
            Assert.Equal(t.GetProperty("gapCount").GetInt32(), row.Cell(7).GetValue<int>());
            Assert.Equal(t.GetProperty("expiringSoonCount").GetInt32(), row.Cell(8).GetValue<int>());
            Assert.Equal(t.GetProperty("expiredCount").GetInt32(), row.Cell(9).GetValue<int>());
            Assert.Equal(t.GetProperty("coveragePercent").GetDouble(), row.Cell(11).GetDouble());
        }
        var summary = SummaryOf(wb.Worksheet("Summary"));
        Assert.Equal(teams.Sum(t => t.GetProperty("gapCount").GetInt32()), summary["Gaps"].GetValue<int>());
        Assert.Equal(teams.Sum(t => t.GetProperty("engineerCount").GetInt32()), summary["Engineers"].GetValue<int>());
        Assert.EndsWith("empty where the role does not recommend the certification", summary[TeamSkills.Reports.Excel.OrgWorkbook.StatusCellsItem].GetString());

        var engineers = wb.Worksheet("Engineers");
        Assert.Equal(1, engineers.SheetView.SplitRow);
        Assert.True(engineers.AutoFilter.IsEnabled);
        Assert.Equal(teams.Sum(t => t.GetProperty("engineerCount").GetInt32()), engineers.RowsUsed().Count() - 1);
        var payload = engineers.CellsUsed().Single(c => c.GetString() == Payload);
        Assert.False(payload.HasFormula);
        Assert.Equal(XLDataType.Text, payload.DataType);
        // Per engineer: gaps and held equal the team API's engineer rows.
        var platform = await (await api.GetAsync($"/api/teams/{await TeamId(app, "Platform")}/gaps?asOf=2026-06-01")).JsonOf();
        foreach (var e in platform.GetProperty("engineers").EnumerateArray())
        {
            var row = engineers.RowsUsed().Single(r => r.Cell(2).GetString() == e.GetProperty("employeeId").GetString());
            var statuses = e.GetProperty("certifications").EnumerateArray().Select(Status).ToList();
            Assert.Equal(statuses.Count(s => s is "valid" or "expiring"), row.Cell(8).GetValue<int>());
            Assert.Equal(statuses.Count(s => s is "missing" or "expired"), row.Cell(9).GetValue<int>());
        }
    }

    [SkippableTheory, DatabaseData]
    public async Task OrgPdf_ReadBack_HasEveryTeamAndTheOrgTotals(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var teams = (await (await api.GetAsync("/api/teams")).JsonOf()).EnumerateArray().ToList();
        var response = await api.GetAsync("/api/reports/org.pdf");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("teamskills-organisation-2026-06-01.pdf", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Pdftoppm(bytes, "org-report-page1");
        using var pdf = PdfDocument.Open(bytes);
        var all = string.Join(" ", pdf.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))));
        Assert.Contains($"{teams.Sum(t => t.GetProperty("gapCount").GetInt32())} gaps", all);
        Assert.Contains("Top gaps", all);
        foreach (var t in teams) Assert.Contains(t.GetProperty("name").GetString()!.Split(' ')[0], all);
        // The expiry forecast's month axis: twelve separate labels, the year only at the first month and at January.
        Assert.Contains("Jun 26 Jul Aug Sep Oct Nov Dec Jan 27 Feb Mar Apr May", all);
        // Column headers are never split inside a word ("Recommended" heads the top-gaps and the teams tables), and the
        // coverage scale stops at 100%.
        var words = pdf.GetPages().SelectMany(p => p.GetWords()).Select(w => w.Text).ToList();
        Assert.Equal(2, words.Count(w => w == "Recommended"));
        Assert.DoesNotContain("120", words);
    }

    [SkippableTheory, DatabaseData]
    public async Task PdfReports_KeepAOneWordTeamNameOfMaximumLengthOnThePage_AndTheOtherColumnsWhole(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var name = "Team" + string.Concat(Enumerable.Repeat("Very", 48)) + "Long"; // 200 characters, one word: the import's limit
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster?mode=partial",
            Data.Lines(Data.RosterHeader, $"E7,Lorenzo Long,lorenzo@example.com,{name},long.boss@example.com,Platform Engineer"))).StatusCode);
        var id = await TeamId(app, name);

        foreach (var url in new[] { $"/api/teams/{id}/report.pdf", "/api/reports/org.pdf" })
        {
            var bytes = await (await api.GetAsync(url)).Content.ReadAsByteArrayAsync();
            Pdftoppm(bytes, url.Contains("org") ? "org-report-long-name" : "team-report-long-name");
            using var pdf = PdfDocument.Open(bytes);
            foreach (var page in pdf.GetPages())
            {
                // Nothing is drawn past the right margin (36 pt), and in the running header no two words overlap (the
                // title and "as of").
                Assert.All(page.Letters, l => Assert.True(l.BoundingBox.Right <= page.Width - 35, $"{url} page {page.Number}: '{l.Value}' at {l.BoundingBox.Right:0} of {page.Width:0}"));
                var words = page.GetWords().Where(w => w.BoundingBox.Bottom > page.Height - 50).ToList();
                Assert.Contains(words, w => w.Text == "as");
                foreach (var (a, i) in words.Select((w, i) => (w, i)))
                    foreach (var b in words.Skip(i + 1))
                        Assert.False(Overlap(a.BoundingBox.Left, a.BoundingBox.Right, b.BoundingBox.Left, b.BoundingBox.Right) > 1
                            && Overlap(a.BoundingBox.Bottom, a.BoundingBox.Top, b.BoundingBox.Bottom, b.BoundingBox.Top) > 1,
                            $"{url} page {page.Number}: '{a.Text}' overlaps '{b.Text}'");
            }
            var all = pdf.GetPages().SelectMany(p => p.GetWords()).Select(w => w.Text).ToList();
            Assert.Contains(all, w => w.StartsWith("TeamVeryVery", StringComparison.Ordinal));
            if (url.Contains("org")) Assert.Equal(2, all.Count(w => w == "Recommended")); // the numeric headers stay whole
        }
    }

    [Fact]
    public async Task ATeamWithNothingRecommended_ShowsNoCoverage_NotZeroPercent_OnTheOverviewAndInThePdfs()
    {
        await using var app = await StartAsync(DatabaseProvider.Sqlite);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster?mode=partial",
            Data.Lines(Data.RosterHeader, "E8,Una Mapped,una@example.com,Unmapped Team,una.boss@example.com,Chief Vibes Officer"))).StatusCode);
        var id = await TeamId(app, "Unmapped Team");
        var admin = await app.SignedInAdminAsync();

        var overview = await admin.GetStringAsync("/");
        var row = System.Text.RegularExpressions.Regex.Match(overview, $"<tr data-team-id=\"{id}\"[^>]*>(.*?)</tr>", System.Text.RegularExpressions.RegexOptions.Singleline).Value;
        Assert.Contains("<span class=\"pct\">n/a</span>", row);
        Assert.Contains("aria-label=\"no certification recommended\"", row);
        // The team page's coverage tile says the same, not "0.0%".
        var page = await admin.GetStringAsync($"/teams/{id}");
        Assert.Contains("<span class=\"num\" data-tile=\"coverage\">n/a</span>", page);

        var team = PdfText(await (await api.GetAsync($"/api/teams/{id}/report.pdf")).Content.ReadAsByteArrayAsync());
        Assert.Contains("no coverage to measure", team);
        Assert.DoesNotContain("0.0%", team);
        var org = PdfText(await (await api.GetAsync("/api/reports/org.pdf")).Content.ReadAsByteArrayAsync());
        Assert.Matches("Unmapped Team una.boss@example.com 1 0 0 0 0 0 n/a", org);
    }

    /// <summary>
    /// The PDFs carry only the glyphs they draw (SkiaSharp embedded both fonts whole: 440 kB for a two-page team report,
    /// five of them in a digest), and cutting the fonts changes nothing on the page: every page of the team and org
    /// reports renders to the same pixels through poppler, and reads the same text, as the report with whole fonts.
    /// Names in Greek, Cyrillic and with accents make sure glyphs beyond ASCII are kept.
    /// </summary>
    [Fact]
    public async Task PdfReports_EmbedOnlyTheGlyphsTheyDraw_AndRenderTheSameAsWithWholeFonts()
    {
        await using var app = await StartAsync(DatabaseProvider.Sqlite);
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster?mode=partial", Data.Lines(Data.RosterHeader,
            "E21,Ζωή Παπαδοπούλου,zoe@example.com,Platform,mia@example.com,Platform Engineer",
            "E22,Дмитрий Ёлкин,dmitri@example.com,Platform,mia@example.com,Platform Engineer",
            "E23,Søren Ærø-Łukasz Ñúñez,soren@example.com,Platform,mia@example.com,Platform Engineer"))).StatusCode);
        var teamId = await TeamId(app, "Platform");
        using var scope = app.Services.CreateScope();
        var reports = scope.ServiceProvider.GetRequiredService<TeamSkills.Web.Features.Exports.ExportReports>();
        var everything = new TeamSkills.Web.Features.Access.CallerScope("admin@example.com", true, new HashSet<int>(), false);
        var asOf = new DateOnly(2026, 6, 1);
        var team = (await reports.TeamAsync(everything, teamId, asOf, CancellationToken.None))!;
        var org = await reports.OrgAsync(everything, asOf, CancellationToken.None);

        foreach (var (name, render) in new (string, Action<Stream, bool>)[]
        {
            ("team", (s, subset) => TeamSkills.Reports.Pdf.ReportPdfs.Team(team, s, subset)),
            ("org", (s, subset) => TeamSkills.Reports.Pdf.ReportPdfs.Org(org, s, subsetFonts: subset)),
        })
        {
            using var wholeStream = new MemoryStream();
            using var subsetStream = new MemoryStream();
            render(wholeStream, false);
            render(subsetStream, true);
            byte[] whole = wholeStream.ToArray(), subset = subsetStream.ToArray();
            Assert.True(subset.Length * 4 < whole.Length, $"{name}: {subset.Length:N0} bytes with cut fonts, {whole.Length:N0} with whole ones");
            Assert.Equal(PdfText(whole), PdfText(subset));
            if (name == "team") Assert.Contains("Ζωή Παπαδοπούλου", PdfText(subset));
            var wholePages = PdftoppmAll(whole, $"{name}-whole-fonts");
            var subsetPages = PdftoppmAll(subset, $"{name}-cut-fonts");
            Assert.Equal(wholePages.Count, subsetPages.Count);
            for (var i = 0; i < wholePages.Count; i++)
                Assert.True(File.ReadAllBytes(wholePages[i]).AsSpan().SequenceEqual(File.ReadAllBytes(subsetPages[i])),
                    $"{name} page {i + 1} renders differently with cut fonts: {wholePages[i]} vs {subsetPages[i]}");
        }
    }

    [Fact]
    public async Task PdfReports_ForTeamsNamedLikePdfSyntax_AreServed_WithCutFonts()
    {
        // The team name is the PDF's title, written into the file as it is: a name that reads as a /W widths array or
        // a font-file reference must neither make the subsetter allocate for two billion glyphs nor cut the wrong font.
        await using var app = await StartAsync(DatabaseProvider.Sqlite);
        var api = app.Api();
        string[] names = ["Ops /W [0 900000000]", "Ops /W [0 2147483647 500]", "Plat \"stream\" endobj >> /FontFile2 3 0 R (x", "Tools <FFFF> Tj <0000 0001> TJ"];
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster?mode=partial", Data.Lines([Data.RosterHeader,
            .. names.Select((n, i) => $"E3{i},Ada Lovelace {i},ada{i}@example.com,\"{n.Replace("\"", "\"\"")}\",mia@example.com,Platform Engineer")]))).StatusCode);
        foreach (var name in names)
        {
            var response = await api.GetAsync($"/api/teams/{await TeamId(app, name)}/report.pdf");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var pdf = await response.Content.ReadAsByteArrayAsync();
            Assert.True(pdf.Length < 150_000, $"{name}: {pdf.Length:N0} bytes, fonts not cut");
            Assert.Contains(name, PdfText(pdf).Replace("  ", " "));
            Assert.NotEmpty(PdftoppmAll(pdf, "hostile-team-" + names.ToList().IndexOf(name)));
        }
    }

    /// <summary>Every page through pdftoppm at 100 dpi into a folder of tests/results/screenshots; the PNGs in page order.</summary>
    private static List<string> PdftoppmAll(byte[] pdf, string name)
    {
        var dir = Path.Combine(TeamSkills.Tests.Browser.BrowserFixture.ArtifactsDirectory, name);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        var input = Path.Combine(dir, name + ".pdf");
        File.WriteAllBytes(input, pdf);
        Poppler("pdftoppm", ["-png", "-r", "100", input, Path.Combine(dir, "page")]);
        var pages = Directory.GetFiles(dir, "page*.png").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(pages);
        return pages;
    }

    private static string PdfText(byte[] bytes)
    {
        using var pdf = PdfDocument.Open(bytes);
        return string.Join(" ", pdf.GetPages().SelectMany(p => p.GetWords()).Select(w => w.Text));
    }

    [Fact]
    public async Task PdfReports_WordsComeOutWhole_AtEveryTextSize_SoAReportCanBeSearched()
    {
        await using var app = await StartAsync(DatabaseProvider.Sqlite);
        var api = app.Api();
        var team = await (await api.GetAsync($"/api/teams/{await TeamId(app, "Platform")}/report.pdf")).Content.ReadAsByteArrayAsync();
        var org = await (await api.GetAsync("/api/reports/org.pdf")).Content.ReadAsByteArrayAsync();
        // Text at 7.5 and 8.5 pt (table headers and cells, the notes above tables) once came out as "m issing", "w ords",
        // "M anager": hinted glyph advances placed the letters after a wide one further right than the font's widths say.
        // Read by PdfPig and by poppler's pdftotext (what PDF viewers on Linux search with), both in reading order.
        foreach (var (reader, text) in new[] { ("PdfPig", PdfText(team)), ("pdftotext", Pdftotext(team, "team-report-text")) })
        {
            Whole(reader, text, "Each cell says its status in words: valid, expiring (inside the renewal window), expired, missing; n/a where the role does not recommend the certification.");
            Whole(reader, text, "title not mapped");
            Assert.True(text.Split().Contains("missing"), $"{reader}: a heat-map cell reads 'missing'");
        }
        foreach (var (reader, text) in new[] { ("PdfPig", PdfText(org)), ("pdftotext", Pdftotext(org, "org-report-text")) })
        {
            Whole(reader, text, "Certifications with the most gaps (missing or expired where recommended).");
            Assert.True(text.Split().Contains("Missing"), $"{reader}: the top-gaps header reads 'Missing'");
            Assert.True(text.Split().Contains("Manager"), $"{reader}: the teams header reads 'Manager'");
        }

        static void Whole(string reader, string text, string phrase)
        {
            var words = string.Join(" ", text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            Assert.True(words.Contains(phrase, StringComparison.Ordinal), $"{reader} does not read \"{phrase}\" in: {words}");
        }
    }

    [Fact]
    public async Task PageDownloads_WithADateThatIsNoDate_AreRefused_NotMadeForToday()
    {
        await using var app = await StartAsync(DatabaseProvider.Sqlite);
        var id = await TeamId(app, "Platform");
        var admin = await app.SignedInAdminAsync();
        foreach (var url in new[] { $"/teams/{id}?handler=Pdf&asOf=bad", $"/teams/{id}?handler=Xlsx&asOf=2026-13-45", "/?handler=OrgPdf&asOf=x", "/?handler=OrgXlsx&asOf=tomorrow" })
        {
            var response = await admin.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("is not a date (use YYYY-MM-DD). No file was made.", await response.Content.ReadAsStringAsync());
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType); // a page the browser shows
        }
        var script = await (await admin.GetAsync($"/teams/{id}?handler=Pdf&asOf=%3Cscript%3E")).Content.ReadAsStringAsync();
        Assert.Contains("asOf '<script>' is not a date", System.Net.WebUtility.HtmlDecode(script));
        Assert.DoesNotContain("<script>", script);
        // Dates at DateOnly's ends (the date picker offers them) are refused too, not a 500 from the date arithmetic.
        foreach (var url in new[] { $"/teams/{id}?handler=Pdf&asOf=9999-12-31", $"/teams/{id}?handler=Xlsx&asOf=0001-01-01", "/?handler=OrgPdf&asOf=9999-06-01" })
        {
            var response = await admin.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("is outside the dates TeamSkills answers for (1900-01-01 to 2999-12-31). No file was made.", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/teams/{id}?handler=Pdf&asOf=2026-05-01")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task Exports_FollowTheAccessRules(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var max = await As(app, "max@example.com", "Manager"); // manages Data only
        var eve = await As(app, "eve@example.com", "Engineer");
        var lnd = await As(app, "lnd@example.com", "LearningAdmin");
        int platform = await TeamId(app, "Platform"), data = await TeamId(app, "Data");
        foreach (var ext in new[] { "xlsx", "pdf" })
        {
            Assert.Equal(HttpStatusCode.OK, (await max.GetAsync($"/api/teams/{data}/report.{ext}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await max.GetAsync($"/api/teams/{platform}/report.{ext}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync($"/api/teams/{data}/report.{ext}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/teams/99999/report.{ext}")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync($"/api/teams/{data}/report.{ext}?asOf=soon")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await max.GetAsync($"/api/reports/org.{ext}")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await eve.GetAsync($"/api/reports/org.{ext}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await lnd.GetAsync($"/api/reports/org.{ext}")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync($"/api/teams/{data}/report.{ext}")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await max.PostAsync("/api/reports/org.xlsx/jobs", null)).StatusCode);
        Assert.Contains("1 team in the manager's chain", PdfText(await max.GetByteArrayAsync($"/api/teams/{data}/report.pdf")));

        // Each report that left the app is in the audit trail: who, which, for which day; refusals leave nothing.
        var exported = (await (await api.GetAsync("/api/audit?action=export")).JsonOf()).EnumerateArray()
            .Select(e => (e.GetProperty("actor").GetString(), e.GetProperty("action").GetString(), e.GetProperty("target").GetString(),
                e.GetProperty("details").GetProperty("asOf").GetString()))
            .Reverse().ToList();
        const string today = "2026-06-01"; // the test clock's day
        Assert.Equal(
            [("max@example.com", "export.team", $"team {data} report.xlsx", today), ("lnd@example.com", "export.org", "org.xlsx", today),
             ("max@example.com", "export.team", $"team {data} report.pdf", today), ("lnd@example.com", "export.org", "org.pdf", today),
             ("max@example.com", "export.team", $"team {data} report.pdf", today)],
            exported);
    }

    [SkippableTheory, DatabaseData]
    public async Task PageExports_AreAudited_AndABackgroundOrgExport_IsNoLongerTheirsOnceTheirRoleIsLowered(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var lnd = await app.SignedInAsAsync("lnd@example.com", "LearningAdmin");
        var data = await TeamId(app, "Data");
        foreach (var download in new[] { "/?handler=OrgXlsx", "/?handler=OrgPdf", $"/teams/{data}?handler=Xlsx", $"/teams/{data}?handler=Pdf" })
            Assert.Equal(HttpStatusCode.OK, (await lnd.GetAsync(download)).StatusCode);
        using var start = new HttpRequestMessage(HttpMethod.Post, "/?handler=OrgJob")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = TestUsers.Token(await lnd.GetStringAsync("/")) }),
        };
        start.Headers.Accept.ParseAdd("application/json");
        var job = await (await lnd.SendAsync(start)).JsonOf();
        var statusUrl = job.GetProperty("statusUrl").GetString()!;
        for (var i = 0; i < 200 && (await (await lnd.GetAsync(statusUrl)).JsonOf()).GetProperty("phase").GetString() is not ("done" or "failed"); i++)
            await Task.Delay(50);
        var file = $"{statusUrl}/file";
        Assert.Equal(HttpStatusCode.OK, (await lnd.GetAsync(file)).StatusCode);

        // The pages' downloads are in the audit trail as the API's are.
        var exported = (await (await api.GetAsync("/api/audit?action=export")).JsonOf()).EnumerateArray()
            .Select(e => (e.GetProperty("actor").GetString(), e.GetProperty("target").GetString())).Reverse().ToList();
        Assert.Equal(
            [("lnd@example.com", "org.xlsx"), ("lnd@example.com", "org.pdf"), ("lnd@example.com", $"team {data} report.xlsx"),
             ("lnd@example.com", $"team {data} report.pdf"), ("lnd@example.com", "org.xlsx (background)")],
            exported);

        // Made a Manager, signed in again: the org-wide workbook they started is no longer theirs to fetch.
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/users/lnd@example.com/role", new { role = "Manager" })).StatusCode);
        var manager = await app.PasswordSignedInAsync("lnd@example.com", TestUsers.Password);
        Assert.Equal(HttpStatusCode.NotFound, (await manager.GetAsync(file)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await manager.GetAsync(statusUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await manager.GetAsync("/?handler=OrgXlsx")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task ContentDisposition_WithPathCharactersInTheTeamName_IsASafeFileName(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var response = await api.GetAsync($"/api/teams/{await TeamId(app, OddTeam)}/report.pdf?asOf=2026-05-01");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var header = response.Content.Headers.GetValues("Content-Disposition").Single();
        var name = response.Content.Headers.ContentDisposition!.FileName!.Trim('"');
        Assert.Equal("teamskills-We-st-Ops-2026-05-01.pdf", name);
        Assert.DoesNotContain("..", header);
        Assert.DoesNotContain("/", header);
        Assert.DoesNotContain("\\", header);
        Assert.True(header.Count(c => c == '"') <= 2, header); // at most the quotes around the name
    }

    [SkippableTheory, DatabaseData]
    public async Task OrgXlsxJob_RunsInTheBackground_AndOnlyTheRequesterSeesIt(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var lnd = await As(app, "lnd@example.com", "LearningAdmin");
        var start = await api.PostAsync("/api/reports/org.xlsx/jobs?asOf=2026-06-01", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var job = await start.JsonOf();
        var statusUrl = job.GetProperty("statusUrl").GetString()!;
        Assert.Equal(statusUrl, start.Headers.Location?.ToString());
        JsonElement status = default;
        for (var i = 0; i < 200; i++)
        {
            status = await (await api.GetAsync(statusUrl)).JsonOf();
            if (status.GetProperty("phase").GetString() is "done" or "failed") break;
            await Task.Delay(50);
        }
        Assert.Equal("done", status.GetProperty("phase").GetString());
        Assert.Equal(100, status.GetProperty("percent").GetInt32());
        var download = status.GetProperty("downloadUrl").GetString()!;
        Assert.Equal(HttpStatusCode.NotFound, (await lnd.GetAsync(statusUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await lnd.GetAsync(download)).StatusCode);
        using var wb = await Workbook(await api.GetAsync(download));
        var teams = (await (await api.GetAsync("/api/teams")).JsonOf()).EnumerateArray().ToList();
        Assert.Equal(teams.Sum(t => t.GetProperty("engineerCount").GetInt32()), wb.Worksheet("Engineers").RowsUsed().Count() - 1);
        Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "exports"), "*.xlsx"));
    }
}
