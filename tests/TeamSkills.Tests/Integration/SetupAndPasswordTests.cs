using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Tests.Integration;

public sealed class SetupAndPasswordTests
{
    private static HttpClient Browser(AppFactory app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static async Task<HttpResponseMessage> PostForm(HttpClient browser, string getUrl, string postUrl, Dictionary<string, string> fields)
    {
        var form = await browser.GetStringAsync(getUrl);
        fields["__RequestVerificationToken"] = Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        return await browser.PostAsync(postUrl, new FormUrlEncodedContent(fields));
    }

    /// <summary>Starts the host (no users: the app issues a setup token) and issues a token the test knows.</summary>
    private static string IssueSetupToken(AppFactory app)
    {
        _ = app.Services;
        return app.Services.GetRequiredService<FirstAdmin.SetupToken>().Issue();
    }

    private static Task<HttpResponseMessage> AddUserAsync(AppFactory app, string email, string role) =>
        app.Api().PostAsJsonAsync("/api/users", new { email, role });

    private static Task<HttpResponseMessage> PasswordSignIn(HttpClient browser, string email, string password) =>
        PostForm(browser, "/signin", "/signin", new() { ["email"] = email, ["password"] = password, ["returnUrl"] = "/" });

    [SkippableTheory, DatabaseData]
    public async Task SetupLink_CreatesTheFirstAdmin_Once_ThenPasswordSignInWorks(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider);
        var browser = Browser(app);
        var token = IssueSetupToken(app);

        Assert.Contains("not valid", await browser.GetStringAsync("/setup?token=wrong"));
        var created = await PostForm(browser, $"/setup?token={token}", "/setup",
            new() { ["token"] = token, ["email"] = "Admin@Example.com", ["password"] = "correct horse battery" });
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\" WHERE email = 'admin@example.com'"));
        // The sign-in page it leads to says setup worked and has the email filled in.
        Assert.Equal("/signin?done=setup&email=admin@example.com", created.Headers.Location?.OriginalString);
        var confirmation = await browser.GetStringAsync(created.Headers.Location!.OriginalString);
        Assert.Contains("<p class=\"status\" role=\"status\">Setup is done: you are the first admin. Sign in with the password you just chose.</p>", confirmation);
        Assert.Contains("value=\"admin@example.com\"", confirmation);

        // The link never works again.
        Assert.Contains("already been used", await browser.GetStringAsync($"/setup?token={token}"));
        var again = await browser.PostAsync("/setup", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["token"] = token, ["email"] = "evil@example.com", ["password"] = "correct horse battery" }));
        Assert.NotEqual(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\""));

        var signIn = await PasswordSignIn(browser, "admin@example.com", "correct horse battery");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task SetupLink_StillWorksAfterAManagerWasAdded_UntilAnAdminExists_ThenSaysWhy(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider);
        var browser = Browser(app);
        var token = IssueSetupToken(app);
        // The natural order from the demo's sign-in link: managers first (with the bootstrap key here).
        Assert.Equal(HttpStatusCode.Created, (await AddUserAsync(app, "mia@example.com", "Manager")).StatusCode);

        var form = await browser.GetStringAsync($"/setup?token={token}");
        Assert.DoesNotContain("not valid", form);
        var created = await PostForm(browser, $"/setup?token={token}", "/setup",
            new() { ["token"] = token, ["email"] = "admin@example.com", ["password"] = "correct horse battery" });
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\" u JOIN \"AspNetUserRoles\" ur ON ur.user_id = u.id " +
            "JOIN \"AspNetRoles\" r ON r.id = ur.role_id WHERE u.email = 'admin@example.com' AND r.name = 'Admin'"));
        Assert.Contains("not valid or has already been used (it ends once anyone is an Admin)", await browser.GetStringAsync($"/setup?token={token}"));
    }

    [SkippableTheory, DatabaseData]
    public async Task SetupLink_EndsWhenAnAdminIsMadeElsewhere_AndStaysEndedIfThatAdminIsDemoted(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider);
        var browser = Browser(app);
        var token = IssueSetupToken(app);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.Created, (await AddUserAsync(app, "ada@example.com", "Admin")).StatusCode);
        // Nobody is an Admin again (and nobody opened the link meanwhile): the link printed at start does not come back.
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/users/ada@example.com/role", new { role = "Manager" })).StatusCode);
        Assert.Contains("not valid or has already been used", await browser.GetStringAsync($"/setup?token={token}"));
        Assert.False(app.Services.GetRequiredService<FirstAdmin.SetupToken>().IsValid(token));
    }

    [SkippableTheory, DatabaseData]
    public async Task SetupLink_PostedManyTimesAtOnce_CreatesOneAdmin(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider);
        var token = IssueSetupToken(app);
        var browsers = Enumerable.Range(0, 8).Select(_ => Browser(app)).ToList();
        var forms = await Task.WhenAll(browsers.Select(b => b.GetStringAsync($"/setup?token={token}")));
        var posts = await Task.WhenAll(browsers.Select((b, i) => b.PostAsync("/setup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token, ["email"] = $"admin{i}@example.com", ["password"] = "correct horse battery",
            ["__RequestVerificationToken"] = Regex.Match(forms[i], "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value,
        }))));
        Assert.Equal(1, posts.Count(p => p.StatusCode == HttpStatusCode.Redirect));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\""));
    }

    [SkippableTheory, DatabaseData]
    public async Task PasswordSignIn_LocksTheAccountAfterFiveFailures(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider)
            .With("TeamSkills:Auth:FirstAdminEmail", "boss@example.com")
            .With("TeamSkills:Auth:FirstAdminPassword", "a long enough password");
        var browser = Browser(app);
        for (var i = 0; i < 5; i++)
            Assert.Contains("not right", await (await PasswordSignIn(browser, "boss@example.com", "wrong password " + i)).Content.ReadAsStringAsync());
        var locked = await PasswordSignIn(browser, "boss@example.com", "a long enough password");
        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        Assert.Contains("locked", await locked.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode);
        Assert.Equal(5, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'signin.failure' AND outcome = 'Refused'"));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'signin.failure' AND outcome = 'LockedOut'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task FirstAdminFromConfiguration_CanSignIn_AndNoSetupLinkIsNeeded(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider)
            .With("TeamSkills:Auth:FirstAdminEmail", "boss@example.com")
            .With("TeamSkills:Auth:FirstAdminPassword", "a long enough password");
        var browser = Browser(app);
        Assert.Equal(HttpStatusCode.Redirect, (await PasswordSignIn(browser, "boss@example.com", "a long enough password")).StatusCode);
        Assert.Contains("not valid", await browser.GetStringAsync("/setup?token=anything"));
    }

    [SkippableTheory, DatabaseData]
    public async Task PasswordReset_ByEmailedLink_WorksOnce_AndLiftsTheLockout(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider)
            .With("TeamSkills:Auth:FirstAdminEmail", "boss@example.com")
            .With("TeamSkills:Auth:FirstAdminPassword", "a long enough password");
        var browser = Browser(app);
        for (var i = 0; i < 5; i++) await PasswordSignIn(browser, "boss@example.com", "wrong " + i);

        await PostForm(browser, "/forgot", "/forgot", new() { ["email"] = "boss@example.com" });
        await PostForm(browser, "/forgot", "/forgot", new() { ["email"] = "nobody@example.com" }); // same answer, no mail
        await app.ForgotPasswordMailsSentAsync();
        var outbox = Path.Combine(app.DataDirectory, "outbox");
        var mail = await MimeKit.MimeMessage.LoadAsync(Assert.Single(Directory.GetFiles(outbox, "*.eml")));
        Assert.Equal("boss@example.com", Assert.Single(mail.To.Mailboxes).Address);
        Assert.Equal("Reset your TeamSkills password", mail.Subject);
        // How long the link works: Identity's token lifespan (a day by default), in both parts.
        Assert.Contains("The link works once, for 24 hours.", mail.TextBody);
        Assert.Contains("The link works once, for 24 hours.", mail.HtmlBody);
        var link = Regex.Match(mail.TextBody ?? "", @"https?://\S+/reset\?\S+").Value;
        // The HTML part (from reports/templates/email) carries the same link, attribute-encoded.
        Assert.Contains($"href=\"{System.Net.WebUtility.HtmlEncode(link)}\"", (mail.HtmlBody ?? "").Replace("&#x2B;", "+"));
        var path = new Uri(link).PathAndQuery;

        // The page asks for the password twice: two that differ are refused, and the link stays usable.
        var differ = await PostForm(browser, path, "/reset", new()
        {
            ["email"] = "boss@example.com",
            ["token"] = Uri.UnescapeDataString(Regex.Match(path, "token=([^&]+)").Groups[1].Value),
            ["password"] = "a brand new passphrase",
            ["confirm"] = "a brand new passphrasE",
        });
        Assert.Contains("The two passwords differ", await differ.Content.ReadAsStringAsync());
        var reset = await PostForm(browser, path, "/reset", new()
        {
            ["email"] = "boss@example.com",
            ["token"] = Uri.UnescapeDataString(Regex.Match(path, "token=([^&]+)").Groups[1].Value),
            ["password"] = "a brand new passphrase",
            ["confirm"] = "a brand new passphrase",
        });
        Assert.Equal(HttpStatusCode.Redirect, reset.StatusCode);
        Assert.Equal("/signin?done=password&email=boss@example.com", reset.Headers.Location!.OriginalString);
        var signIn = await browser.GetStringAsync(reset.Headers.Location!.OriginalString);
        Assert.Contains("Your password is set. Sign in with it.", signIn);
        Assert.Contains("id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" value=\"boss@example.com\"", signIn);
        Assert.Contains("value=\"&quot;&gt;&lt;b&gt;\"", await browser.GetStringAsync("/signin?email=%22%3E%3Cb%3E")); // encoded
        Assert.DoesNotContain("role=\"status\"", await browser.GetStringAsync("/signin?done=%3Cscript%3E")); // fixed texts only
        Assert.Equal(HttpStatusCode.Redirect, (await PasswordSignIn(browser, "boss@example.com", "a brand new passphrase")).StatusCode);

        // The same link again says at once that it is used, with no form, and a post with it is refused.
        var used = await browser.GetStringAsync(path);
        Assert.Contains("This link is not valid or has already been used.", used);
        Assert.DoesNotContain("id=\"password\"", used);
        var reused = await PostForm(browser, "/forgot", "/reset", new()
        {
            ["email"] = "boss@example.com",
            ["token"] = Uri.UnescapeDataString(Regex.Match(path, "token=([^&]+)").Groups[1].Value),
            ["password"] = "yet another passphrase",
        });
        Assert.Contains("not valid", await reused.Content.ReadAsStringAsync());
    }
    [SkippableTheory, DatabaseData]
    public async Task ForgotPassword_AnswersAlikeForAnyAddress_SendsAtMostOneMailAMinute_AndAuditsTheAnonymousAsker(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider)
            .With("TeamSkills:Auth:FirstAdminEmail", "boss@example.com")
            .With("TeamSkills:Auth:FirstAdminPassword", "a long enough password");
        var browser = Browser(app);
        var known = await PostForm(browser, "/forgot", "/forgot", new() { ["email"] = "boss@example.com" });
        var unknown = await PostForm(browser, "/forgot", "/forgot", new() { ["email"] = "nobody@example.com" });
        await PostForm(browser, "/forgot", "/forgot", new() { ["email"] = "Boss@Example.com" }); // again, within the minute
        await app.ForgotPasswordMailsSentAsync();

        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        var answer = Answer(await known.Content.ReadAsStringAsync());
        Assert.Contains("If that email has an account, a reset link is on its way.", answer);
        Assert.Equal(answer, Answer(await unknown.Content.ReadAsStringAsync()));
        var mail = await MimeKit.MimeMessage.LoadAsync(Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "outbox"), "*.eml")));
        Assert.Equal("boss@example.com", Assert.Single(mail.To.Mailboxes).Address);
        var entry = Assert.Single((await (await app.Api().GetAsync("/api/audit?action=password")).JsonOf()).EnumerateArray());
        Assert.Equal("anonymous", entry.GetProperty("actor").GetString()); // not the account's owner: anyone can ask
        Assert.Equal("boss@example.com", entry.GetProperty("target").GetString());
        Assert.Equal("forgot-password form", entry.GetProperty("details").GetProperty("via").GetString());
        Assert.True(entry.GetProperty("details").TryGetProperty("ip", out _)); // the asker's address (none under the test server)

        // Past the minute, another request sends another mail.
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        await PostForm(browser, "/forgot", "/forgot", new() { ["email"] = "boss@example.com" });
        await app.ForgotPasswordMailsSentAsync();
        Assert.Equal(2, Directory.GetFiles(Path.Combine(app.DataDirectory, "outbox"), "*.eml").Length);

        static string Answer(string html) => Regex.Match(html, "<section class=\"card narrow\">[\\s\\S]*?</section>").Value;
    }

    [SkippableTheory, DatabaseData]
    public async Task ForgotPassword_WithTheMailServerDown_AnswersAsUsual_AndRecordsNoReset(DatabaseProvider provider)
    {
        var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now: connections are refused at once
        await using var app = new AppFactory(provider)
            .With("TeamSkills:Auth:FirstAdminEmail", "boss@example.com")
            .With("TeamSkills:Auth:FirstAdminPassword", "a long enough password")
            .With("TeamSkills:Smtp:Host", "127.0.0.1").With("TeamSkills:Smtp:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var browser = Browser(app);
        var known = await PostForm(browser, "/forgot", "/forgot", new() { ["email"] = "boss@example.com" });
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Contains("If that email has an account", await known.Content.ReadAsStringAsync());
        await app.ForgotPasswordMailsSentAsync();
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'password.reset-requested'"));
    }
}
