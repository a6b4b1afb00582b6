using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace TeamSkills.Tests.Integration;

public sealed class ScopeTests : IAsyncLifetime
{
    private readonly AppFactory _app = new();
    private HttpClient _admin = null!;

    // Mia manages Platform; Max manages Data and reports to Mia; the Leadership team's manager is the boss.
    private static string Roster(string platformManager = "mia@example.com") => Data.Roster(
        "E7,Mia Manager,mia@example.com,Leadership,boss@example.com,Engineering Manager",
        "E8,Max Manager,max@example.com,Leadership,mia@example.com,Engineering Manager")
        .Replace("Platform,mia@example.com", $"Platform,{platformManager}");

    public async Task InitializeAsync()
    {
        _admin = _app.Api();
        Assert.Equal(HttpStatusCode.OK, (await _admin.UploadCsv("/api/imports/roster", Roster())).StatusCode);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<HttpClient> As(string email, string role) => _app.ApiAsAsync(email, role);

    private async Task<int> TeamId(string name) =>
        (await (await _admin.GetAsync("/api/teams")).JsonOf()).EnumerateArray().Single(t => t.GetProperty("name").GetString() == name).GetProperty("id").GetInt32();

    private static async Task<string[]> TeamNames(HttpClient client) =>
        (await (await client.GetAsync("/api/teams")).JsonOf()).EnumerateArray().Select(t => t.GetProperty("name").GetString()!).Order().ToArray();

    [Fact]
    public async Task Manager_SeesTheirTeams_AndTheTeamsOfManagersBelowThem_Only()
    {
        var mia = await As("mia@example.com", "Manager");
        var max = await As("max@example.com", "Manager");
        Assert.Equal(["Data", "Platform"], await TeamNames(mia));
        Assert.Equal(["Data"], await TeamNames(max));

        var platform = await TeamId("Platform");
        Assert.Equal(HttpStatusCode.OK, (await mia.GetAsync($"/api/teams/{platform}/gaps")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await max.GetAsync($"/api/teams/{platform}/gaps")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await max.GetAsync("/api/engineers/E1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await max.GetAsync("/api/engineers/E4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await max.GetAsync($"/api/teams/{await TeamId("Leadership")}/gaps")).StatusCode);
        Assert.Empty((await (await max.GetAsync("/api/roles/unmapped")).JsonOf()).EnumerateArray()); // Cat (unmapped) is in Platform
        Assert.Equal(HttpStatusCode.NotFound, (await max.GetAsync($"/api/forecast?teamId={platform}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await max.GetAsync($"/api/forecast?teamId={await TeamId("Data")}")).StatusCode);
    }

    [Fact]
    public async Task Engineer_SeesOnlyThemself()
    {
        var eve = await As("eve@example.com", "Engineer");
        Assert.Empty(await TeamNames(eve));
        Assert.Equal(HttpStatusCode.OK, (await eve.GetAsync("/api/engineers/E5")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync("/api/engineers/E4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync($"/api/teams/{await TeamId("Data")}/gaps")).StatusCode);
    }

    [Fact]
    public async Task LearningAdmin_SeesTheWholeOrg()
    {
        var lnd = await As("lnd@example.com", "LearningAdmin");
        Assert.Equal(["Data", "Leadership", "Platform"], await TeamNames(lnd));
    }

    [Fact]
    public async Task ScopeFollowsTheRoster_WhenAReimportMovesATeam()
    {
        var max = await As("max@example.com", "Manager");
        Assert.Equal(["Data"], await TeamNames(max));
        Assert.Equal(HttpStatusCode.OK, (await _admin.UploadCsv("/api/imports/roster", Roster(platformManager: "max@example.com"))).StatusCode);
        Assert.Equal(["Data", "Platform"], await TeamNames(max));
    }

    [Fact]
    public async Task ManagerSignedInOnThePages_SeesOnlyTheirTeams()
    {
        await As("max@example.com", "Manager");
        using (var scope = _app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<TeamSkills.Core.Access.AppUser>>();
            var max = await users.FindByEmailAsync("max@example.com");
            Assert.True((await users.AddPasswordAsync(max!, "max's long passphrase")).Succeeded);
        }
        var browser = _app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
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
        var data = await TeamId("Data");
        var teamPage = await browser.GetStringAsync($"/teams/{data}");
        Assert.Contains("Dan Dorn", teamPage);
        Assert.Contains("cell missing", teamPage);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/teams/{await TeamId("Platform")}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/engineers/E4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/engineers/E1")).StatusCode);
    }
}
