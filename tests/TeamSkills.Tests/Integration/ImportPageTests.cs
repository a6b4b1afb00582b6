using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Imports;

namespace TeamSkills.Tests.Integration;

/// <summary>The Imports page: preview (dry run), apply the previewed file, history and download, progress reports.</summary>
public sealed class ImportPageTests
{
    private const string Password = "a long enough passphrase";
    private readonly RecordingProgress _progress = new();

    private Task<AppFactory> StartAsync(DatabaseProvider provider) =>
        new AppFactory(provider) { TestServices = s => s.AddSingleton<IImportProgress>(_progress) }
            .With("TeamSkills:Imports:MaxUploadBytes", "65536")
            .StartedAsync();

    [SkippableTheory, DatabaseData]
    public async Task ImportsPage_ForAManager_Is403_AndAcceptsNoUpload(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var manager = await SignedInAs(app, "mia@example.com", "Manager");
        Assert.Equal(HttpStatusCode.Forbidden, (await manager.GetAsync("/imports")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await manager.GetAsync("/imports/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await manager.GetAsync("/imports/1?handler=File")).StatusCode);

        // A valid antiforgery token (from the home page) does not help: the role is checked first.
        var token = Token(await manager.GetStringAsync("/"));
        var post = await manager.PostAsync("/imports?handler=Preview", UploadForm(token, "roster", "full", Data.Utf8(Data.Roster()), "r.csv"));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM imports"));

        var html = await manager.GetStringAsync("/");
        Assert.DoesNotContain("href=\"/imports\"", html);
    }

    [Fact]
    public void Templates_ExampleRows_ShareNoEmployeeIdEmailOrTeamWithTheDemoOrg()
    {
        // Previewed unchanged against the demo, the template must create two engineers, not rename Grace Hopper.
        var (demo, _) = TeamSkills.Web.Features.Demo.DemoOrganisation.Build(AppFactory.Today, new Dictionary<string, string[]>());
        static List<string[]> Rows(string csv) => csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.TrimEnd('\r').Split(',')).ToList();
        var demoRows = Rows(demo);
        Assert.True(demoRows.Count > 50);
        var template = Rows(TeamSkills.Web.Features.Imports.ImportTemplates.Csv("roster")!);
        Assert.Equal(2, template.Count);
        foreach (var column in new[] { 0, 2, 3 }) // employee_id, email, team
            Assert.Empty(template.Select(r => r[column]).Intersect(demoRows.Select(r => r[column]), StringComparer.OrdinalIgnoreCase));
        var completions = Rows(TeamSkills.Web.Features.Imports.ImportTemplates.Csv("completions")!);
        Assert.All(completions, r => Assert.DoesNotContain(r[0], demoRows.Select(d => d[0])));
        Assert.All(completions, r => Assert.DoesNotContain(r[1], demoRows.Select(d => d[2])));
    }

    [SkippableTheory, DatabaseData]
    public async Task Templates_DownloadFromThePageAndTheApi_AndImportAsTheyAre(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var lnd = await SignedInAs(app, "lnd@example.com", "LearningAdmin");
        var page = await lnd.GetStringAsync("/imports");
        // The page's own links, as a browser follows them.
        string Link(string kind) => WebUtility.HtmlDecode(Regex.Match(page, $"<a id=\"{kind}-template\" download href=\"([^\"]+)\"").Groups[1].Value);

        var api = app.Api();
        foreach (var kind in new[] { "roster", "completions" })
        {
            var response = await lnd.GetAsync(Link(kind));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"teamskills-{kind}-template.csv", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(bytes, await api.GetByteArrayAsync($"/api/imports/templates/{kind}"));
            Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]); // spreadsheet programs read it as UTF-8

            // Imported as it is, BOM included (the roster first, so the completions' engineers exist): no row is rejected.
            var imported = await api.Upload($"/api/imports/{kind}", bytes, $"{kind}.csv");
            var body = await imported.Content.ReadAsStringAsync();
            Assert.True(imported.StatusCode == HttpStatusCode.OK, body);
            Assert.Contains("\"created\":2", body);
        }
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM engineers"));
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM completions"));
        Assert.Equal(HttpStatusCode.NotFound, (await lnd.GetAsync("/imports?handler=Template&kind=secrets")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/imports/templates/secrets")).StatusCode);

        var manager = await SignedInAs(app, "mia@example.com", "Manager");
        Assert.Equal(HttpStatusCode.Forbidden, (await manager.GetAsync("/imports?handler=Template&kind=roster")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task OddButValidRows_ImportWithWarnings_InTheApiAndThePreview(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        // Line 7: an engineer whose manager_email is their own.
        var roster = await api.UploadCsv("/api/imports/roster", Data.Roster("E6,Fay Fox,fay@example.com,Data,Fay@Example.com,Data Engineer"));
        Assert.Equal(HttpStatusCode.OK, roster.StatusCode);
        var json = await roster.JsonOf();
        Assert.Equal(6, json.GetProperty("created").GetInt32()); // a warning never stops an import
        var warning = Assert.Single(json.GetProperty("warnings").EnumerateArray());
        Assert.Equal(7, warning.GetProperty("line").GetInt32());
        Assert.Equal("manager_email", warning.GetProperty("column").GetString());
        Assert.Contains("manager_email is the engineer's own email (fay@example.com)", warning.GetProperty("message").GetString());
        var clean = await (await api.UploadCsv("/api/imports/roster?dryRun=true", Data.Roster())).JsonOf();
        Assert.Empty(clean.GetProperty("warnings").EnumerateArray());

        // A completion earned in 1900 (a placeholder date), next to an ordinary one: the preview lists line 2 only.
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");
        var completions = Data.Lines("employee_id,certification,earned_on,expires_on", "E1,aiops-foundation,1900-01-01,", "E2,aiops-foundation,2020-01-01,");
        var (status, location) = await Preview(browser, "completions", null, Data.Utf8(completions), "completions.csv");
        Assert.Equal(HttpStatusCode.Redirect, status);
        var html = WebUtility.HtmlDecode(await browser.GetStringAsync(location));
        Assert.Contains("1 row imports but looks wrong: check it", html);
        var rows = Regex.Matches(html, "<tr><td class=\"n\">(\\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>");
        var only = Assert.Single(rows);
        Assert.Equal(["2", "earned_on"], [only.Groups[1].Value, only.Groups[2].Value]);
        Assert.Contains($"earned_on 1900-01-01 is more than {CompletionImport.PlaceholderYears} years ago", only.Groups[3].Value);
        // The roster's import keeps its warning with its record; the clean preview (import 2) shows none.
        Assert.Contains("manager_email is the engineer&#x27;s own email", await browser.GetStringAsync("/imports/1"));
        Assert.DoesNotContain("id=\"warnings\"", await browser.GetStringAsync("/imports/2"));
    }

    [SkippableTheory, DatabaseData]
    public async Task Preview_CountsOneRowAndOneError_InTheSingular(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");
        const string header = "employee_id,certification,earned_on,expires_on";
        string Tile(int n, string label) => $"<span class=\"num\">{n}</span><span class=\"label\">{label}</span>";

        var (_, one) = await Preview(browser, "completions", null, Data.Utf8(Data.Lines(header, "E1,aiops-foundation,2020-01-01,")), "one.csv");
        var html = await browser.GetStringAsync(one);
        Assert.Contains(Tile(1, "row"), html);
        Assert.Contains(Tile(0, "errors"), html);

        // Two rows, one of them for an engineer the roster does not have.
        var (_, two) = await Preview(browser, "completions", null,
            Data.Utf8(Data.Lines(header, "E1,aiops-foundation,2020-01-01,", "E404,aiops-foundation,2020-01-01,")), "two.csv");
        html = await browser.GetStringAsync(two);
        Assert.Contains(Tile(2, "rows"), html);
        Assert.Contains(Tile(1, "error"), html);
    }

    [SkippableTheory, DatabaseData]
    public async Task Preview_OfARosterWithABadRow_ShowsLineAndColumn_AndChangesNothing(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var before = Fingerprint(app);
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");

        var bad = Data.Roster("E6,Fay Fox,not-an-email,Data,max@example.com,Data Engineer"); // line 7
        var (status, location) = await Preview(browser, "roster", "full", Data.Utf8(bad), "bad roster.csv");
        Assert.Equal(HttpStatusCode.Redirect, status);
        var html = await browser.GetStringAsync(location);

        var errorRow = Regex.Match(html, "<tr><td class=\"n\">(\\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>");
        Assert.True(errorRow.Success, html);
        Assert.Equal("7", errorRow.Groups[1].Value);
        Assert.Equal("email", errorRow.Groups[2].Value);
        Assert.Contains("not a valid email", errorRow.Groups[3].Value);
        Assert.DoesNotContain("handler=Apply", html);
        Assert.Equal(before, Fingerprint(app));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM imports WHERE dry_run = TRUE AND outcome = 'Rejected' AND imported_by = 'lnd@example.com'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task PreviewThenApply_AppliesExactlyThePreviewedFile_AuditedAsTheSignedInUser(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");
        var (status, location) = await Preview(browser, "roster", "full", Data.Utf8(Data.Roster()), "roster.csv");
        Assert.Equal(HttpStatusCode.Redirect, status);
        var previewId = IdIn(location);
        var preview = await browser.GetStringAsync(location);
        Assert.Contains("Applying would create 5", preview);
        Assert.Contains("handler=Apply", preview);
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM engineers"));
        Assert.Empty((await (await api.GetAsync("/api/teams")).JsonOf()).EnumerateArray());

        var apply = await PostApplyFrom(browser, preview);
        Assert.Equal(HttpStatusCode.Redirect, apply.StatusCode);
        var appliedId = IdIn(apply.Headers.Location!.OriginalString);
        Assert.NotEqual(previewId, appliedId);
        var result = await browser.GetStringAsync(apply.Headers.Location!.OriginalString);
        Assert.Contains("Applied: 5 created", result);
        Assert.Contains($"preview #{previewId}", result);

        var teams = (await (await api.GetAsync("/api/teams")).JsonOf()).EnumerateArray().Select(t => t.GetProperty("name").GetString()).Order();
        Assert.Equal(["Data", "Platform"], teams);
        Assert.Equal(1, app.Scalar($"SELECT COUNT(*) FROM imports WHERE id = {appliedId} AND dry_run = FALSE AND outcome = 'Applied' AND created = 5 AND kind = 'Roster' AND mode = 'full'"));
        Assert.Equal(1, app.Scalar($"SELECT COUNT(*) FROM audit_entries WHERE action = 'import.roster' AND outcome = 'Applied' AND actor = 'lnd@example.com' AND target LIKE 'import {appliedId}:%'"));
        Assert.Equal(1, app.Scalar($"SELECT COUNT(*) FROM audit_entries WHERE action = 'import.roster' AND outcome = 'DryRun' AND actor = 'lnd@example.com'"));

        // The applied import stores the same original bytes as its preview.
        Assert.Equal(await Download(browser, previewId), await Download(browser, appliedId));

        // A preview applies once: a second submit (double click, Back then Apply) is refused and imports nothing.
        var again = await PostApply(browser, previewId, "roster", "full");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already been applied", await again.Content.ReadAsStringAsync());
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM imports WHERE dry_run = FALSE"));
        var reopened = await browser.GetStringAsync($"/imports/{previewId}");
        Assert.DoesNotContain("handler=Apply", reopened);
        Assert.Contains($"import #{appliedId}", reopened);
        // It says it has been applied, not "nothing has been applied yet", nor that only its author may apply it.
        Assert.Contains($"Preview, since applied as import #{appliedId}.", reopened);
        Assert.DoesNotContain("nothing has been applied yet", reopened);
        Assert.DoesNotContain("Only the person who made this preview", reopened);
        Assert.DoesNotContain("data-confirm=\"Apply", preview); // a file that keeps everyone asks nothing more
    }

    [SkippableTheory, DatabaseData]
    public async Task CompletionsPreviewThenApply_AddsTheCompletions(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");
        var (_, location) = await Preview(browser, "completions", null, Data.Utf8(Data.Completions()), "completions.csv");
        var preview = await browser.GetStringAsync(location);
        Assert.Contains("Applying would add 7 completions", preview);
        // The preview lists them, as a roster preview lists engineers: whose, which certification, the dates.
        var listed = WebUtility.HtmlDecode(preview);
        Assert.Contains("Would add 7 completions", listed);
        Assert.Contains("<tr><td>E1</td><td>Ann Archer</td><td>AIOps Professional: earned 2025-01-10, expires 2028-01-10 (from the catalog's validity)</td></tr>", listed);
        Assert.Contains("<td>E1</td><td>Ann Archer</td><td>MLOps Professional: earned 2022-01-01, expires 2025-01-01</td>", listed);
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM completions"));
        var apply = await PostApplyFrom(browser, preview);
        Assert.Equal(HttpStatusCode.Redirect, apply.StatusCode);
        Assert.Equal(7, app.Scalar("SELECT COUNT(*) FROM completions"));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM imports WHERE kind = 'Completions' AND dry_run = FALSE AND outcome = 'Applied' AND mode = 'partial'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task Apply_AfterTheDataMoved_SaysSo_AndStillAppliesAfterRevalidating(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");
        var (_, location) = await Preview(browser, "roster", "partial", Data.Utf8(Data.Roster()), "roster.csv");
        // Someone else imports part of the roster meanwhile.
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster?mode=partial",
            Data.Lines(Data.RosterHeader, "E1,Ann Archer,ann@example.com,Platform,mia@example.com,Senior Site Reliability Engineer"))).StatusCode);

        var preview = await browser.GetStringAsync(location);
        Assert.Contains("The data has changed since this preview", preview);
        var apply = await PostApplyFrom(browser, preview);
        Assert.Equal(HttpStatusCode.Redirect, apply.StatusCode);
        Assert.Contains("moved=True", apply.Headers.Location!.OriginalString);
        var result = await browser.GetStringAsync(apply.Headers.Location!.OriginalString);
        Assert.Contains("Applied: 4 created, 0 updated, 0 deactivated; 1 unchanged", result); // not the preview's 5
        Assert.Equal(5, app.Scalar("SELECT COUNT(*) FROM engineers"));
    }

    [SkippableTheory, DatabaseData]
    public async Task Preview_SaysWhoIsCreatedUpdatedAndDeactivated(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        // Full mode: Eve (E5) is not in the file, Ann (E1) moves to Data, Zoe (E9) and Oli (E0, after her in the file) are new.
        var roster = Data.Roster("E9,Zoe Zimmer,zoe@example.com,Data,max@example.com,Data Engineer", "E0,Oli Ortiz,oli@example.com,Data,max@example.com,Data Engineer")
            .Replace("E5,Eve Ellis,eve@example.com,Data,max@example.com,Jr. DevOps Engineer\n", "")
            .Replace("E1,Ann Archer,ann@example.com,Platform,", "E1,Ann Archer,ann@example.com,Data,");
        var preview = await (await api.UploadCsv("/api/imports/roster?dryRun=true", roster)).JsonOf();
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");
        var page = WebUtility.HtmlDecode(await browser.GetStringAsync($"/imports/{preview.GetProperty("importId").GetInt64()}"));

        var deactivated = Regex.Match(page, "<details class=\"changes\" id=\"changes-deactivated\" open(?:=\"open\")?>(.*?)</details>", RegexOptions.Singleline);
        Assert.True(deactivated.Success, "the deactivation list is open on the preview");
        Assert.Contains("Would deactivate 1 engineer", deactivated.Value);
        Assert.Contains("<td>E5</td><td>Eve Ellis</td><td>Data</td>", deactivated.Value);
        Assert.Contains("<td>E9</td><td>Zoe Zimmer</td><td>Data Engineer, Data</td>", page);
        Assert.True(page.IndexOf("<td>E0</td><td>Oli Ortiz</td>", StringComparison.Ordinal) is var oli and > 0 && oli < page.IndexOf("<td>E9</td>", StringComparison.Ordinal),
            "new engineers are listed by employee id, not in file order");
        Assert.Contains("<td>E1</td><td>Ann Archer</td><td>team Platform → Data</td>", page);
        Assert.Equal(5, app.Scalar("SELECT COUNT(*) FROM engineers WHERE active"));  // a preview changes nothing
        Assert.DoesNotContain("mostly-deactivates", page); // 1 deactivated, 4 kept

        // A file of one engineer in full mode would deactivate the rest: the preview says so, and points at partial mode.
        var one = await (await api.UploadCsv("/api/imports/roster?dryRun=true", Data.Lines(Data.RosterHeader, "E1,Ann Archer,ann@example.com,Platform,mia@example.com,Senior Site Reliability Engineer"))).JsonOf();
        var warned = WebUtility.HtmlDecode(await browser.GetStringAsync($"/imports/{one.GetProperty("importId").GetInt64()}"));
        Assert.Contains("id=\"mostly-deactivates\"", warned);
        // Its author's Apply button asks before deactivating them.
        var (_, own) = await Preview(browser, "roster", "full", Data.Utf8(Data.Lines(Data.RosterHeader, "E1,Ann Archer,ann@example.com,Platform,mia@example.com,Senior Site Reliability Engineer")), "one.csv");
        Assert.Contains("data-confirm=\"Apply this roster in full mode? It deactivates 4 engineers and keeps 1.\"", WebUtility.HtmlDecode(await browser.GetStringAsync(own)));
        Assert.Contains("partial mode", warned);
    }

    [SkippableTheory, DatabaseData]
    public async Task Preview_SaysWhichTeamsItCreates_AndWhichTitlesMapToNoRole(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");
        // Two new teams; two new titles without a role, and E3's Solutions Architect, which is not new.
        var roster = Data.Utf8(Data.Roster(
            "E6,Fay Fox,fay@example.com,ML Infra,max@example.com,Prompt Whisperer",
            "E7,Gil Gray,gil@example.com,Data Platform,max@example.com,Vibes Officer",
            "E8,Hal Hill,hal@example.com,Data Platform,max@example.com,Solutions Architect"));
        var (_, location) = await Preview(browser, "roster", "full", roster, "roster.csv");
        var preview = await browser.GetStringAsync(location);
        var shown = WebUtility.HtmlDecode(preview);
        Assert.Contains("<p id=\"new-teams\">Would create 2 teams: Data Platform, ML Infra.</p>", shown);
        Assert.Contains("<p id=\"new-unmapped-titles\">2 titles map to no role: Prompt Whisperer, Vibes Officer.", shown);
        Assert.Contains("<a href=\"/catalog#unmapped\">Unmapped titles on the Catalog page</a>, once the roster is applied.", shown);

        var apply = await PostApplyFrom(browser, preview);
        Assert.Equal(HttpStatusCode.Redirect, apply.StatusCode);
        var applied = WebUtility.HtmlDecode(await browser.GetStringAsync(apply.Headers.Location!.OriginalString));
        Assert.Contains("<p id=\"new-teams\">Created 2 teams: Data Platform, ML Infra.</p>", applied);
        Assert.Contains("2 titles map to no role: Prompt Whisperer, Vibes Officer.", applied);
        Assert.Contains("Unmapped titles on the Catalog page</a>.", applied);

        // The same file again creates nothing: no such lines.
        var (_, again) = await Preview(browser, "roster", "full", roster, "roster.csv");
        Assert.DoesNotContain("id=\"additions\"", await browser.GetStringAsync(again));
    }

    [SkippableTheory, DatabaseData]
    public async Task Apply_WithoutAPreviewId_OrSomeoneElsesPreview_OrAnImportThatIsNoPreview_IsRefused(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var others = await (await api.UploadCsv("/api/imports/roster?dryRun=true", Data.Roster())).JsonOf(); // bootstrap-admin's
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");
        var (_, rejectedLocation) = await Preview(browser, "roster", "full", Data.Utf8(Data.Roster("E6,,x@example.com,Data,,SRE")), "bad.csv");
        var (_, ownLocation) = await Preview(browser, "roster", "full", Data.Utf8(Data.Roster()), "roster.csv");
        var applied = await PostApplyFrom(browser, await browser.GetStringAsync(ownLocation));
        var appliedId = IdIn(applied.Headers.Location!.OriginalString);
        var importsBefore = app.Scalar("SELECT COUNT(*) FROM imports");
        var fingerprint = Fingerprint(app);

        var noId = await PostApply(browser, null, "roster", "full");
        Assert.Equal(HttpStatusCode.BadRequest, noId.StatusCode);
        Assert.Contains("no preview to apply", await noId.Content.ReadAsStringAsync());

        var someoneElses = await PostApply(browser, others.GetProperty("importId").GetInt64(), "roster", "full");
        Assert.Equal(HttpStatusCode.Forbidden, someoneElses.StatusCode);
        Assert.Contains("someone else", await someoneElses.Content.ReadAsStringAsync());

        var notADryRun = await PostApply(browser, appliedId, "roster", "full");
        Assert.Equal(HttpStatusCode.Conflict, notADryRun.StatusCode);
        var rejected = await PostApply(browser, IdIn(rejectedLocation), "roster", "full");
        Assert.Equal(HttpStatusCode.Conflict, rejected.StatusCode);
        var wrongMode = await PostApply(browser, IdIn(ownLocation), "roster", "partial");
        Assert.Equal(HttpStatusCode.Conflict, wrongMode.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PostApply(browser, 999_999, "roster", "full")).StatusCode);

        Assert.Equal(importsBefore, app.Scalar("SELECT COUNT(*) FROM imports"));
        Assert.Equal(fingerprint, Fingerprint(app));
    }

    [SkippableTheory, DatabaseData]
    public async Task Posts_WithoutAntiforgeryToken_Return400_AndImportNothing(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var browser = await SignedInWithKey(app);
        var preview = await browser.PostAsync("/imports?handler=Preview", UploadForm(null, "roster", "full", Data.Utf8(Data.Roster()), "r.csv"));
        Assert.Equal(HttpStatusCode.BadRequest, preview.StatusCode);

        var (_, location) = await Preview(browser, "roster", "full", Data.Utf8(Data.Roster()), "r.csv");
        var apply = await browser.PostAsync("/imports?handler=Apply", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["previewId"] = IdIn(location).ToString(), ["kind"] = "roster", ["mode"] = "full",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, apply.StatusCode);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM imports"));
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM engineers"));
    }

    [SkippableTheory, DatabaseData]
    public async Task Upload_OverTheLimit_IsRefusedWithTheLimit_BeforeAnythingIsRecorded(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var browser = await SignedInWithKey(app);
        var big = new StringBuilder(Data.RosterHeader + "\n");
        for (var i = 0; big.Length < 70_000; i++) big.Append($"X{i},Name {i},x{i}@example.com,Big,,SRE\n");
        // Within the form's allowance for framing, so the form is read; the file part alone is over the 64 KB limit.
        var response = await browser.PostAsync("/imports?handler=Preview",
            UploadForm(Token(await browser.GetStringAsync("/imports")), "roster", "full", Data.Utf8(big.ToString()), "big.csv"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var html = await browser.GetStringAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("Uploads are limited to 0.1 MB", html);
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM imports"));

        // A problem code the page does not know shows nothing.
        Assert.DoesNotContain("data-import-problem", await browser.GetStringAsync("/imports?problem=Call+this+number"));
    }

    [SkippableTheory, DatabaseData]
    public async Task History_ListsImportsEscaped_AndDownloadReturnsTheOriginalBytes(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var roster = Data.Utf8(Data.Roster());
        // Hand-made multipart: HttpClient refuses a file name with a path and a control character; a script may send one.
        var body = Encoding.UTF8.GetBytes("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\fakepath\\<img src=x onerror=alert(1)>\tq.csv\"\r\n" +
            "Content-Type: text/csv\r\n\r\n" + Data.Roster() + "\r\n--b--\r\n");
        var raw = new ByteArrayContent(body);
        raw.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync("/api/imports/roster", raw)).StatusCode);
        var xlsxLike = new byte[] { 0xD0, 0xCF, 0x11, 0xE0, 1, 2, 3, 0, 255 }; // a legacy .xls: refused, still recorded
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await api.Upload("/api/imports/completions", xlsxLike, "old.xls", "application/vnd.ms-excel")).StatusCode);
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");
        await Preview(browser, "roster", "partial", roster, "again.csv");

        var html = await browser.GetStringAsync("/imports");
        Assert.DoesNotContain("<img src=x", html);
        var names = Regex.Matches(html, "title=\"Download the original file\" href=\"[^\"]*\">([^<]*)</a>").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value));
        Assert.Equal(["again.csv", "old.xls", "<img src=x onerror=alert(1)>q.csv"], names);
        Assert.Contains("old.xls", html);
        Assert.Contains("again.csv", html);
        Assert.Contains("lnd@example.com", html);
        Assert.Contains(">Preview</span>", html);
        Assert.Contains(">Rejected</span>", html);
        Assert.Equal(3, Regex.Matches(html, "\\?handler=File").Count);

