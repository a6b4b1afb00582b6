using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

public sealed class AuditTests
{
    private static Task<AppFactory> StartAsync(DatabaseProvider provider) => new AppFactory(provider).StartedAsync();

    [SkippableTheory, DatabaseData]
    public async Task EveryChange_LeavesAnAuditEntry_WithWhoWhatAndOutcome(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        Assert.Equal((HttpStatusCode)422, (await api.UploadCsv("/api/imports/roster", Data.RosterHeader + "\nE1,A,bad,T,,SRE\n")).StatusCode);
        var added = await (await api.PostAsJsonAsync("/api/completions", new { employeeId = "E5", certification = "aiops-foundation", earnedOn = "2026-05-01" })).JsonOf();
        var completionId = added.GetProperty("completion").GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/completions/{completionId}")).StatusCode);
        await api.PostAsJsonAsync("/api/roles/aliases", new { title = "Solutions Architect", role = "Platform Engineer" });
        await api.PutAsJsonAsync("/api/catalog/certifications/aiops-foundation", new { renewalWindowDays = 60 });

        var entries = (await (await api.GetAsync("/api/audit")).JsonOf()).EnumerateArray().ToList();
        var actions = entries.Select(e => (e.GetProperty("action").GetString(), e.GetProperty("outcome").GetString())).Reverse().ToList();
        Assert.Equal(
            [("import.roster", "Applied"), ("import.roster", "Rejected"), ("completion.added", "Applied"), ("completion.removed", "Applied"),
             ("alias.mapped", "Applied"), ("catalog.edited", "Applied")],
            actions);
        Assert.All(entries, e => Assert.Equal("bootstrap-admin", e.GetProperty("actor").GetString()));
        var edit = entries.First(e => e.GetProperty("action").GetString() == "catalog.edited").GetProperty("details");
        Assert.Equal(90, edit.GetProperty("before").GetProperty("renewalWindowDays").GetInt32());
        Assert.Equal(60, edit.GetProperty("after").GetProperty("renewalWindowDays").GetInt32());
        var import = entries.Last().GetProperty("details");
        Assert.Equal(5, import.GetProperty("created").GetInt32());

        var imports = await (await api.GetAsync("/api/audit?action=import")).JsonOf();
        Assert.Equal(2, imports.GetArrayLength());
        Assert.Equal(0, (await (await api.GetAsync("/api/audit?actor=someone-else")).JsonOf()).GetArrayLength());
        var badFrom = await api.GetAsync("/api/audit?from=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, badFrom.StatusCode);
        Assert.Equal("Invalid from", (await badFrom.JsonOf()).GetProperty("title").GetString()); // names the parameter, not asOf
        Assert.StartsWith("to '2026-99-01' is not a date", (await (await api.GetAsync("/api/audit?to=2026-99-01")).JsonOf()).GetProperty("detail").GetString());
    }

    [SkippableTheory, DatabaseData]
    public async Task AuditFilter_ByActionPrefix_IgnoresCase_OnEveryProvider(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        Assert.Equal(1, (await (await api.GetAsync("/api/audit?action=import.roster")).JsonOf()).GetArrayLength());
        Assert.Equal(1, (await (await api.GetAsync("/api/audit?action=Import")).JsonOf()).GetArrayLength());
        Assert.Equal(0, (await (await api.GetAsync("/api/audit?action=import_")).JsonOf()).GetArrayLength()); // no wildcards

        // Actors too: by prefix, ignoring case, no wildcards.
        foreach (var actor in new[] { "bootstrap-admin", "BOOTSTRAP-Admin", "boot" })
            Assert.Equal(1, (await (await api.GetAsync($"/api/audit?actor={actor}")).JsonOf()).GetArrayLength());
        foreach (var actor in new[] { "admin", "boot%", "b_otstrap" })
            Assert.Equal(0, (await (await api.GetAsync($"/api/audit?actor={Uri.EscapeDataString(actor)}")).JsonOf()).GetArrayLength());

        // A range the wrong way round matches nothing, and says why rather than "no entries".
        var reversed = await api.GetAsync("/api/audit?from=2026-06-05&to=2026-06-01");
        Assert.Equal(HttpStatusCode.BadRequest, reversed.StatusCode);
        Assert.Equal("from 2026-06-05 is after to 2026-06-01, so no entry can match (swap them).", (await reversed.JsonOf()).GetProperty("detail").GetString());
        var lnd = await app.SignedInAsAsync("lnd@example.com", "LearningAdmin");
        Assert.Contains("From 2026-06-05 is after to 2026-06-01, so no entry can match (swap them).", await lnd.GetStringAsync("/audit?from=2026-06-05&to=2026-06-01"));
        Assert.Contains("import.roster", await lnd.GetStringAsync("/audit?actor=Bootstrap"));
    }

    [SkippableTheory, DatabaseData]
    public async Task AuditEntries_AreAppendOnly_AtTheDatabase(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await api.UploadCsv("/api/imports/roster", Data.Roster());
        using var conn = app.OpenConnection();
        foreach (var sql in new[] { "UPDATE audit_entries SET actor = 'mallory'", "DELETE FROM audit_entries" })
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            var ex = Assert.ThrowsAny<DbException>(() => cmd.ExecuteNonQuery());
            Assert.Contains("append-only", ex.Message);
        }
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE actor = 'bootstrap-admin'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task Audit_NeedsAnAdminKey(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/audit")).StatusCode);
    }
}

public sealed class RateLimitTests
{
    [SkippableTheory, DatabaseData]
    public async Task Api_OverItsLimit_Answers429WithRetryAfter_PerKey(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider).With("TeamSkills:RateLimits:ApiPerMinute", "5");
        var api = app.Api();
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/catalog/roles")).StatusCode);
        var limited = await api.GetAsync("/api/catalog/roles");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) > 0);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);

        // A different (wrong) key has its own budget: it is refused as unauthenticated, not throttled.
        var other = app.CreateClient();
        other.DefaultRequestHeaders.Add("X-Api-Key", "someone-else");
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync("/api/catalog/roles")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/health")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task SignIn_OverItsLimit_Answers429(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider).With("TeamSkills:RateLimits:SignInPerMinute", "3");
        var browser = app.CreateClient();
        for (var i = 0; i < 3; i++)
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await browser.PostAsync("/signin", new FormUrlEncodedContent([]))).StatusCode);
        var limited = await browser.PostAsync("/signin", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.Contains("Retry-After"));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType); // no Accept: text/html, no page
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/signin")).StatusCode); // reading the form is not limited
    }

    [SkippableTheory, DatabaseData]
    public async Task SignIn_OverItsLimit_FromABrowser_ShowsAPageSayingHowLongToWait(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider).With("TeamSkills:RateLimits:SignInPerMinute", "2");
        var browser = app.CreateClient();
        browser.DefaultRequestHeaders.Add("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        for (var i = 0; i < 2; i++) await browser.PostAsync("/signin", new FormUrlEncodedContent([]));
        var limited = await browser.PostAsync("/signin", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("text/html", limited.Content.Headers.ContentType?.MediaType);
        var seconds = int.Parse(limited.Headers.GetValues("Retry-After").Single());
        Assert.InRange(seconds, 1, 60);
        var page = await limited.Content.ReadAsStringAsync();
        Assert.Contains($"Too many sign-in attempts from your address. Wait {seconds} seconds, then try again.", page);
        Assert.Contains("<link rel=\"stylesheet\" href=\"/css/site.css\"", page);
        Assert.Contains("<a href=\"/signin\">Back to sign in</a>", page);
        Assert.DoesNotContain("\"status\":", page);

        // The reset form is limited with it, and answers a browser the same way.
        var forgot = await browser.PostAsync("/forgot", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.TooManyRequests, forgot.StatusCode);
        Assert.Contains("Too many sign-in attempts", await forgot.Content.ReadAsStringAsync());

        // The API keeps ProblemDetails even when the caller says it takes HTML.
        await using var limitedApi = new AppFactory(provider).With("TeamSkills:RateLimits:ApiPerMinute", "1");
        var api = limitedApi.Api();
        api.DefaultRequestHeaders.Add("Accept", "text/html");
        await api.GetAsync("/api/catalog/roles");
        var apiLimited = await api.GetAsync("/api/catalog/roles");
        Assert.Equal(HttpStatusCode.TooManyRequests, apiLimited.StatusCode);
        Assert.Equal("application/problem+json", apiLimited.Content.Headers.ContentType?.MediaType);
        Assert.True(apiLimited.Headers.Contains("Retry-After"));
    }

    [SkippableTheory, DatabaseData]
    public async Task OneTimeLinksAndResetRequests_ShareTheSignInLimit_SoNoOneFillsTheAuditTrailOrAMailbox(DatabaseProvider provider)
    {
        // Each wrong one-time link is audited (signin.failure) and each reset request may send a mail: both are what an
        // anonymous caller can repeat, so they count against the address's sign-in budget with the form's posts.
        await using var app = new AppFactory(provider).With("TeamSkills:RateLimits:SignInPerMinute", "4");
        var browser = app.CreateClient();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/signin?token=guess{i}")).StatusCode);
        var forgot = await browser.GetStringAsync("/forgot");
        Assert.Equal(HttpStatusCode.OK, (await browser.PostAsync("/forgot", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = "someone@example.com", ["__RequestVerificationToken"] = TestUsers.Token(forgot),
        }))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await browser.GetAsync("/signin?token=guess4")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await browser.PostAsync("/forgot", new FormUrlEncodedContent([]))).StatusCode);
        Assert.Equal(3L, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'signin.failure'"));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/signin")).StatusCode); // the form itself is not limited
    }
}
