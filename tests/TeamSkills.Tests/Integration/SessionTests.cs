using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Access;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Exports;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// A sign-in cookie ends with what it was issued for: the user (deleted, even if created again under the same
/// email), their password (reset), the bootstrap key (rotated). And the password-reset link never takes the
/// request's Host header.
/// </summary>
public sealed class SessionTests
{
    private static Task<AppFactory> StartAsync(DatabaseProvider provider) => new AppFactory(provider).StartedAsync(async app =>
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster", Data.Roster())).StatusCode));

    private static async Task<HttpStatusCode> HomeStatus(HttpClient browser) => (await browser.GetAsync("/")).StatusCode;

    [SkippableTheory, DatabaseData]
    public async Task DeletedUser_TheirCookieStopsWorking_EvenWhenTheEmailIsCreatedAgain(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var mia = await app.SignedInAsAsync("mia@example.com", "Manager");
        var platform = (await (await app.Api().GetAsync("/api/teams")).JsonOf()).EnumerateArray()
            .Single(t => t.GetProperty("name").GetString() == "Platform").GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(mia));
        Assert.Equal(HttpStatusCode.OK, (await mia.GetAsync($"/teams/{platform}?handler=Xlsx")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await app.Api().DeleteAsync("/api/users/mia@example.com")).StatusCode);
        var home = await mia.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.StartsWith("/signin", home.Headers.Location!.OriginalString.Replace("http://localhost", ""));
        Assert.Equal(HttpStatusCode.Redirect, (await mia.GetAsync($"/teams/{platform}?handler=Xlsx")).StatusCode);

        // Created again under the same email (now an Engineer): the old cookie is still refused.
        Assert.Equal(HttpStatusCode.Created, (await app.Api().PostAsJsonAsync("/api/users", new { email = "mia@example.com", role = "Engineer" })).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, await HomeStatus(mia));
        Assert.Equal(HttpStatusCode.Redirect, (await mia.GetAsync($"/teams/{platform}")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task PasswordReset_EndsTheAccountsOtherSessions(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var before = await app.SignedInAsAsync("max@example.com", "Manager");
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(before));

        string token;
        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            token = await users.GeneratePasswordResetTokenAsync((await users.FindByEmailAsync("max@example.com"))!);
        }
        var other = app.Browser();
        var form = await other.GetStringAsync($"/reset?email=max%40example.com&token={Uri.EscapeDataString(token)}");
        var reset = await other.PostAsync("/reset", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = "max@example.com", ["token"] = token, ["password"] = "another long passphrase",
            ["__RequestVerificationToken"] = TestUsers.Token(form),
        }));
        Assert.Equal(HttpStatusCode.Redirect, reset.StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, await HomeStatus(before));
        var after = await app.PasswordSignedInAsync("max@example.com", "another long passphrase"); // asserts the redirect
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(after));
    }

    private static async Task<HttpResponseMessage> SignOut(HttpClient browser)
    {
        var page = await browser.GetStringAsync("/");
        return await browser.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = TestUsers.Token(page),
        }));
    }

    [SkippableTheory, DatabaseData]
    public async Task SignOut_EndsEverySessionOfTheAccount_SoACopiedCookieIsRefused(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var here = await app.SignedInAsAsync("mia@example.com", "Manager");
        var copy = await app.PasswordSignedInAsync("mia@example.com", TestUsers.Password); // another device, or a stolen cookie
        var someoneElse = await app.SignedInAsAsync("max@example.com", "Manager");
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(here));
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(copy));

        var signedOut = await SignOut(here);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal("/signin?done=signout", signedOut.Headers.Location!.OriginalString);
        Assert.Contains("You are signed out, in every browser where this account was signed in.", await here.GetStringAsync("/signin?done=signout"));
        Assert.Equal(HttpStatusCode.Redirect, await HomeStatus(here));
        Assert.Equal(HttpStatusCode.Redirect, await HomeStatus(copy));
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(someoneElse)); // only that account's sessions end

        var again = await app.PasswordSignedInAsync("mia@example.com", TestUsers.Password);
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(again));
    }

    [SkippableTheory, DatabaseData]
    public async Task BootstrapAdminSignOut_EndsTheBootstrapAdminsSessions_AndASignInAfterWorks(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider);
        var here = await app.SignedInAdminAsync();
        var copy = await app.SignedInAdminAsync();
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(copy));

        Assert.Equal(HttpStatusCode.Redirect, (await SignOut(here)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, await HomeStatus(copy));
        var again = await app.SignedInAdminAsync();
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(again));
        Assert.Equal(HttpStatusCode.Redirect, (await SignOut(again)).StatusCode); // the second sign-out bumps the stored generation
        Assert.Equal(HttpStatusCode.Redirect, await HomeStatus(again));
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(await app.SignedInAdminAsync()));
    }

    [Fact]
    public async Task RotatedBootstrapKey_EndsTheBootstrapAdminsCookies()
    {
        await using var app = new AppFactory();
        var admin = await app.SignedInAdminAsync();
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(admin));

        var config = (IConfigurationRoot)app.Services.GetRequiredService<IConfiguration>();
        config["TeamSkills:Auth:BootstrapApiKey"] = "a-rotated-bootstrap-key-9876543210";
        config.Reload();
        Assert.Equal(HttpStatusCode.Redirect, await HomeStatus(admin));

        config["TeamSkills:Auth:BootstrapApiKey"] = AppFactory.ApiKey; // the old key back: cookies issued under it work again
        config.Reload();
        var again = await app.SignedInAdminAsync();
        Assert.Equal(HttpStatusCode.OK, await HomeStatus(again));
    }

    [SkippableTheory, DatabaseData]
    public async Task ResetLink_IsBuiltOnThePublicUrl_NotOnTheRequestsHost(DatabaseProvider provider)
    {
        var mail = await ForgotPasswordMailAsync(new AppFactory(provider).With("TeamSkills:Digests:PublicUrl", "https://skills.example.org/"),
            host: "attacker.example");
        var links = Regex.Matches((mail.TextBody ?? "") + (mail.HtmlBody ?? ""), @"https?://[^\s""'<>/]+").Select(m => m.Value).Distinct().ToList();
        Assert.Equal(["https://skills.example.org"], links);
        Assert.DoesNotContain("attacker", (mail.TextBody ?? "") + (mail.HtmlBody ?? ""));
    }

    [SkippableTheory, DatabaseData]
    public async Task ResetLink_FollowsTheListeningAddress_WhenNoPublicUrlIsSet(DatabaseProvider provider)
    {
        // As `dotnet run -- --urls http://127.0.0.1:5391` (a second instance beside one on the default port 5080).
        var mail = await ForgotPasswordMailAsync(new AppFactory(provider).With("urls", "http://127.0.0.1:5391"));
        Assert.Contains("http://127.0.0.1:5391/reset?email=boss%40example.com&token=", mail.TextBody);
        Assert.DoesNotContain("localhost:5080", (mail.TextBody ?? "") + (mail.HtmlBody ?? ""));
    }

    /// <summary>boss@example.com (the first admin) asks for a reset on /forgot, optionally under another Host header: the mail sent.</summary>
    private static async Task<MimeKit.MimeMessage> ForgotPasswordMailAsync(AppFactory factory, string? host = null)
    {
        await using var app = factory
            .With("TeamSkills:Auth:FirstAdminEmail", "boss@example.com")
            .With("TeamSkills:Auth:FirstAdminPassword", "a long enough password");
        var browser = app.Browser();
        var form = await browser.GetStringAsync("/forgot");
        using var post = new HttpRequestMessage(HttpMethod.Post, "/forgot")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = "boss@example.com", ["__RequestVerificationToken"] = TestUsers.Token(form),
            }),
        };
        if (host is not null) post.Headers.Host = host;
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(post)).StatusCode);
        await app.ForgotPasswordMailsSentAsync();
        return await MimeKit.MimeMessage.LoadAsync(Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "outbox"), "*.eml")));
    }

    [Fact]
    public void ExportJob_IsFoundOnlyByTheUserWhoAskedForIt_NotByANewAccountWithTheSameEmail_NorOnceTheyLostTheRole()
    {
        var jobs = new ExportJobs(null!, null!, new OrgClock(TimeProvider.System, TimeZoneInfo.Utc),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ExportJobs>.Instance);
        static ClaimsPrincipal User(string id, string email, string role = "LearningAdmin") => new(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, id), new Claim(ClaimTypes.Name, email), new Claim(ClaimTypes.Role, role)], "test"));
        var job = jobs.Enqueue(User("id-1", "lnd@example.com"), new DateOnly(2026, 6, 1), "/exports/jobs");
        Assert.Same(job, jobs.Find(job.Id, User("id-1", "lnd@example.com")));
        Assert.Same(job, jobs.Find(job.Id, User("id-1", "lnd@example.com", "Admin")));
        Assert.Null(jobs.Find(job.Id, User("id-2", "lnd@example.com")));
        Assert.Null(jobs.Find(job.Id, User("id-1", "other@example.com")));
        Assert.Null(jobs.Find(job.Id, User("id-1", "lnd@example.com", "Manager")));
    }
}