        var first = await browser.GetAsync("/imports/1?handler=File");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(roster, await first.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/csv", first.Content.Headers.ContentType!.MediaType);
        var disposition = first.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal("import-1-<img src=x onerror=alert(1)>q.csv", disposition.FileNameStar);
        Assert.Equal(xlsxLike, await Download(browser, 2));
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/imports/99?handler=File")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task History_ShowsFiftyAPage_WithSkip(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var csv = Data.Roster();
        for (var i = 0; i < 52; i++) await api.UploadCsv("/api/imports/roster?dryRun=true", csv, $"file-{i:D2}.csv");
        var browser = await SignedInWithKey(app);
        var first = await browser.GetStringAsync("/imports");
        Assert.Equal(50, Regex.Matches(first, "\\?handler=File").Count);
        Assert.Contains("file-51.csv", first);
        Assert.DoesNotContain("file-01.csv", first);
        Assert.Contains("href=\"/imports?skip=50\"", first);
        var second = await browser.GetStringAsync("/imports?skip=50");
        Assert.Equal(2, Regex.Matches(second, "\\?handler=File").Count);
        Assert.Contains("file-00.csv", second);
        Assert.DoesNotContain("skip=100", second);
    }

    [SkippableTheory, DatabaseData]
    public async Task Progress_IsReportedToTheImportingUser_PhaseByPhase_EndingWithDone(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var rows = Enumerable.Range(0, 400).Select(i => $"P{i:D4},Person {i},p{i}@example.com,Team {i % 4},boss{i % 4}@example.com,Data Engineer");
        var csv = Data.Utf8(Data.Lines([Data.RosterHeader, .. rows]));
        var browser = await SignedInAs(app, "lnd@example.com", "LearningAdmin");

        var (_, location) = await Preview(browser, "roster", "full", csv, "people.csv");
        var preview = _progress.Take();
        Assert.All(preview, r => Assert.Equal(("lnd@example.com", "roster", "people.csv"), (r.Actor, r.Update.Kind, r.Update.FileName)));
        Assert.Equal("reading", preview[0].Update.Phase);
        var validating = preview.Where(r => r.Update.Phase == "validating").Select(r => r.Update).ToList();
        Assert.InRange(validating.Count, 10, 25); // about every 5% of 400 rows, not every row
        Assert.True(validating.Select(v => v.RowsDone).SequenceEqual(validating.Select(v => v.RowsDone).Order()), "rows done only grow");
        Assert.Contains(validating, v => v.RowsDone == 400 && v.RowsTotal == 400);
        Assert.DoesNotContain(preview, r => r.Update.Phase == "writing"); // a dry run writes nothing
        Assert.Equal(("done", 400, 100.0), (preview[^1].Update.Phase, preview[^1].Update.RowsTotal, preview[^1].Update.Percent));

        await PostApplyFrom(browser, await browser.GetStringAsync(location));
        var apply = _progress.Take().Select(r => r.Update.Phase).Distinct().ToList();
        Assert.Equal(["reading", "validating", "writing", "done"], apply);
        Assert.Equal(400, app.Scalar("SELECT COUNT(*) FROM engineers"));
    }

