using System.IO.Compression;
using System.Net;
using System.Text.Json;
using ClosedXML.Excel;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using TeamSkills.Web.Features.Digests;
using UglyToad.PdfPig;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// tests/corpus/payloads-roster.csv imported for real: script, markup, formula and path payloads in names, titles and
/// team names are data, so they are stored as given, and every place that shows them must show them as text:
/// HTML-encoded in pages and emails, literal in PDFs, typed text (never formulas) in workbooks, and harmless in
/// download file names.
/// </summary>
public sealed class PayloadRenderingTests : IAsyncLifetime
{
    public const string Script = "<script>alert(1)</script>";
    public const string Img = "<img src=x onerror=alert(1)>";
    public const string Svg = "\"><svg onload=alert(1)>";
    public const string Hyperlink = "=HYPERLINK(\"http://x\",\"y\")";
    public const string Cmd = "+cmd|' /C calc'!A0";
    public const string Sum = "@SUM(1)";
    public const string Minus = "-2+3";
    public const string EtcPasswd = "../../etc/passwd";
    public const string PathChars = "a/b\\c:d*?\"<>|";

    /// <summary>What must never reach a page or an email's HTML unencoded: the payloads' tags, and a quote that
    /// closes an attribute (encoded, the payloads leave only text such as "onerror=alert(1)&gt;" behind).</summary>
    private static readonly string[] Markup = ["<script>alert", "<img src=x", "<svg onload", "\"><svg"];

    private static readonly Dictionary<string, (string Name, string Team, string Title)> Engineers = new()
    {
        ["P1"] = (Script, Script, Script),
        ["P2"] = (Img, Script, "Platform Engineer"),
        ["P3"] = (Svg, Svg, Svg),
        ["P4"] = (Hyperlink, EtcPasswd, "=1+2"),
        ["P5"] = (Cmd, EtcPasswd, "Platform Engineer"),
        ["P6"] = (Sum, PathChars, "Data Engineer"),
        ["P7"] = (Minus, PathChars, Minus),
    };

    private static readonly string[] Teams = [Script, Svg, EtcPasswd, PathChars];

    private readonly AppFactory _app = new();
    private HttpClient _api = null!;
    private long _rosterImport;

    public async Task InitializeAsync()
    {
        _api = _app.Api();
        var roster = await _api.Upload("/api/imports/roster", Corpus.Read("payloads-roster.csv"), "payloads-roster.csv");
        Assert.True(roster.StatusCode == HttpStatusCode.OK, await roster.Content.ReadAsStringAsync());
        _rosterImport = (await roster.JsonOf()).GetProperty("importId").GetInt64();
        var completions = await _api.Upload("/api/imports/completions", Corpus.Read("payloads-completions.csv"), "payloads-completions.csv");
        Assert.True(completions.StatusCode == HttpStatusCode.OK, await completions.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<Dictionary<string, int>> TeamIdsAsync() =>
        (await (await _api.GetAsync("/api/teams")).JsonOf()).EnumerateArray()
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("id").GetInt32());

    /// <summary>No markup from the data in raw HTML, and each expected value present once decoded.</summary>
    private static void ShowsOnlyEncoded(string where, string html, IEnumerable<string> expected)
    {
        foreach (var m in Markup) Assert.False(html.Contains(m, StringComparison.OrdinalIgnoreCase), $"{where}: raw '{m}' in the HTML");
        var text = WebUtility.HtmlDecode(html);
        foreach (var value in expected) Assert.True(text.Contains(value, StringComparison.Ordinal), $"{where}: '{value}' is not shown");
    }

    [Fact]
    public async Task Import_StoresThePayloadsAsGiven()
    {
        var teams = await TeamIdsAsync();
        Assert.Equal(Teams.Order(StringComparer.Ordinal), teams.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, e) in Engineers)
        {
            var engineer = await (await _api.GetAsync($"/api/engineers/{id}")).JsonOf();
            Assert.Equal(e.Name, engineer.GetProperty("name").GetString());
            Assert.Equal(e.Title, engineer.GetProperty("title").GetString());
        }
    }

    [Fact]
    public async Task Pages_ShowThePayloadsOnlyHtmlEncoded()
    {
        var browser = await _app.SignedInAdminAsync();
        var teams = await TeamIdsAsync();
        ShowsOnlyEncoded("/", await browser.GetStringAsync("/"), Teams);
        foreach (var team in Teams)
        {
            // Titles are not shown on the team page (only in the filter's lower-cased search text).
            var members = Engineers.Values.Where(e => e.Team == team).Select(e => e.Name);
            ShowsOnlyEncoded($"team {team}", await browser.GetStringAsync($"/teams/{teams[team]}"), members.Append(team));
        }
        foreach (var (id, e) in Engineers)
            ShowsOnlyEncoded($"engineer {id}", await browser.GetStringAsync($"/engineers/{id}"), [e.Name, e.Title, e.Team]);
        ShowsOnlyEncoded("/imports", await browser.GetStringAsync("/imports"), ["payloads-roster.csv"]);
        ShowsOnlyEncoded("/imports/{id}", await browser.GetStringAsync($"/imports/{_rosterImport}"), ["payloads-roster.csv"]);
    }

