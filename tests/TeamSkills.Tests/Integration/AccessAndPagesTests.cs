using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace TeamSkills.Tests.Integration;

public sealed class AccessAndPagesTests : IAsyncLifetime
{
    private readonly AppFactory _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("GET", "/api/teams")]
    [InlineData("GET", "/api/teams/1/gaps")]
    [InlineData("GET", "/api/engineers/E1")]
    [InlineData("GET", "/api/catalog/certifications")]
    [InlineData("GET", "/api/catalog/roles")]
    [InlineData("GET", "/api/roles/unmapped")]
    [InlineData("GET", "/api/imports")]
    [InlineData("POST", "/api/imports/roster")]
    [InlineData("POST", "/api/completions")]
    [InlineData("POST", "/api/roles/aliases")]
    public async Task Api_WithoutKey_Returns401(string method, string url)
    {
        var client = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        var wrong = new HttpRequestMessage(new HttpMethod(method), url);
        wrong.Headers.Add("X-Api-Key", "not-the-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong)).StatusCode);
    }

    [Fact]
    public async Task Api_WithoutConfiguredBootstrapKey_AcceptsNoKey()
    {
        await using var app = new AppFactory().With("TeamSkills:Auth:BootstrapApiKey", "");
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/teams")).StatusCode);
    }

    [Fact]
    public async Task Api_CookieAlone_DoesNotAuthoriseTheApi()
    {
        var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        await SignIn(browser);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/teams")).StatusCode);
    }

    [Fact]
    public async Task HealthAndOpenApi_AreOpen()
    {
        var client = _app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        var openApi = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/imports/roster", openApi);
        Assert.Contains("/api/teams/{id}/gaps", openApi);
    }

    [Fact]
    public async Task HomePage_RedirectsToSignIn_ThenShowsTheTeamsEscaped()
    {
        var api = _app.Api();
        var roster = Data.Roster("E6,<script>alert(1)</script>,x@example.com,<b>Ops</b>,mia@example.com,SRE");
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", roster)).StatusCode);

        var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var anonymous = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/signin", anonymous.Headers.Location!.PathAndQuery);

        await SignIn(browser);
        Assert.Equal(1, _app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'signin.success'"));
        var html = await browser.GetStringAsync("/");
        Assert.Contains("Platform", html);
        Assert.Contains("mia@example.com", html);
        Assert.Contains("&lt;b&gt;Ops&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>Ops</b>", html);
    }

    [Fact]
    public async Task AuditPage_ListsEntries_Escaped_ForAdmins()
    {
        var api = _app.Api();
        await api.UploadCsv("/api/imports/roster", Data.Roster(), "<img src=x onerror=alert(1)>.csv");
        var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/audit")).StatusCode);
        await SignIn(browser);
        var html = await browser.GetStringAsync("/audit?action=import");
        Assert.Contains("import.roster", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.DoesNotContain("signin.success", html); // filtered out
    }

    [Fact]
    public async Task SignIn_WithoutAntiforgeryToken_Returns400()
    {
        var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AppFactory.ApiKey }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task SignOut_WithoutAntiforgeryToken_Returns400_AndKeepsTheSession()
    {
        var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        await SignIn(browser);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync("/signout", new FormUrlEncodedContent([]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);

        var home = await browser.GetStringAsync("/");
        var token = Regex.Match(home, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var signOut = await browser.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task SignIn_WithWrongKey_StaysOnTheForm()
    {
        var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await PostSignIn(browser, "wrong");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("not valid", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode);
        Assert.Equal(1, _app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'signin.failure' AND outcome = 'Refused'"));
        Assert.Equal(0, _app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'signin.success'"));
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