    // --- helpers ---

    private sealed class RecordingProgress : IImportProgress
    {
        private readonly ConcurrentQueue<(string Actor, ImportProgressUpdate Update)> _reports = new();

        public void Report(string actor, ImportProgressUpdate update) => _reports.Enqueue((actor, update));

        public List<(string Actor, ImportProgressUpdate Update)> Take()
        {
            var list = new List<(string, ImportProgressUpdate)>();
            while (_reports.TryDequeue(out var r)) list.Add(r);
            return list;
        }
    }

    // active as 0/1 in SQL both providers read the same way (a PostgreSQL boolean does not add to an integer).
    private static string Fingerprint(AppFactory app) => string.Join("|",
        app.Scalar("SELECT COUNT(*) FROM engineers"),
        app.Scalar("SELECT COUNT(*) FROM teams"),
        app.Scalar("SELECT COUNT(*) FROM completions"),
        app.Scalar("SELECT COALESCE(SUM(LENGTH(name) + LENGTH(email) + team_id + CASE WHEN active THEN 1 ELSE 0 END), 0) FROM engineers"),
        app.Scalar("SELECT value FROM app_state WHERE key = 'data_version'"));

    private static string Token(string html)
    {
        var token = Regex.Match(html, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        return token;
    }

    private static Task<HttpClient> SignedInWithKey(AppFactory app) => app.SignedInAdminAsync();

    private static Task<HttpClient> SignedInAs(AppFactory app, string email, string role) => app.SignedInAsAsync(email, role, Password);

    private static MultipartFormDataContent UploadForm(string? token, string kind, string? mode, byte[] content, string fileName)
    {
        var form = new MultipartFormDataContent();
        if (token is not null) form.Add(new StringContent(token), "__RequestVerificationToken");
        form.Add(new StringContent(kind), "kind");
        if (mode is not null) form.Add(new StringContent(mode), "mode");
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse("text/csv");
        form.Add(file, "file", fileName);
        return form;
    }

    /// <summary>Posts the upload form as the page does; answers the status and where it redirects.</summary>
    private static async Task<(HttpStatusCode Status, string Location)> Preview(HttpClient browser, string kind, string? mode, byte[] content, string fileName)
    {
        var token = Token(await browser.GetStringAsync("/imports"));
        var response = await browser.PostAsync("/imports?handler=Preview", UploadForm(token, kind, mode, content, fileName));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (response.StatusCode, response.Headers.Location!.OriginalString);
    }

    /// <summary>Submits the Apply form found on a preview page, with its own hidden fields.</summary>
    private static async Task<HttpResponseMessage> PostApplyFrom(HttpClient browser, string previewHtml)
    {
        var form = Regex.Match(previewHtml, "<form[^>]*handler=Apply[^>]*>(.*?)</form>", RegexOptions.Singleline);
        Assert.True(form.Success, "no Apply form on the preview page");
        var fields = Regex.Matches(form.Groups[1].Value, "<input[^>]*type=\"hidden\"[^>]*>").Select(m => m.Value)
            .ToDictionary(i => Attribute(i, "name"), i => WebUtility.HtmlDecode(Attribute(i, "value")));
        Assert.Contains("__RequestVerificationToken", fields.Keys);
        return await browser.PostAsync("/imports?handler=Apply", new FormUrlEncodedContent(fields));
    }

    private static string Attribute(string tag, string name) => Regex.Match(tag, $" {name}=\"([^\"]*)\"").Groups[1].Value;

    private static async Task<HttpResponseMessage> PostApply(HttpClient browser, long? previewId, string kind, string mode)
    {
        var fields = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Token(await browser.GetStringAsync("/imports")), ["kind"] = kind, ["mode"] = mode,
        };
        if (previewId is not null) fields["previewId"] = previewId.Value.ToString();
        return await browser.PostAsync("/imports?handler=Apply", new FormUrlEncodedContent(fields));
    }

    private static long IdIn(string location) => long.Parse(Regex.Match(location, "^/imports/(\\d+)").Groups[1].Value);

    private static async Task<byte[]> Download(HttpClient browser, long id)
    {
        var response = await browser.GetAsync($"/imports/{id}?handler=File");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }
}