    [Fact]
    public async Task UploadFileName_WithPathAndMarkup_IsShownEncoded_AndDownloadsUnderASafeName()
    {
        const string hostile = "..\\..\\<img src=x onerror=alert(1)>.csv";
        var response = await _api.Upload("/api/imports/roster", Corpus.Read("header-only-roster.csv"), hostile);
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var id = (await response.JsonOf()).GetProperty("importId").GetInt64();
        var browser = await _app.SignedInAdminAsync();
        ShowsOnlyEncoded("/imports", await browser.GetStringAsync("/imports"), ["onerror=alert(1)>"]);
        ShowsOnlyEncoded("/imports/{id}", await browser.GetStringAsync($"/imports/{id}"), ["onerror=alert(1)>"]);
        ShowsOnlyEncoded("/audit", await browser.GetStringAsync("/audit"), ["onerror=alert(1)>"]);
        var file = await _api.GetAsync($"/api/imports/{id}/file");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        // The original name minus its folders, quotes and control characters (it keeps '<' and '>', which browsers
        // replace where the file system forbids them), after a fixed prefix: nothing to traverse with.
        AssertSafeDisposition(file, $"import {id}", reservedAllowed: true);
        Assert.Equal($"import-{id}-<img src=x onerror=alert(1)>.csv", file.Content.Headers.ContentDisposition!.FileName!.Trim('"'));
    }

    [Fact]
    public async Task DigestPreview_Html_HasThePayloadsEncoded_TextHasThemLiteral()
    {
        var preview = await (await _api.GetAsync("/api/digests/preview?manager=boss@example.com")).JsonOf();
        var expiring = preview.GetProperty("digest").GetProperty("upcomingExpiries").EnumerateArray()
            .Select(x => x.GetProperty("engineer").GetString()!).ToList();
        Assert.Equal([Cmd, Img, Sum], expiring.Order(StringComparer.Ordinal));
        ShowsOnlyEncoded("digest preview", preview.GetProperty("html").GetString()!, [.. Teams, .. expiring]);
        var text = preview.GetProperty("text").GetString()!;
        foreach (var value in expiring) Assert.Contains(value, text);
        Assert.DoesNotContain("\n", preview.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task SentEmails_DigestAndReminders_HaveThePayloadsEncoded_AndTheirPdfsShowThemLiterally()
    {
        // No SMTP host: the app's outbox writes each message as an .eml file, exactly as it would send it.
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<ManagerDigestJob>().RunAsync(CancellationToken.None));
            Assert.True(await scope.ServiceProvider.GetRequiredService<RenewalRemindersJob>().RunAsync(CancellationToken.None) > 0);
        }
        var mails = new List<MimeMessage>();
        foreach (var file in Directory.GetFiles(Path.Combine(_app.DataDirectory, "outbox"))) mails.Add(await MimeMessage.LoadAsync(file));
        var digest = Assert.Single(mails, m => m.To.Mailboxes.Any(x => x.Address == "boss@example.com") && (m.Subject ?? "").Contains("digest"));
        ShowsOnlyEncoded("digest email", digest.HtmlBody!, [.. Teams, Img, Cmd, Sum]);
        Assert.Contains(Img, digest.TextBody);

        var reminders = mails.Where(m => m != digest).ToList();
        Assert.NotEmpty(reminders);
        foreach (var m in reminders)
        {
            var to = m.To.Mailboxes.Single().Address;
            var engineer = Engineers.Values.Single(e => to == AddressOf(e.Name));
            ShowsOnlyEncoded($"reminder to {engineer.Name}", m.HtmlBody!, [engineer.Name]);
            Assert.Contains(engineer.Name, m.TextBody);
        }
        foreach (var m in mails) Assert.DoesNotContain("\n", m.Subject ?? "");

        // The digest carries one team PDF per team (up to five), named safely, each showing its people as text.
        var pdfs = digest.Attachments.OfType<MimePart>().ToList();
        Assert.Equal(Teams.Length, pdfs.Count);
        foreach (var part in pdfs)
        {
            AssertSafeFileName(part.FileName, "digest attachment");
            using var bytes = new MemoryStream();
            part.Content!.DecodeTo(bytes);
            var text = PdfText(bytes.ToArray());
            var team = Teams.Single(t => text.Contains(t, StringComparison.Ordinal) && Engineers.Values.Where(e => e.Team == t).All(e => text.Contains(e.Name, StringComparison.Ordinal)));
            Assert.NotNull(team);
        }
    }

    private static string AddressOf(string name) => Engineers.Single(e => e.Value.Name == name).Key.ToLowerInvariant() + "@example.com";

