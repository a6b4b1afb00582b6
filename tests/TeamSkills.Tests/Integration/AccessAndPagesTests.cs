using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

public sealed class AccessAndPagesTests
{
    private static Task<AppFactory> StartAsync(DatabaseProvider provider) => new AppFactory(provider).StartedAsync();

    /// <summary>The test roster (and its completions) imported over the API, and an Admin signed in on the pages.</summary>
    private static async Task<HttpClient> WithDataSignedInAsync(AppFactory app, bool completions)
    {
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        if (completions)
            Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/completions", Data.Completions(), "c.csv")).StatusCode);
        return await app.SignedInAdminAsync();
    }

    [SkippableTheory]
    [DatabaseInlineData("GET", "/api/teams")]
    [DatabaseInlineData("GET", "/api/teams/1/gaps")]
    [DatabaseInlineData("GET", "/api/engineers/E1")]
    [DatabaseInlineData("GET", "/api/catalog/certifications")]
    [DatabaseInlineData("GET", "/api/catalog/roles")]
    [DatabaseInlineData("GET", "/api/roles/unmapped")]
    [DatabaseInlineData("GET", "/api/imports")]
    [DatabaseInlineData("POST", "/api/imports/roster")]
    [DatabaseInlineData("POST", "/api/completions")]
    [DatabaseInlineData("POST", "/api/roles/aliases")]
    public async Task Api_WithoutKey_Returns401(DatabaseProvider provider, string method, string url)
    {
        await using var app = await StartAsync(provider);
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        var wrong = new HttpRequestMessage(new HttpMethod(method), url);
        wrong.Headers.Add("X-Api-Key", "not-the-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong)).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task ErrorAnswers_AreAnHtmlPageForBrowsers_AndProblemDetailsForTheApi(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var mia = await app.SignedInAsAsync("mia@example.com", "Manager");
        async Task<(HttpStatusCode Status, string? Type, string Body)> Get(HttpClient client, string url, string accept)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.TryAddWithoutValidation("Accept", accept);
            using var response = await client.SendAsync(request);
            return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
        }
        const string browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

        var missing = await Get(mia, "/teams/999999", browser);
        Assert.Equal((HttpStatusCode.NotFound, "text/html"), (missing.Status, missing.Type));
        Assert.Contains("<h1>Not found</h1>", missing.Body);
        Assert.Contains("href=\"/\"", missing.Body);
        var forbidden = await Get(mia, "/imports", browser);
        Assert.Equal((HttpStatusCode.Forbidden, "text/html"), (forbidden.Status, forbidden.Type));
        Assert.Contains("<h1>Not allowed</h1>", forbidden.Body);

        // Scripts and the API keep ProblemDetails, whatever they accept.
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), ((await Get(mia, "/teams/999999", "application/json")).Status,
            (await Get(mia, "/teams/999999", "application/json")).Type));
        var api = app.Api();
        var apiMissing = await Get(api, "/api/teams/999999/gaps", browser);
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (apiMissing.Status, apiMissing.Type));
    }

    /// <summary>A request nothing else answers ends here, in an exception: the app's exception handler must answer it.</summary>
    private sealed class ThrowAtTheEnd : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            next(app);
            Microsoft.AspNetCore.Builder.RunExtensions.Run(app, _ => throw new InvalidOperationException("a bug"));
        };
    }

    [Fact]
    public async Task AnUnexpectedException_IsAnHtmlPageForBrowsers_AndProblemDetailsOtherwise()
    {
        await using var app = new AppFactory
        {
            TestServices = s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, ThrowAtTheEnd>(s),
        };
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var page = new HttpRequestMessage(HttpMethod.Get, "/no-such-page");
        page.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        using var html = await client.SendAsync(page);
        Assert.Equal((HttpStatusCode.InternalServerError, "text/html"), (html.StatusCode, html.Content.Headers.ContentType?.MediaType));
        Assert.Contains("<h1>Something went wrong</h1>", await html.Content.ReadAsStringAsync());
        using var json = await client.GetAsync("/no-such-page");
        Assert.Equal((HttpStatusCode.InternalServerError, "application/problem+json"), (json.StatusCode, json.Content.Headers.ContentType?.MediaType));
        Assert.DoesNotContain("a bug", await json.Content.ReadAsStringAsync()); // no exception details leak
    }

    [SkippableTheory, DatabaseData]
    public async Task Pages_GivenAnAsOfThatIsNotADate_SayTheyShowToday(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var team = (await (await app.Api().GetAsync("/api/teams")).JsonOf())[0].GetProperty("id").GetInt32();
        var admin = await app.SignedInAdminAsync();
        foreach (var url in new[] { "/?asOf=soon", $"/teams/{team}?asOf=soon", "/engineers/E1?asOf=soon" })
        {
            var page = WebUtility.HtmlDecode(await admin.GetStringAsync(url));
            Assert.Contains("'soon' is not a date (use YYYY-MM-DD): showing today instead.", page);
        }
        Assert.DoesNotContain("is not a date", await admin.GetStringAsync("/?asOf=2026-01-01"));

        // DateOnly's far ends: the forecast (12 months on) and the trend (90 days back) would leave its range. The pages
        // say so and show today; the API refuses them; the range's own ends still answer.
        foreach (var url in new[] { "/?asOf=9999-12-31", "/?asOf=0001-01-01", $"/teams/{team}?asOf=9999-06-01", "/engineers/E1?asOf=9999-12-31" })
        {
            var response = await admin.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("is outside the dates TeamSkills answers for (1900-01-01 to 2999-12-31): showing today instead.",
                WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
        }
        var api = app.Api();
        foreach (var url in new[] { "/api/forecast?asOf=9999-06-01", "/api/teams?asOf=0001-01-01", $"/api/teams/{team}/gaps?asOf=9999-12-31", "/api/engineers/E1?asOf=9999-12-31" })
            Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync(url)).StatusCode);
        foreach (var url in new[] { "/?asOf=2999-12-31", "/?asOf=1900-01-01", $"/teams/{team}?asOf=2999-12-31" })
            Assert.DoesNotContain("showing today instead", await admin.GetStringAsync(url));
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/forecast?asOf=2999-12-31")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task EngineerPage_OnAPastDate_SaysSo_AndMarksCompletionsEarnedAfterIt(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var admin = await WithDataSignedInAsync(app, completions: true);
        // E1 earned AIOps Professional on 2025-01-10, the Architect exam 2023-07-01, MLOps Professional 2022-01-01.
        var past = await admin.GetStringAsync("/engineers/E1?asOf=2024-06-01");
        Assert.Contains("Showing the picture on <strong>2024-06-01</strong>", past);
        Assert.Contains("Completions earned after it are listed", past);
        Assert.Contains("href=\"/engineers/E1\" class=\"today\">Today</a>", past);
        var rows = Regex.Matches(past, "<tr( class=\"later\")?><td>([^<]+)</td><td>([0-9-]{10})").ToDictionary(m => m.Groups[3].Value, m => m.Groups[1].Success);
        Assert.True(rows["2025-01-10"]);  // earned after the page's date: marked
        Assert.False(rows["2023-07-01"]); // held then
        Assert.False(rows["2022-01-01"]);
        Assert.Contains("2025-01-10 <em class=\"later-note\">(after 2024-06-01)</em>", past);

        var today = await admin.GetStringAsync("/engineers/E1");
        Assert.DoesNotContain("asof-notice", today);
        Assert.DoesNotContain("class=\"later\"", today);
    }

    [SkippableTheory, DatabaseData]
    public async Task EngineerPage_ListsRenewalsDue_BesideThePlan(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var admin = await WithDataSignedInAsync(app, completions: true);
        // The day before one of E1's certifications expires: held, inside its renewal window.
        var held = (await (await app.Api().GetAsync("/api/engineers/E1")).JsonOf()).GetProperty("certifications").EnumerateArray()
            .First(c => c.GetProperty("expiresOn").ValueKind == System.Text.Json.JsonValueKind.String);
        var expires = DateOnly.Parse(held.GetProperty("expiresOn").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var day = expires.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var name = held.GetProperty("name").GetString()!;

        var page = await admin.GetStringAsync($"/engineers/E1?asOf={day}");
        var renewals = Regex.Match(page, "<ul id=\"renewals\">(.*?)</ul>", RegexOptions.Singleline);
        Assert.True(renewals.Success, "the engineer page lists renewals due");
        Assert.Contains($"<strong>{System.Net.WebUtility.HtmlEncode(name)}</strong> expires {expires:yyyy-MM-dd}", renewals.Groups[1].Value);
        // A year before, nothing of it was due.
        Assert.DoesNotContain($"expires {expires:yyyy-MM-dd} (inside", await admin.GetStringAsync($"/engineers/E1?asOf={expires.AddYears(-1):yyyy-MM-dd}"));
    }

    [SkippableTheory, DatabaseData]
    public async Task PagesThatOnlyShow_AnswerAPost405_NeverA500(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var admin = await WithDataSignedInAsync(app, completions: false);
        var team = (await (await app.Api().GetAsync("/api/teams")).JsonOf()).EnumerateArray().First().GetProperty("id").GetInt32();
        // A real form token, so the antiforgery check passes and the page itself has to answer.
        var token = Regex.Match(await admin.GetStringAsync("/engineers/E1"), "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        foreach (var url in new[] { $"/teams/{team}", $"/teams/{team}?handler=Xlsx", "/engineers/E1", "/" })
        {
            var post = await admin.PostAsync(url, new FormUrlEncodedContent([new("__RequestVerificationToken", token)]));
            Assert.True(post.StatusCode == HttpStatusCode.MethodNotAllowed, $"POST {url}: {(int)post.StatusCode}");
            Assert.Contains("GET", post.Content.Headers.Allow);
        }
        // An unknown ?handler= on a GET is the page as usual (Razor Pages falls back to OnGet).
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/teams/{team}?handler=Bogus")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/engineers/E1?handler=Bogus")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task PastDate_CarriesThroughTheLinks_OverviewTeamEngineerAndBack(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var admin = await WithDataSignedInAsync(app, completions: false);
        var team = (await (await app.Api().GetAsync("/api/teams")).JsonOf()).EnumerateArray()
            .Single(t => t.GetProperty("name").GetString() == "Platform").GetProperty("id").GetInt32();

        Assert.Contains($"href=\"/teams/{team}?asOf=2024-06-01\"", await admin.GetStringAsync("/?asOf=2024-06-01"));
        var teamPage = await admin.GetStringAsync($"/teams/{team}?asOf=2024-06-01");
        Assert.Contains("href=\"/engineers/E1?asOf=2024-06-01\"", teamPage);
        Assert.Contains("<a href=\"/?asOf=2024-06-01\">Overview</a>", teamPage);
        var engineerPage = await admin.GetStringAsync("/engineers/E1?asOf=2024-06-01");
        Assert.Contains($"href=\"/teams/{team}?asOf=2024-06-01\"", engineerPage);
        Assert.Contains("<a href=\"/?asOf=2024-06-01\">Overview</a>", engineerPage);

        // Finding an engineer from a past day's overview opens their page on that day.
        Assert.Contains("<input type=\"hidden\" name=\"asOf\" value=\"2024-06-01\" />", await admin.GetStringAsync("/?asOf=2024-06-01"));
        Assert.Contains("href=\"/engineers/E1?asOf=2024-06-01\"", await admin.GetStringAsync("/engineers?q=E1&asOf=2024-06-01"));
        Assert.Contains("href=\"/engineers/E1\"", await admin.GetStringAsync("/engineers?q=E1"));

        // Today's pages link plainly (and so stay live).
        Assert.Contains($"href=\"/teams/{team}\"", await admin.GetStringAsync("/"));
        Assert.Contains("href=\"/engineers/E1\"", await admin.GetStringAsync($"/teams/{team}"));
    }

    [SkippableTheory, DatabaseData]
    public async Task Overview_CountsButDoesNotList_ATeamLeftWithoutEngineers(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var admin = await app.SignedInAdminAsync();
        Assert.DoesNotContain("id=\"empty-teams\"", await admin.GetStringAsync("/"));
        // A full roster without Data's two engineers: the team stays (its history) but has nobody active.
        var withoutData = string.Join("\n", Data.Roster().Split('\n').Where(l => !l.Contains(",Data,")));
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", withoutData)).StatusCode);
        var data = (await (await api.GetAsync("/api/teams")).JsonOf()).EnumerateArray().Single(t => t.GetProperty("name").GetString() == "Data");
        Assert.Equal(0, data.GetProperty("engineerCount").GetInt32()); // the API still answers for it
        var page = await admin.GetStringAsync("/");
        Assert.DoesNotContain($"<tr data-team-id=\"{data.GetProperty("id").GetInt32()}\"", page);
        Assert.Contains("(1 team has no active engineer and is not listed)", page);
    }

    [SkippableTheory, DatabaseData]
    public async Task ExpiringTile_SaysNinetyDays_OnlyWhileEveryRenewalWindowIs90(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var team = (await (await api.GetAsync("/api/teams")).JsonOf())[0].GetProperty("id").GetInt32();
        var admin = await app.SignedInAdminAsync();
        Assert.Contains("<span class=\"label\">expiring in 90 days</span>", await admin.GetStringAsync("/"));
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/catalog/certifications/aiops-professional", new { renewalWindowDays = 30 })).StatusCode);
        foreach (var url in new[] { "/", $"/teams/{team}" })
        {
            var page = await admin.GetStringAsync(url);
            Assert.Contains("<span class=\"label\">expiring within their renewal window</span>", page);
            Assert.DoesNotContain("expiring in 90 days", page);
        }
    }

    [SkippableTheory, DatabaseData]
    public async Task Api_WithoutConfiguredBootstrapKey_AcceptsNoKey(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider).With("TeamSkills:Auth:BootstrapApiKey", "");
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/teams")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task Api_CookieAlone_DoesNotAuthoriseTheApi(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        await SignIn(browser);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/teams")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task HealthAndOpenApi_AreOpen(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        var openApi = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/imports/roster", openApi);
        Assert.Contains("/api/teams/{id}/gaps", openApi);
        // It says how to authenticate: an API key in the X-Api-Key header, on every /api operation and only there.
        using var doc = System.Text.Json.JsonDocument.Parse(openApi);
        var scheme = doc.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var path in paths.EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var secured = operation.Value.TryGetProperty("security", out var security) && security[0].TryGetProperty("ApiKey", out _);
                Assert.True(secured == path.Name.StartsWith("/api/"), $"{operation.Name} {path.Name}: security {(secured ? "declared" : "missing")}");
                if (path.Name.StartsWith("/api/"))
                    Assert.True(operation.Value.GetProperty("responses").TryGetProperty("401", out _), $"{operation.Name} {path.Name} documents 401");
            }
        }
        // The dashboard's own routes are not API operations.
        Assert.Equal(["/api/", "/health"], paths.EnumerateObject().Select(p => p.Name.StartsWith("/api/") ? "/api/" : p.Name).Distinct().Order());

        // An integrator can build a client: the import's multipart file field, and what the main reads answer.
        var roster = paths.GetProperty("/api/imports/roster").GetProperty("post");
        var form = roster.GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        System.Text.Json.JsonElement Resolved(System.Text.Json.JsonElement schema) => schema.TryGetProperty("$ref", out var reference)
            ? doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;
        var file = Resolved(Resolved(form).GetProperty("properties").EnumerateObject().Single(p => p.Name.Equals("file", StringComparison.OrdinalIgnoreCase)).Value);
        Assert.Equal("binary", file.GetProperty("format").GetString());
        foreach (var (path, method) in new[] { ("/api/imports/roster", "post"), ("/api/teams", "get"), ("/api/teams/{id}/gaps", "get"),
                     ("/api/engineers/{employeeId}", "get"), ("/api/forecast", "get"), ("/api/imports", "get"), ("/api/users", "get") })
        {
            var ok = paths.GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty("200");
            Assert.True(ok.TryGetProperty("content", out var content) && content.GetRawText().Contains("schema"), $"{method} {path}: 200 has a schema");
        }
    }

    [SkippableTheory, DatabaseData]
    public async Task HomePage_RedirectsToSignIn_ThenShowsTheTeamsEscaped(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var roster = Data.Roster("E6,<script>alert(1)</script>,x@example.com,<b>Ops</b>,mia@example.com,SRE");
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", roster)).StatusCode);

        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var anonymous = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/signin", anonymous.Headers.Location!.PathAndQuery);

        await SignIn(browser);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'signin.success'"));
        var html = await browser.GetStringAsync("/");
        Assert.Contains("Platform", html);
        Assert.Contains("mia@example.com", html);
        Assert.Contains("&lt;b&gt;Ops&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>Ops</b>", html);
    }

    [SkippableTheory, DatabaseData]
    public async Task AuditPage_ListsEntries_Escaped_ForAdmins(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await api.UploadCsv("/api/imports/roster", Data.Roster(), "<img src=x onerror=alert(1)>.csv");
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/audit")).StatusCode);
        await SignIn(browser);
        var html = await browser.GetStringAsync("/audit?action=import");
        Assert.Contains("import.roster", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.DoesNotContain("signin.success", html); // filtered out
    }

    [SkippableTheory, DatabaseData]
    public async Task AuditPage_FiltersByDays_AndPagesThroughOlderEntries(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        // 205 entries an hour apart from 2026-03-01 01:00 UTC (append-only: inserting is allowed).
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        using (var conn = app.OpenConnection())
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 205) " +
                "INSERT INTO audit_entries (at, actor, action, target, outcome, details) " +
                $"SELECT {start} + i * {TimeSpan.TicksPerHour}, 'seeder', 'test.entry', 'n' || i, 'Applied', '{{}}' FROM n";
            Assert.Equal(205, cmd.ExecuteNonQuery());
        }
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        await SignIn(browser);
        static int Rows(string html) => Regex.Matches(html, "<td>test.entry</td>").Count;

        var first = await browser.GetStringAsync("/audit?action=test");
        Assert.Equal(200, Rows(first));
        Assert.Contains("<td>n205</td>", first); // newest first
        var older = Regex.Match(first, @"<a href=""(/audit\?action=test&amp;before=\d+)"">Older").Groups[1].Value;
        Assert.NotEqual("", older);
        var second = await browser.GetStringAsync(System.Net.WebUtility.HtmlDecode(older));
        Assert.Equal(5, Rows(second));
        Assert.Contains("<td>n1</td>", second);
        Assert.DoesNotContain("Older", second);
        Assert.Contains("Newest", second);

        // One UTC day, both ends included: 2026-03-02 00:00 to 23:00 is entries 24 to 47.
        var day = await browser.GetStringAsync("/audit?action=test&from=2026-03-02&to=2026-03-02");
        Assert.Equal(24, Rows(day));
        Assert.Contains("<td>n24</td>", day);
        Assert.Contains("<td>n47</td>", day);
        Assert.DoesNotContain("<td>n48</td>", day);
        Assert.Equal(24, (await (await app.Api().GetAsync("/api/audit?action=test&from=2026-03-02&to=2026-03-02")).JsonOf()).GetArrayLength());

        // A date that does not parse is named and not applied.
        var bad = await browser.GetStringAsync("/audit?action=test&from=yesterday");
        Assert.Contains("From &#x27;yesterday&#x27; is not a date (use YYYY-MM-DD): not applied.", bad);
        Assert.Equal(200, Rows(bad));
    }

    [SkippableTheory, DatabaseData]
    public async Task SignIn_WithoutAntiforgeryToken_Returns400(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AppFactory.ApiKey }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task SignOut_WithoutAntiforgeryToken_Returns400_AndKeepsTheSession(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        await SignIn(browser);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync("/signout", new FormUrlEncodedContent([]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);

        var home = await browser.GetStringAsync("/");
        var token = Regex.Match(home, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var signOut = await browser.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task SignIn_WithWrongKey_StaysOnTheForm(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await PostSignIn(browser, "wrong");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("not valid", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'signin.failure' AND outcome = 'Refused'"));
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'signin.success'"));
    }

    private static async Task SignIn(HttpClient browser)
    {
        var response = await PostSignIn(browser, AppFactory.ApiKey);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    private static async Task<HttpResponseMessage> PostSignIn(HttpClient browser, string key)
    {
        var form = await browser.GetStringAsync("/signin");
        var token = Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        return await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["key"] = key, ["__RequestVerificationToken"] = token, ["returnUrl"] = "/",
        }));
    }
}
