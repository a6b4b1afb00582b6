using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Access;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

/// <summary>The Admin's /users page: add (with a set-password mail), issue a key shown once, revoke it, delete; Admin only.</summary>
public sealed class UsersPageTests
{
    private static async Task<HttpResponseMessage> Post(HttpClient browser, string handler, Dictionary<string, string> fields)
    {
        fields["__RequestVerificationToken"] = TestUsers.Token(await browser.GetStringAsync("/users"));
        return await browser.PostAsync($"/users?handler={handler}", new FormUrlEncodedContent(fields));
    }

    [Theory]
    [InlineData(1, "1 hour")]
    [InlineData(24, "24 hours")]
    [InlineData(36, "36 hours")]
    [InlineData(72, "3 days")]
    [InlineData(72.5, "72 hours")]
    public void TheMailSaysHowLongTheLinkWorks_InWholeHoursOrDays(double hours, string expected) =>
        Assert.Equal(expected, TeamSkills.Web.Features.Access.PasswordLinks.ValidFor(TimeSpan.FromHours(hours)));

    [SkippableTheory, DatabaseData]
    public async Task Admin_AddsAUser_IssuesAKeyShownOnce_RevokesIt_AndDeletesTheUser(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider).With("TeamSkills:Digests:PublicUrl", "https://skills.example.org");
        var admin = await app.SignedInAdminAsync();

