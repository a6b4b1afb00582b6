using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

public sealed class ScopeTests
{
    // Mia manages Platform; Max manages Data and reports to Mia; the Leadership team's manager is the boss.
    private static string Roster(string platformManager = "mia@example.com") => Data.Roster(
        "E7,Mia Manager,mia@example.com,Leadership,boss@example.com,Engineering Manager",
        "E8,Max Manager,max@example.com,Leadership,mia@example.com,Engineering Manager")
        .Replace("Platform,mia@example.com", $"Platform,{platformManager}");

    private static Task<AppFactory> StartAsync(DatabaseProvider provider) => new AppFactory(provider).StartedAsync(async app =>
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster", Roster())).StatusCode));

    private static Task<HttpClient> As(AppFactory app, string email, string role) => app.ApiAsAsync(email, role);

    private static async Task<int> TeamId(AppFactory app, string name) =>
        (await (await app.Api().GetAsync("/api/teams")).JsonOf()).EnumerateArray().Single(t => t.GetProperty("name").GetString() == name).GetProperty("id").GetInt32();

    private static async Task<string[]> TeamNames(HttpClient client) =>
        (await (await client.GetAsync("/api/teams")).JsonOf()).EnumerateArray().Select(t => t.GetProperty("name").GetString()!).Order().ToArray();

    [SkippableTheory, DatabaseData]
    public async Task Manager_SeesTheirTeams_AndTheTeamsOfManagersBelowThem_Only(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var mia = await As(app, "mia@example.com", "Manager");
        var max = await As(app, "max@example.com", "Manager");
        Assert.Equal(["Data", "Platform"], await TeamNames(mia));
        Assert.Equal(["Data"], await TeamNames(max));

        var platform = await TeamId(app, "Platform");
        Assert.Equal(HttpStatusCode.OK, (await mia.GetAsync($"/api/teams/{platform}/gaps")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await max.GetAsync($"/api/teams/{platform}/gaps")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await max.GetAsync("/api/engineers/E1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await max.GetAsync("/api/engineers/E4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await max.GetAsync($"/api/teams/{await TeamId(app, "Leadership")}/gaps")).StatusCode);
        Assert.Empty((await (await max.GetAsync("/api/roles/unmapped")).JsonOf()).EnumerateArray()); // Cat (unmapped) is in Platform
        Assert.Equal(HttpStatusCode.NotFound, (await max.GetAsync($"/api/forecast?teamId={platform}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await max.GetAsync($"/api/forecast?teamId={await TeamId(app, "Data")}")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task Engineer_SeesOnlyThemself(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var eve = await As(app, "eve@example.com", "Engineer");
        Assert.Empty(await TeamNames(eve));
        Assert.Equal(HttpStatusCode.OK, (await eve.GetAsync("/api/engineers/E5")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync("/api/engineers/E4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync($"/api/teams/{await TeamId(app, "Data")}/gaps")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task Engineer_DoesNotSee_AFormerEmployeesRecord_ThatHadTheirEmail(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        // Eve (E5) leaves: a full import without her deactivates her record; a new hire (E9) gets her email.
        var roster = Roster().Replace("E5,Eve Ellis,eve@example.com,Data,max@example.com,Jr. DevOps Engineer\n", "")
            + "E9,Eve Newman,eve@example.com,Data,max@example.com,Data Engineer\n";
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster", roster)).StatusCode);

        var eve = await As(app, "eve@example.com", "Engineer");
        Assert.Equal(HttpStatusCode.OK, (await eve.GetAsync("/api/engineers/E9")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync("/api/engineers/E5")).StatusCode);
        // The team's manager still sees the former member's record (the team's history).
        var max = await As(app, "max@example.com", "Manager");
        Assert.Equal(HttpStatusCode.OK, (await max.GetAsync("/api/engineers/E5")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task EngineerOnThePages_IsLinkedToTheirOwnRecord_AndNotToATeamTheyCannotOpen(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var eve = await app.SignedInAsAsync("eve@example.com", "Engineer");
        // An Engineer's overview would hold no teams: the home page opens her own record instead (on the asked date).
        var home = await eve.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.Equal("/engineers/E5", home.Headers.Location?.OriginalString);
        Assert.Equal("/engineers/E5?asOf=2026-01-15", (await eve.GetAsync("/?asOf=2026-01-15")).Headers.Location?.OriginalString);
        var own = await eve.GetStringAsync("/engineers/E5");
        Assert.Contains("<span>Data</span>", own);
        Assert.DoesNotContain("href=\"/teams/", own); // the team page would be a 404 for her
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync($"/teams/{await TeamId(app, "Data")}")).StatusCode);

        // A manager's crumb does link to a team they manage.
        var max = await app.SignedInAsAsync("max@example.com", "Manager");
        // A Manager with a record of their own keeps the overview, with a link to that record.
        var managerHome = await max.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, managerHome.StatusCode);
        Assert.Contains("<a href=\"/engineers/E8\" id=\"my-certifications\">My certifications</a>", await managerHome.Content.ReadAsStringAsync());
        var managersView = await max.GetStringAsync("/engineers/E5");
        Assert.Contains($"<a href=\"/teams/{await TeamId(app, "Data")}\">Data</a>", managersView);
        // A Manager records nothing, and is told who does.
        Assert.DoesNotContain("id=\"record\"", managersView);
        Assert.Contains("<p class=\"hint\" id=\"who-records\">L&amp;D and Admins record completions", managersView);
        // Their digest settings are one click away, for them only.
        var settings = System.Text.RegularExpressions.Regex.Match(managersView, "href=\"(/digest\\?token=[^\"]+)\" id=\"digest-settings\"");
        Assert.True(settings.Success, "a Manager's pages link to their digest settings");
        Assert.Contains("max@example.com", await max.GetStringAsync(System.Net.WebUtility.HtmlDecode(settings.Groups[1].Value)));
        Assert.DoesNotContain("id=\"digest-settings\"", await eve.GetStringAsync("/engineers/E5"));
    }

    [SkippableTheory, DatabaseData]
    public async Task EngineerWithoutARecord_StaysOnTheOverview_WhichSaysWhy(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var nobody = await app.SignedInAsAsync("new.hire@example.com", "Engineer"); // not in the roster
        var home = await nobody.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        var page = await home.Content.ReadAsStringAsync();
        Assert.Contains("No active engineer record carries your email", page);
        Assert.DoesNotContain("id=\"my-certifications\"", page);
        Assert.DoesNotContain("imports a roster", page); // the L&D hint is not for them
    }

    [SkippableTheory, DatabaseData]
    public async Task EngineerPage_SaysWhenTheRecordIsInactive_OrTheTitleHasNoRole_AndNamesPrerequisites(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/completions", Data.Completions())).StatusCode);
        var admin = await app.SignedInAdminAsync();

        var unmapped = System.Net.WebUtility.HtmlDecode(await admin.GetStringAsync("/engineers/E3")); // Solutions Architect
        Assert.Contains("The title “Solutions Architect” is not mapped to a role", unmapped);
        Assert.Contains("No plan until the title has a role.", unmapped);
        Assert.DoesNotContain("Nothing left to take", unmapped);

        // E2 holds MLOps Foundation, the prerequisite of MLOps Professional: named, and said to be held.
        var e2 = System.Net.WebUtility.HtmlDecode(await admin.GetStringAsync("/engineers/E2"));
        Assert.Contains("its prerequisite MLOps Foundation is held", e2);
        Assert.DoesNotContain("requires mlops-foundation", e2);
        Assert.DoesNotContain("id=\"inactive\"", e2);

        var roster = Roster().Replace("E5,Eve Ellis,eve@example.com,Data,max@example.com,Jr. DevOps Engineer\n", "");
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", roster)).StatusCode);
        Assert.Contains("id=\"inactive\"", await admin.GetStringAsync("/engineers/E5"));
    }

    [SkippableTheory, DatabaseData]
    public async Task LearningAdmin_RecordsAndRemovesACompletion_OnTheEngineerPage_AManagerCannot(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var lnd = await app.SignedInAsAsync("lnd@example.com", "LearningAdmin");
        async Task<HttpResponseMessage> Post(HttpClient browser, string handler, Dictionary<string, string> fields)
        {
            fields["__RequestVerificationToken"] = TestUsers.Token(await browser.GetStringAsync("/engineers/E4"));
            return await browser.PostAsync($"/engineers/E4?handler={handler}", new FormUrlEncodedContent(fields));
        }
        Assert.Contains("id=\"record\"", await lnd.GetStringAsync("/engineers/E4"));

        // A date in the future is refused with the reason, and nothing is recorded.
        var future = await Post(lnd, "Record", new() { ["certification"] = "aiops-foundation", ["earnedOn"] = "2099-01-01" });
        Assert.Equal((HttpStatusCode)422, future.StatusCode);
        Assert.Contains("<li>Earned on 2099-01-01 is in the future.</li>", await future.Content.ReadAsStringAsync());
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM completions"));

        // An expiry before the earned date: named as the form names its fields, with both dates; what was typed stays.
        var backwards = await Post(lnd, "Record", new() { ["certification"] = "aiops-foundation", ["earnedOn"] = "2026-05-01", ["expiresOn"] = "2026-04-01" });
        Assert.Equal((HttpStatusCode)422, backwards.StatusCode);
        var said = await backwards.Content.ReadAsStringAsync();
        Assert.Contains("<li>Expires on (2026-04-01) must be after earned on (2026-05-01).</li>", said);
        Assert.DoesNotContain("expiresOn must", said);
        Assert.Contains("value=\"2026-04-01\"", said);
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM completions"));

        var recorded = await Post(lnd, "Record", new() { ["certification"] = "aiops-foundation", ["earnedOn"] = "2026-05-01", ["expiresOn"] = "" });
        Assert.Equal(HttpStatusCode.Redirect, recorded.StatusCode);
        var page = await lnd.GetStringAsync("/engineers/E4");
        Assert.Contains("Recorded AIOps Foundation, earned 2026-05-01.", page);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM completions WHERE certification_id = 'aiops-foundation' AND expiry_derived = TRUE"));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'completion.added' AND actor = 'lnd@example.com'"));

        // A Manager sees the record but no form, and cannot post one.
        var max = await app.SignedInAsAsync("max@example.com", "Manager");
        Assert.DoesNotContain("id=\"record\"", await max.GetStringAsync("/engineers/E4"));
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(max, "Record", new() { ["certification"] = "aiops-foundation", ["earnedOn"] = "2026-05-02" })).StatusCode);
        var id = app.Scalar("SELECT MAX(id) FROM completions");
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(max, "Remove", new() { ["id"] = id.ToString() })).StatusCode);

        // Removing: only a completion shown on this engineer's page.
        Assert.Equal(HttpStatusCode.NotFound, (await lnd.PostAsync("/engineers/E1?handler=Remove", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["id"] = id.ToString(), ["__RequestVerificationToken"] = TestUsers.Token(await lnd.GetStringAsync("/engineers/E1")),
        }))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await Post(lnd, "Remove", new() { ["id"] = id.ToString() })).StatusCode);
        Assert.Contains("Removed AIOps Foundation, earned 2026-05-01.", await lnd.GetStringAsync("/engineers/E4"));
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM completions"));
    }