    private static string PdfText(byte[] pdf)
    {
        using var doc = PdfDocument.Open(pdf);
        return string.Join(" ", doc.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))));
    }

    [Fact]
    public async Task TeamPdfs_ShowThePayloadsAsLiteralText()
    {
        var teams = await TeamIdsAsync();
        foreach (var team in Teams)
        {
            var response = await _api.GetAsync($"/api/teams/{teams[team]}/report.pdf");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = PdfText(await response.Content.ReadAsByteArrayAsync());
            Assert.Contains(team, text);
            foreach (var e in Engineers.Values.Where(e => e.Team == team))
            {
                Assert.Contains(e.Name, text);
                Assert.Contains(e.Title, text);
            }
        }
        var org = PdfText(await (await _api.GetAsync("/api/reports/org.pdf")).Content.ReadAsByteArrayAsync());
        foreach (var team in Teams) Assert.Contains(team, org);
    }

    [Fact]
    public async Task Workbooks_StoreFormulaLikeValuesAsText_NeverAsFormulas()
    {
        var teams = await TeamIdsAsync();
        var formulaLike = Engineers.Values.SelectMany(e => new[] { e.Name, e.Title }).Where(v => v[0] is '=' or '+' or '-' or '@').Distinct().ToList();
        Assert.Equal(5, formulaLike.Count); // =HYPERLINK, =1+2, +cmd, @SUM(1), -2+3 (a name and a title)
        var books = new List<(string Name, byte[] Bytes)> { ("org", await _api.GetByteArrayAsync("/api/reports/org.xlsx")) };
        foreach (var team in new[] { EtcPasswd, PathChars })
            books.Add((team, await _api.GetByteArrayAsync($"/api/teams/{teams[team]}/report.xlsx")));
        foreach (var (name, bytes) in books)
        {
            using (var wb = new XLWorkbook(new MemoryStream(bytes)))
            {
                var cells = wb.Worksheets.SelectMany(w => w.CellsUsed()).ToList();
                var risky = cells.Where(c => c.GetString() is { Length: > 0 } s && s[0] is '=' or '+' or '-' or '@').ToList();
                Assert.NotEmpty(risky);
                Assert.All(risky, c => Assert.False(c.HasFormula, $"{name}: {c.Address} is a formula"));
                Assert.All(risky, c => Assert.Equal(XLDataType.Text, c.DataType));
                var values = risky.Select(c => c.GetString()).ToHashSet();
                var expected = name == "org" ? formulaLike : Engineers.Values.Where(e => e.Team == name).SelectMany(e => new[] { e.Name, e.Title })
                    .Where(formulaLike.Contains).ToList();
                Assert.All(expected, v => Assert.Contains(v, values));
            }
            using var zip = new ZipArchive(new MemoryStream(bytes));
            foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith("xl/worksheets/", StringComparison.Ordinal)))
            {
                var xml = new StreamReader(entry.Open()).ReadToEnd();
                Assert.DoesNotContain("<f>", xml);
                Assert.DoesNotContain("<x:f>", xml);
            }
        }
    }

    [Fact]
    public async Task ExportFileNames_ForPathCharacterTeamNames_CannotTraverseOrBreakTheHeader()
    {
        var teams = await TeamIdsAsync();
        var browser = await _app.SignedInAdminAsync();
        foreach (var team in Teams)
        {
            foreach (var url in new[]
                     {
                         $"/api/teams/{teams[team]}/report.xlsx", $"/api/teams/{teams[team]}/report.pdf",
                         $"/teams/{teams[team]}?handler=Xlsx", $"/teams/{teams[team]}?handler=Pdf",
                     })
            {
                var response = url.StartsWith("/api", StringComparison.Ordinal) ? await _api.GetAsync(url) : await browser.GetAsync(url);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode}");
                AssertSafeDisposition(response, $"{team} {url}");
                Assert.Matches(@"^teamskills-[^/\\]+-2026-06-01\.(xlsx|pdf)$", response.Content.Headers.ContentDisposition!.FileName!.Trim('"'));
            }
        }
    }

    private static void AssertSafeDisposition(HttpResponseMessage response, string what, bool reservedAllowed = false)
    {
        var header = response.Content.Headers.GetValues("Content-Disposition").Single();
        Assert.StartsWith("attachment;", header);
        Assert.True(header.Count(c => c == '"') <= 2, $"{what}: {header}"); // at most the quotes around the name
        Assert.DoesNotContain(header, c => char.IsControl(c));
        var disposition = response.Content.Headers.ContentDisposition!;
        AssertSafeFileName(disposition.FileName?.Trim('"'), what, reservedAllowed);
        if (disposition.FileNameStar is { } star) AssertSafeFileName(star, what, reservedAllowed);
    }

    private static void AssertSafeFileName(string? name, string what, bool reservedAllowed = false)
    {
        Assert.False(string.IsNullOrWhiteSpace(name), $"{what}: no file name");
        Assert.True(name!.IndexOfAny(['/', '\\', '"']) < 0, $"{what}: a path separator or quote in {name}");
        Assert.DoesNotContain(name, c => char.IsControl(c));
        if (reservedAllowed) return;
        Assert.False(name.Contains("..", StringComparison.Ordinal), $"{what}: '..' in {name}");
        Assert.True(name.IndexOfAny([':', '*', '?', '<', '>', '|']) < 0, $"{what}: a character Windows forbids in {name}");
    }
}