        var added = await Post(admin, "Create", new() { ["email"] = "Grace@Example.com", ["role"] = "Manager", ["sendLink"] = "true" });
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        var page = await admin.GetStringAsync("/users");
        Assert.Contains("Added grace@example.com as Manager. They were emailed a link to set their password.", WebUtility.HtmlDecode(page));
        var mail = await MimeKit.MimeMessage.LoadAsync(Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "outbox"), "*.eml")));
        Assert.Equal("grace@example.com", Assert.Single(mail.To.Mailboxes).Address);
        Assert.Contains("https://skills.example.org/reset?email=grace%40example.com&token=", mail.TextBody);
        // An invitation, not a reset someone else asked for.
        Assert.Equal("You have been added to TeamSkills", mail.Subject);
        Assert.Contains("An administrator added you (grace@example.com) to TeamSkills, the team certification dashboard, as Manager.", mail.TextBody);
        // How long the link works, and what to do once it has expired.
        Assert.Contains("The link works once, for 24 hours. If it has expired, \"Forgot your password?\" on the sign-in page sends a new one.", mail.TextBody);
        Assert.Contains("The link works once, for 24 hours. If it has expired, “Forgot your password?” on the sign-in page sends a new one.", mail.HtmlBody);
        Assert.DoesNotContain("reset", mail.HtmlBody!.Replace("/reset?", ""), StringComparison.OrdinalIgnoreCase);
        // Its page asks them to choose their password, not a new one.
        var link = new Uri(Regex.Match(mail.TextBody!, @"https?://\S+/reset\?\S+").Value).PathAndQuery;
        Assert.Contains("<h1>Choose your password</h1>", await app.Browser().GetStringAsync(link));

        // Refused with the reason, nothing added: a duplicate, a bad email.
        var again = await Post(admin, "Create", new() { ["email"] = "grace@example.com", ["role"] = "Engineer" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already exists", await again.Content.ReadAsStringAsync());
        var bad = await Post(admin, "Create", new() { ["email"] = "not an email", ["role"] = "Manager" });
        Assert.Equal((HttpStatusCode)422, bad.StatusCode);
        Assert.Contains("A valid email is required.", await bad.Content.ReadAsStringAsync());
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\""));

        // A key: in the answer to its POST only, and it works on the API with the user's scope.
        var issued = await Post(admin, "CreateKey", new() { ["email"] = "grace@example.com" });
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        Assert.True(issued.Headers.CacheControl?.NoStore);
        var key = Regex.Match(await issued.Content.ReadAsStringAsync(), "id=\"new-key-value\">(tsk_[A-Za-z0-9_-]+)<").Groups[1].Value;
        Assert.NotEmpty(key);
        Assert.DoesNotContain(key, await admin.GetStringAsync("/users"));
        var grace = app.CreateClient();
        grace.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await grace.GetAsync("/api/teams")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await grace.GetAsync("/api/audit")).StatusCode);

        var id = app.Scalar("SELECT MAX(id) FROM api_keys");
        Assert.Equal(HttpStatusCode.Redirect, (await Post(admin, "RevokeKey", new() { ["email"] = "grace@example.com", ["id"] = id.ToString() })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await grace.GetAsync("/api/teams")).StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await Post(admin, "Delete", new() { ["email"] = "grace@example.com" })).StatusCode);
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\""));
        Assert.Equal(4, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action IN ('user.created', 'apikey.created', 'apikey.revoked', 'user.deleted')"));
    }

    [SkippableTheory, DatabaseData]
    public async Task AnInvitedUserWithoutAPassword_IsShownAsSuch_AndCanBeSentTheInvitationAgain(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider).With("TeamSkills:Digests:PublicUrl", "https://skills.example.org");
        var admin = await app.SignedInAdminAsync();
        Assert.Equal(HttpStatusCode.Redirect, (await Post(admin, "Create", new() { ["email"] = "grace@example.com", ["role"] = "Manager", ["sendLink"] = "true" })).StatusCode);
        string[] Mails() => Directory.GetFiles(Path.Combine(app.DataDirectory, "outbox"), "*.eml").Order().ToArray();
        Assert.Single(Mails());
        var page = await admin.GetStringAsync("/users");
        Assert.Contains("data-password=\"pending\"", page);
        Assert.Contains(">Send the invitation again</button>", page);

        // One mail a minute per user: right after the invitation, a second is refused, saying why.
        var tooSoon = await Post(admin, "SendLink", new() { ["email"] = "grace@example.com" });
        Assert.Equal(HttpStatusCode.TooManyRequests, tooSoon.StatusCode);
        Assert.Contains("less than a minute ago", await tooSoon.Content.ReadAsStringAsync());
        Assert.Single(Mails());
        app.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.Redirect, (await Post(admin, "SendLink", new() { ["email"] = "grace@example.com" })).StatusCode);
        Assert.Contains("Sent grace@example.com an invitation, with a link to set their password.",
            WebUtility.HtmlDecode(await admin.GetStringAsync("/users")));
        var mails = Mails();
        Assert.Equal(2, mails.Length);
        async Task<MimeKit.MimeMessage[]> Loaded() => await Task.WhenAll(Mails().Select(f => MimeKit.MimeMessage.LoadAsync(f)));
        foreach (var invitation in await Loaded())
        {
            Assert.Equal("You have been added to TeamSkills", invitation.Subject);
            Assert.Contains("as Manager.", invitation.TextBody);
            Assert.Contains("https://skills.example.org/reset?email=grace%40example.com&token=", invitation.TextBody);
        }

        // Once the password is set: the page says so, and the same button mails a reset instead (the API too).
        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            Assert.True((await users.AddPasswordAsync((await users.FindByEmailAsync("grace@example.com"))!, "grace's long passphrase")).Succeeded);
        }
        page = await admin.GetStringAsync("/users");
        Assert.Contains("data-password=\"set\"", page);
        Assert.Contains(">Email a reset link</button>", page);
        var api = app.Api();
        app.Clock.Advance(TimeSpan.FromSeconds(61));
        var sent = await api.PostAsync("/api/users/grace@example.com/password-link", null);
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        Assert.Equal("reset", (await sent.JsonOf()).GetProperty("mail").GetString());
        Assert.Equal(["Reset your TeamSkills password", "You have been added to TeamSkills", "You have been added to TeamSkills"],
            (await Loaded()).Select(m => m.Subject).Order());
        var listed = (await (await api.GetAsync("/api/users")).JsonOf()).EnumerateArray().Single(u => u.GetProperty("email").GetString() == "grace@example.com");
        Assert.True(listed.GetProperty("passwordSet").GetBoolean());

        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("/api/users/nobody@example.com/password-link", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Post(admin, "SendLink", new() { ["email"] = "nobody@example.com" })).StatusCode);
        var lnd = await app.ApiAsAsync("lnd@example.com", "LearningAdmin");
        Assert.Equal(HttpStatusCode.Forbidden, (await lnd.PostAsync("/api/users/grace@example.com/password-link", null)).StatusCode);
        Assert.Equal(3, Mails().Length);
        Assert.Equal(3, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'password.reset-requested'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task AUserAddedWithoutTheMail_IsOfferedAnInvitation_NotOneAgain_AndTheAdminIsToldTheyCannotSignInYet(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider).With("TeamSkills:Digests:PublicUrl", "https://skills.example.org");
        var admin = await app.SignedInAdminAsync();
        Assert.Equal(HttpStatusCode.Redirect, (await Post(admin, "Create", new() { ["email"] = "hal@example.com", ["role"] = "Manager" })).StatusCode);
        var page = WebUtility.HtmlDecode(await admin.GetStringAsync("/users"));
        Assert.Contains("Added hal@example.com as Manager. They cannot sign in until they set a password: “Send an invitation” in their row emails them a link.", page);
        Assert.Contains(">Send an invitation</button>", page);
        Assert.DoesNotContain("Send the invitation again", page);
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'password.reset-requested'"));

        // Once one was sent, the row offers it again.
        Assert.Equal(HttpStatusCode.Redirect, (await Post(admin, "SendLink", new() { ["email"] = "hal@example.com" })).StatusCode);
        page = WebUtility.HtmlDecode(await admin.GetStringAsync("/users"));
        Assert.Contains("Sent hal@example.com an invitation, with a link to set their password.", page);
        Assert.Contains(">Send the invitation again</button>", page);

        // Deleted and added again without the mail: the old invitation was to the old account, so none was sent to this one.
        Assert.Equal(HttpStatusCode.Redirect, (await Post(admin, "Delete", new() { ["email"] = "hal@example.com" })).StatusCode);
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.Redirect, (await Post(admin, "Create", new() { ["email"] = "hal@example.com", ["role"] = "Engineer" })).StatusCode);
        Assert.Contains(">Send an invitation</button>", await admin.GetStringAsync("/users"));
    }

    [SkippableTheory, DatabaseData]
    public async Task TheBootstrapAdmin_IsToldToAddAnAdminOfTheirOwn_UntilOneExists(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider);
        var admin = await app.SignedInAdminAsync();
        Assert.Contains("id=\"no-admin\"", await admin.GetStringAsync("/users"));
        await Post(admin, "Create", new() { ["email"] = "mia@example.com", ["role"] = "Manager" });
        Assert.Contains("id=\"no-admin\"", await admin.GetStringAsync("/users")); // a Manager cannot manage users
        await Post(admin, "Create", new() { ["email"] = "ada@example.com", ["role"] = "Admin" });
        // An Admin who has not chosen a password cannot sign in after a restart either: still said, naming them.
        Assert.Contains("no Admin has set a password\n            yet (ada@example.com)", await admin.GetStringAsync("/users"));
        await app.SetPasswordAsync("ada@example.com", "ada's own passphrase 12");
        Assert.DoesNotContain("id=\"no-admin\"", await admin.GetStringAsync("/users"));

        // LearningAdmin reads as L&D on the page and in the invitation (the API keeps the role's name).
        await Post(admin, "Create", new() { ["email"] = "lee@example.com", ["role"] = "LearningAdmin", ["sendLink"] = "true" });
        var page = await admin.GetStringAsync("/users");
        Assert.Contains("<option value=\"LearningAdmin\">L&amp;D</option>", page);
        Assert.Contains("<option value=\"LearningAdmin\" selected=\"selected\">L&amp;D</option>", page); // lee's row
        var mail = await MimeKit.MimeMessage.LoadAsync(Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "outbox"), "*.eml")));
        Assert.Contains("as L&D.", mail.TextBody);
        Assert.Contains("as L&amp;D.", mail.HtmlBody);
    }

    [SkippableTheory, DatabaseData]
    public async Task AnAdminChangesAUsersRole_TheirSignInsEnd_AndTheirKeyTakesTheNewRole(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider);
        Assert.Equal(HttpStatusCode.OK, (await app.Api().UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var admin = await app.SignedInAdminAsync();
        var mia = await app.SignedInAsAsync("mia@example.com", "Manager");
        var key = app.CreateClient();
        key.DefaultRequestHeaders.Add("X-Api-Key", await app.ApiKeyForAsync("mia@example.com", "Manager")); // her own key
        async Task<int> TeamsSeen() => (await (await key.GetAsync("/api/teams")).JsonOf()).GetArrayLength();
        Assert.Equal(HttpStatusCode.OK, (await mia.GetAsync("/")).StatusCode);
        Assert.Equal(1, await TeamsSeen()); // Platform, which she manages

        var changed = await Post(admin, "Role", new() { ["email"] = "mia@example.com", ["role"] = "LearningAdmin" });
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.Contains("mia@example.com is now L&D", WebUtility.HtmlDecode(await admin.GetStringAsync("/users")));
        Assert.Equal(HttpStatusCode.Redirect, (await mia.GetAsync("/")).StatusCode); // the Manager's cookie ended
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'user.role-changed' AND target = 'mia@example.com'"));
        Assert.Equal(2, await TeamsSeen()); // her key now has L&D's view of the org

        // The API: the new role answers at once, a bad role is refused with the reason, and an Admin cannot demote themself.
        var api = app.Api();
        var viaApi = await api.PutAsJsonAsync("/api/users/mia@example.com/role", new { role = "Engineer" });
        Assert.Equal(HttpStatusCode.OK, viaApi.StatusCode);
        Assert.Equal("Engineer", (await viaApi.JsonOf()).GetProperty("role").GetString());
        Assert.Equal(0, await TeamsSeen());
        Assert.Equal((HttpStatusCode)422, (await api.PutAsJsonAsync("/api/users/mia@example.com/role", new { role = "Boss" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PutAsJsonAsync("/api/users/nobody@example.com/role", new { role = "Engineer" })).StatusCode);
        var ada = await app.SignedInAsAsync("ada@example.com", "Admin");
        var self = await Post(ada, "Role", new() { ["email"] = "ada@example.com", ["role"] = "Manager" });
        Assert.Equal((HttpStatusCode)422, self.StatusCode);
        Assert.Contains("You cannot take the Admin role from the account you are signed in with.", await self.Content.ReadAsStringAsync());
    }

    [SkippableTheory, DatabaseData]
    public async Task NobodyDeletesTheAccountTheyAreUsing_AndAPostWithoutAnEmailIsNotAnError(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider);
        var boss = await app.SignedInAsAsync("boss@example.com", "Admin");
        foreach (var spelling in new[] { "boss@example.com", " Boss@Example.com " })
        {
            var self = await Post(boss, "Delete", new() { ["email"] = spelling });
            Assert.Equal((HttpStatusCode)422, self.StatusCode);
            Assert.Contains("You cannot delete the account you are signed in with.", await self.Content.ReadAsStringAsync());
        }
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\""));
        foreach (var handler in new[] { "Delete", "CreateKey", "RevokeKey" })
            Assert.Equal(HttpStatusCode.NotFound, (await Post(boss, handler, new())).StatusCode);

        // The API too: a user's own key cannot delete that user.
        var key = (await (await app.Api().PostAsync("/api/users/boss@example.com/api-keys", null)).JsonOf()).GetProperty("key").GetString()!;
        var own = app.CreateClient();
        own.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal((HttpStatusCode)422, (await own.DeleteAsync("/api/users/boss@example.com")).StatusCode);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\""));
    }

    [SkippableTheory, DatabaseData]
    public async Task UsersPage_IsForAdminsOnly(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider);
        var lnd = await app.SignedInAsAsync("lnd@example.com", "LearningAdmin");
        Assert.Equal(HttpStatusCode.Forbidden, (await lnd.GetAsync("/users")).StatusCode);
        var form = await lnd.GetStringAsync("/");
        var post = await lnd.PostAsync("/users?handler=Create", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = "mallory@example.com", ["role"] = "Admin", ["__RequestVerificationToken"] = TestUsers.Token(form),
        }));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\""));
        Assert.Equal(HttpStatusCode.Redirect, (await app.Browser().GetAsync("/users")).StatusCode); // anonymous: to sign-in
    }
}