    [SkippableTheory, DatabaseData]
    public async Task FindAnEngineer_SearchesOnlyWhatTheCallerMaySee(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        static string[] Ids(string html) => System.Text.RegularExpressions.Regex.Matches(html, "<tr><td><a href=\"/engineers/([^\"]+)\">")
            .Select(m => m.Groups[1].Value).ToArray();
        var lnd = await app.SignedInAsAsync("lnd@example.com", "LearningAdmin");
        Assert.Equal(["E1", "E2", "E3", "E4", "E5", "E7", "E8"], Ids(await lnd.GetStringAsync("/engineers?q=example.com")).Order());
        Assert.Equal(["E4"], Ids(await lnd.GetStringAsync("/engineers?q=dan")));            // name, ignoring case
        var none = await lnd.GetStringAsync("/engineers?q=%3Cscript%3E");
        Assert.Contains("No active engineer you can see matches “&lt;script&gt;”.", none);
        Assert.Contains("action=\"/engineers\"", await lnd.GetStringAsync("/")); // the overview's search box

        // Max manages Data: Dan (E4) and Eve (E5), and his own record (E8, in Leadership), however wide the search.
        var max = await app.SignedInAsAsync("max@example.com", "Manager");
        Assert.Equal(["E4", "E5", "E8"], Ids(await max.GetStringAsync("/engineers?q=example.com")).Order());
        Assert.Empty(Ids(await max.GetStringAsync("/engineers?q=ann")));

        // An exact employee id first, then by name: "MAX" is Zed Maxwell's id; Max Manager (E8) matches by name and email.
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster?mode=partial", Data.Lines(Data.RosterHeader,
            "MAX,Zed Maxwell,zed@example.com,Data,max@example.com,Data Engineer"))).StatusCode);
        Assert.Equal(["MAX", "E8"], Ids(await lnd.GetStringAsync("/engineers?q=max")));

        // Accents in names need not be typed (nor do they get in the way when they are, whichever way they are encoded).
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster?mode=partial", Data.Lines(Data.RosterHeader,
            "J1,Jürgen Groß,jurgen@example.com,Data,max@example.com,Data Engineer",
            "J2,Tomás Rossi,tomas@example.com,Data,max@example.com,Data Engineer",
            "J3,Chloé Schmidt,chloe@example.com,Data,max@example.com,Data Engineer",
            "J4,Søren Łukasz,soren@example.com,Data,max@example.com,Data Engineer"))).StatusCode);
        Assert.Equal(["J1"], Ids(await lnd.GetStringAsync("/engineers?q=jurgen%20gross")));
        Assert.Equal(["J2"], Ids(await lnd.GetStringAsync("/engineers?q=Tomas%20Rossi")));
        Assert.Equal(["J3"], Ids(await lnd.GetStringAsync("/engineers?q=CHLOE")));
        Assert.Equal(["J3"], Ids(await lnd.GetStringAsync("/engineers?q=" + Uri.EscapeDataString("Chloe\u0301"))));
        Assert.Equal(["J4"], Ids(await lnd.GetStringAsync("/engineers?q=soren%20lukasz")));
        Assert.Equal(["J1"], Ids(await lnd.GetStringAsync("/engineers?q=" + Uri.EscapeDataString("Jürgen"))));
        Assert.Empty(Ids(await max.GetStringAsync("/engineers?q=jurgen%20gruss")));
    }

    [SkippableTheory, DatabaseData]
    public async Task LearningAdmin_SeesTheWholeOrg(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var lnd = await As(app, "lnd@example.com", "LearningAdmin");
        Assert.Equal(["Data", "Leadership", "Platform"], await TeamNames(lnd));
    }

    [SkippableTheory, DatabaseData]
    public async Task ScopeFollowsTheRoster_WhenAReimportMovesATeam(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var admin = app.Api();
        var max = await As(app, "max@example.com", "Manager");
        Assert.Equal(["Data"], await TeamNames(max));
        Assert.Equal(HttpStatusCode.OK, (await admin.UploadCsv("/api/imports/roster", Roster(platformManager: "max@example.com"))).StatusCode);
        Assert.Equal(["Data", "Platform"], await TeamNames(max));
    }

    [SkippableTheory, DatabaseData]
    public async Task ManagerSignedInOnThePages_SeesOnlyTheirTeams(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await As(app, "max@example.com", "Manager");
        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<TeamSkills.Core.Access.AppUser>>();
            var max = await users.FindByEmailAsync("max@example.com");
            Assert.True((await users.AddPasswordAsync(max!, "max's long passphrase")).Succeeded);
        }
        var browser = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var form = await browser.GetStringAsync("/signin");
        var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = "max@example.com", ["password"] = "max's long passphrase", ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var html = await browser.GetStringAsync("/");
        Assert.Contains(">Data</a>", html);
        Assert.DoesNotContain(">Platform</a>", html);
        Assert.DoesNotContain(">Leadership</a>", html);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("/audit")).StatusCode);

        // The team and engineer pages follow the same scope: Data's are there, Platform's are 404.
        var data = await TeamId(app, "Data");
        var teamPage = await browser.GetStringAsync($"/teams/{data}");
        Assert.Contains("Dan Dorn", teamPage);
        Assert.Contains("cell missing", teamPage);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/teams/{await TeamId(app, "Platform")}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/engineers/E4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/engineers/E1")).StatusCode);
    }
}
