using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using TeamSkills.Core.Access;
using TeamSkills.Web.Features.Email;

namespace TeamSkills.Tests.Integration;

/// <summary>Test-side helpers: an app wired to a server, and a templates folder of the test's own.</summary>
internal static class Mail
{
    public static AppFactory WithSmtp(this AppFactory app, SmtpServer server) => app
        .With("TeamSkills:Smtp:Host", "127.0.0.1")
        .With("TeamSkills:Smtp:Port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .With("TeamSkills:Smtp:Tls", "None")
        .With("TeamSkills:Smtp:TimeoutSeconds", "10");

    public static string TemplatesFolder(params (string File, string Source)[] files)
    {
        var folder = Path.Combine(Path.GetTempPath(), "teamskills-templates", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var (file, source) in files) File.WriteAllText(Path.Combine(folder, file), source);
        return folder;
    }

    public static string Text(this MimeMessage m) => (m.TextBody ?? "").Replace("\r\n", "\n");
}

public sealed record TeamRow(string Name, IReadOnlyList<PersonRow> People);
public sealed record PersonRow(string Name, string Email);
public sealed record DigestModel(string ManagerName, IReadOnlyList<TeamRow> Teams);

public sealed class SmtpMailerTests(SmtpServer smtp) : IClassFixture<SmtpServer>
{
    private const string Script = "<script>alert(1)</script>";

    [SkippableFact]
    public async Task SmtpMailer_DeliversHtmlTextAttachmentAndCc_ToARealServer()
    {
        smtp.SkipIfUnavailable();
        await using var app = new AppFactory().WithSmtp(smtp).With("TeamSkills:Smtp:From", "L&D <learning@example.com>");
        var mailer = app.Services.GetRequiredService<IMailer>();
        Assert.IsType<SmtpMailer>(mailer);

        var csv = "team,gaps\nPlatform,3\n"u8.ToArray();
        await mailer.SendAsync(new OutgoingMail("ana@example.com", "Weekly digest: Platform", "Three gaps.\nSee the dashboard.",
            "<p>Three <b>gaps</b>.</p>", Cc: ["lead@example.com"],
            Attachments: [new MailAttachment("gaps.csv", "text/csv", csv)], MessageId: "digest-7-2026-06-01@teamskills.local"), default);

        var received = Assert.Single(smtp.MessagesTo("ana@example.com"));
        Assert.Equal(["ana@example.com", "lead@example.com"], received.Recipients.Order());
        Assert.Equal("learning@example.com", received.MailFrom);
        var m = received.Message;
        Assert.Equal("Weekly digest: Platform", m.Subject);
        Assert.Equal("digest-7-2026-06-01@teamskills.local", m.MessageId);
        Assert.Equal("lead@example.com", Assert.Single(m.Cc.Mailboxes).Address);
        Assert.Equal("L&D", Assert.Single(m.From.Mailboxes).Name);
        Assert.Equal("Three gaps.\nSee the dashboard.", m.Text().TrimEnd());
        Assert.Equal("<p>Three <b>gaps</b>.</p>", m.HtmlBody?.Trim());
        var mixed = Assert.IsType<Multipart>(m.Body);
        Assert.Equal("multipart/mixed", mixed.ContentType.MimeType);
        Assert.Equal("multipart/alternative", mixed[0].ContentType.MimeType);
        var attachment = Assert.IsAssignableFrom<MimePart>(Assert.Single(m.Attachments));
        Assert.Equal("gaps.csv", attachment.FileName);
        using var content = new MemoryStream();
        attachment.Content!.DecodeTo(content);
        Assert.Equal(csv, content.ToArray());
    }

    [SkippableFact]
    public async Task Template_WithScriptInAnImportedName_IsEncodedInHtml_AndPlainInText()
    {
        smtp.SkipIfUnavailable();
        var folder = Mail.TemplatesFolder(
            ("digest.subject.liquid", "Gaps for {{ managerName }}\r\nBcc: evil@example.com"),
            ("digest.html.liquid", "<h1>Hello {{ managerName }}</h1>{% for t in teams %}<h2>{{ t.name }}</h2><ul>{% for p in t.people %}<li>{{ p.name }}</li>{% endfor %}</ul>{% endfor %}"),
            ("digest.txt.liquid", "Hello {{ managerName }}\n{% for t in teams %}{{ t.name }}:{% for p in t.people %} {{ p.name }}{% endfor %}\n{% endfor %}"));
        await using var app = new AppFactory().WithSmtp(smtp).With("TeamSkills:Email:TemplatesPath", folder);
        var model = new DigestModel("Mia", [new TeamRow("Platform", [new PersonRow(Script, "x@example.com"), new PersonRow("Ana", "ana@example.com")])]);

        var rendered = await app.Services.GetRequiredService<EmailTemplates>().RenderAsync("digest", model, default);
        await app.Services.GetRequiredService<IMailer>().SendAsync(
            new OutgoingMail("mia@example.com", rendered.Subject, rendered.Text, rendered.Html), default);

        var m = Assert.Single(smtp.MessagesTo("mia@example.com")).Message;
        Assert.Equal("Gaps for Mia Bcc: evil@example.com", m.Subject); // the line break is gone: no injected header
        Assert.Null(m.Headers[HeaderId.Bcc]);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", m.HtmlBody);
        Assert.DoesNotContain("<script>", m.HtmlBody);
        Assert.Contains("<li>Ana</li>", m.HtmlBody);
        Assert.Contains($"Platform: {Script} Ana", m.Text());
    }

    [SkippableFact]
    public async Task SmtpMailer_RejectedRecipient_ThrowsRecipientRejected_AndTheServerGetsNothing()
    {
        smtp.SkipIfUnavailable();
        await using var app = new AppFactory().WithSmtp(smtp);
        var mailer = app.Services.GetRequiredService<IMailer>();
        var before = smtp.Messages().Count;

        var e = await Assert.ThrowsAsync<MailRecipientRejectedException>(() =>
            mailer.SendAsync(new OutgoingMail("reject-me@example.com", "Hello", "Hi"), default));

        Assert.Equal("reject-me@example.com", e.Address);
        Assert.Contains("550", e.Message);
        Assert.Equal(before, smtp.Messages().Count);
        // The connection problem was the recipient only: the next mail goes through.
        await mailer.SendAsync(new OutgoingMail("after-reject@example.com", "Hello", "Hi"), default);
        Assert.Single(smtp.MessagesTo("after-reject@example.com"));
    }

    [Theory]
    [InlineData("not an address")]
    [InlineData("nobody@")]
    [InlineData("ana@example.com\r\nBcc: evil@example.com")]
    [InlineData("")]
    public async Task SmtpMailer_InvalidAddress_IsRejectedBeforeConnecting(string address)
    {
        // Port 9 on loopback has nothing listening: reaching the network would be a SocketException instead.
        await using var app = new AppFactory().With("TeamSkills:Smtp:Host", "127.0.0.1").With("TeamSkills:Smtp:Port", "9");
        var mailer = app.Services.GetRequiredService<IMailer>();
        var e = await Assert.ThrowsAsync<MailRecipientRejectedException>(() =>
            mailer.SendAsync(new OutgoingMail(address, "Hello", "Hi"), default));
        Assert.Equal(address, e.Address);
        await Assert.ThrowsAsync<MailRecipientRejectedException>(() =>
            mailer.SendAsync(new OutgoingMail("ana@example.com", "Hello", "Hi", Cc: [address]), default));
    }
}

/// <summary>Its own server: this class stops and starts it.</summary>
public sealed class SmtpOutageTests(SmtpServer smtp) : IClassFixture<SmtpServer>
{
    [SkippableFact]
    public async Task SmtpMailer_ServerDown_ThrowsAnOutage_ThenSucceedsWhenItIsBack()
    {
        smtp.SkipIfUnavailable();
        await using var app = new AppFactory().WithSmtp(smtp);
        var mailer = app.Services.GetRequiredService<IMailer>();
        var mail = new OutgoingMail("ana@example.com", "Reminder", "Renew your certification.", MessageId: "reminder-1@teamskills.local");
        smtp.Stop();
        try
        {
            var e = await Assert.ThrowsAnyAsync<Exception>(() => mailer.SendAsync(mail, default));
            Assert.IsNotType<MailRecipientRejectedException>(e); // an outage: the job fails and Hangfire retries
            Assert.Empty(smtp.Messages());
        }
        finally
        {
            await smtp.StartAsync();
        }
        await mailer.SendAsync(mail, default);
        Assert.Equal("reminder-1@teamskills.local", Assert.Single(smtp.MessagesTo("ana@example.com")).Message.MessageId);
    }
}

public sealed class EmailOptionsTests
{
    [Theory]
    [InlineData("TeamSkills:Smtp:Port", "0", "Port")]
    [InlineData("TeamSkills:Smtp:Port", "70000", "Port")]
    [InlineData("TeamSkills:Smtp:Username", "mailer", "Username and Password")]
    [InlineData("TeamSkills:Smtp:Password", "secret", "Username and Password")]
    [InlineData("TeamSkills:Smtp:From", "not a mailbox", "From")]
    public async Task SmtpOptions_Invalid_FailAtStart(string key, string value, string named)
    {
        await using var app = new AppFactory().With("TeamSkills:Smtp:Host", "smtp.example.com").With(key, value);
        var e = Record.Exception(() => app.Services);
        Assert.NotNull(e);
        Assert.Contains(named, Flatten(e));
    }

    [Fact]
    public async Task SmtpOptions_CredentialsWithoutRequiredTls_FailAtStart()
    {
        await using var app = new AppFactory().With("TeamSkills:Smtp:Host", "smtp.example.com")
            .With("TeamSkills:Smtp:Username", "mailer").With("TeamSkills:Smtp:Password", "secret").With("TeamSkills:Smtp:Tls", "Auto");
        var e = Record.Exception(() => app.Services);
        Assert.NotNull(e);
        Assert.Contains("StartTls or SslOnConnect", Flatten(e));

        await using var ok = new AppFactory().With("TeamSkills:Smtp:Host", "smtp.example.com")
            .With("TeamSkills:Smtp:Username", "mailer").With("TeamSkills:Smtp:Password", "secret").With("TeamSkills:Smtp:Tls", "StartTls");
        Assert.Null(Record.Exception(() => ok.Services));
    }

    [Fact]
    public async Task SmtpOptions_UsernameWithoutHost_FailsAtStart()
    {
        await using var app = new AppFactory().With("TeamSkills:Smtp:Username", "mailer").With("TeamSkills:Smtp:Password", "secret");
        var e = Record.Exception(() => app.Services);
        Assert.NotNull(e);
        Assert.Contains("Host is empty", Flatten(e));
    }

    [Fact]
    public async Task NoSmtpHost_UsesTheOutbox()
    {
        await using var app = new AppFactory();
        Assert.IsType<OutboxMailer>(app.Services.GetRequiredService<IMailer>());
    }

    private static string Flatten(Exception e) => e is AggregateException a
        ? string.Join("\n", a.Flatten().InnerExceptions.Select(Flatten))
        : e.Message + (e.InnerException is null ? "" : "\n" + Flatten(e.InnerException));
}

public sealed class EmailTemplateTests
{
    [Fact]
    public async Task EmailTemplates_ShippedPasswordReset_IsFoundBesideTheBinaries()
    {
        await using var app = new AppFactory();
        var templates = app.Services.GetRequiredService<EmailTemplates>();
        Assert.StartsWith(AppContext.BaseDirectory, templates.Folder);
        var mail = await templates.RenderAsync("password-reset", new { Email = "a&b@example.com", Link = "https://x.test/reset?email=a&token=<t>" }, default);
        Assert.Equal("Reset your TeamSkills password", mail.Subject);
        Assert.Contains("https://x.test/reset?email=a&token=<t>", mail.Text);
        Assert.Contains("href=\"https://x.test/reset?email=a&amp;token=&lt;t&gt;\"", mail.Html);
    }

    [Fact]
    public async Task EmailTemplates_ParseError_NamesTheFileAndLine()
    {
        var folder = Mail.TemplatesFolder(("broken.subject.liquid", "Hi"), ("broken.txt.liquid", "x"),
            ("broken.html.liquid", "<p>one</p>\n<p>two</p>\n{% if x %}never closed"));
        await using var app = new AppFactory().With("TeamSkills:Email:TemplatesPath", folder);
        var e = await Assert.ThrowsAsync<EmailTemplateException>(() =>
            app.Services.GetRequiredService<EmailTemplates>().RenderAsync("broken", new { }, default));
        Assert.Contains("broken.html.liquid", e.Message);
        Assert.Matches(@"\(3:\d+\)", e.Message);
    }

    [Fact]
    public async Task EmailTemplates_EditedFile_IsUsedOnTheNextRender()
    {
        var folder = Mail.TemplatesFolder(("note.subject.liquid", "First {{ n }}"), ("note.html.liquid", "<p>{{ n }}</p>"), ("note.txt.liquid", "{{ n }}"));
        await using var app = new AppFactory().With("TeamSkills:Email:TemplatesPath", folder);
        var templates = app.Services.GetRequiredService<EmailTemplates>();
        Assert.Equal("First 1", (await templates.RenderAsync("note", new { N = 1 }, default)).Subject);

        var path = Path.Combine(folder, "note.subject.liquid");
        File.WriteAllText(path, "Second {{ n }}");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal("Second 2", (await templates.RenderAsync("note", new { N = 2 }, default)).Subject);
    }

    [Fact]
    public async Task EmailTemplates_MissingTemplate_NamesTheFile_AndNamesCannotLeaveTheFolder()
    {
        await using var app = new AppFactory();
        var templates = app.Services.GetRequiredService<EmailTemplates>();
        var missing = await Assert.ThrowsAsync<EmailTemplateException>(() => templates.RenderAsync("digest-x", new { }, default));
        Assert.Contains("digest-x.subject.liquid", missing.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => templates.RenderAsync("../secrets", new { }, default));
    }
}

public sealed class OutboxTests
{
    private const string Password = "a long enough password";

    [Fact]
    public async Task OutboxMode_WritesAParseableEml_WithTextHtmlAndAttachment()
    {
        await using var app = new AppFactory();
        await app.Services.GetRequiredService<IMailer>().SendAsync(new OutgoingMail("ana@example.com", "Report ✓", "Plain text",
            "<p>Html</p>", Cc: ["lead@example.com"], Attachments: [new MailAttachment("r.pdf", "application/pdf", [1, 2, 3])],
            MessageId: "report-1@teamskills.local"), default);

        var file = Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "outbox")));
        Assert.Matches(OutboxMailer.FileName(), Path.GetFileName(file));
        var m = await MimeMessage.LoadAsync(file);
        Assert.Equal("Report ✓", m.Subject);
        Assert.Equal("report-1@teamskills.local", m.MessageId);
        Assert.Equal("ana@example.com", Assert.Single(m.To.Mailboxes).Address);
        Assert.Equal("lead@example.com", Assert.Single(m.Cc.Mailboxes).Address);
        Assert.Equal("no-reply@teamskills.local", Assert.Single(m.From.Mailboxes).Address);
        Assert.Equal("Plain text", m.Text().TrimEnd());
        Assert.Equal("<p>Html</p>", m.HtmlBody?.Trim());
        Assert.Equal("r.pdf", Assert.Single(m.Attachments).ContentDisposition?.FileName);
    }

    [Fact]
    public async Task OutboxPage_Admin_SeesTheListAndAnEscapedMessage()
    {
        await using var app = new AppFactory();
        var mailer = app.Services.GetRequiredService<IMailer>();
        await mailer.SendAsync(new OutgoingMail("ana@example.com", "Older <b>one</b>", "first"), default);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        await mailer.SendAsync(new OutgoingMail("bob@example.com", "Hi <script>alert(1)</script>", "Text <script>alert(2)</script>",
            "<p onclick=\"x()\">Html</p><script>alert(3)</script>"), default);
        var admin = await SignedInAsAdmin(app);

        var list = await admin.GetStringAsync("/outbox");
        Assert.DoesNotContain("<script>alert", list);
        Assert.Contains("Hi &lt;script&gt;alert(1)&lt;/script&gt;", list);
        Assert.True(list.IndexOf("bob@example.com", StringComparison.Ordinal) < list.IndexOf("ana@example.com", StringComparison.Ordinal), "newest first");
        Assert.Contains("2026-06-01 09:05:00", list);
        var id = Regex.Match(list, @"/outbox\?id=([0-9T]+-[0-9a-f]{32}\.eml)").Groups[1].Value;

        var page = await admin.GetStringAsync($"/outbox?id={id}");
        Assert.DoesNotContain("<script>alert", page);
        Assert.Contains("Text &lt;script&gt;alert(2)&lt;/script&gt;", page);
        Assert.Matches("<iframe [^>]*sandbox=\"allow-popups allow-popups-to-escape-sandbox\" srcdoc=\"&lt;base target=&quot;_blank&quot;&gt;&lt;p onclick=&quot;x\\(\\)&quot;&gt;Html&lt;/p&gt;&lt;script&gt;alert\\(3\\)", page);

        var download = await admin.GetAsync($"/outbox?handler=download&id={id}");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("message/rfc822", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("bob@example.com", Assert.Single((await MimeMessage.LoadAsync(await download.Content.ReadAsStreamAsync())).To.Mailboxes).Address);

        foreach (var bad in new[] { "../teamskills.db", "..%2Fteamskills.db", "x.eml", id.Replace(".eml", ".json") })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/outbox?id={bad}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/outbox?handler=download&id={bad}")).StatusCode);
        }
    }

    [Fact]
    public async Task OutboxPage_ForAManager_Is403()
    {
        await using var app = new AppFactory();
        await app.Services.GetRequiredService<IMailer>().SendAsync(new OutgoingMail("ana@example.com", "Hello", "Hi"), default);
        var id = Path.GetFileName(Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "outbox"))));
        var manager = await SignedInAs(app, "mia@example.com", "Manager");
        Assert.Equal(HttpStatusCode.Forbidden, (await manager.GetAsync("/outbox")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await manager.GetAsync($"/outbox?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await manager.GetAsync($"/outbox?handler=download&id={id}")).StatusCode);
        var learning = await SignedInAs(app, "lee@example.com", "LearningAdmin");
        Assert.Equal(HttpStatusCode.Forbidden, (await learning.GetAsync("/outbox")).StatusCode);
    }

    [Fact]
    public async Task OutboxPage_WithSmtpConfigured_SaysSo_AndListsNothing()
    {
        await using var app = new AppFactory().With("TeamSkills:Smtp:Host", "127.0.0.1").With("TeamSkills:Smtp:Port", "9");
        await app.Services.GetRequiredService<OutboxMailer>().SendAsync(new OutgoingMail("ana@example.com", "Left from before", "Hi"), default);
        var admin = await SignedInAsAdmin(app);
        var page = await admin.GetStringAsync("/outbox");
        Assert.Contains("SMTP is configured", page);
        Assert.DoesNotContain("Left from before", page);
        Assert.DoesNotContain("ana@example.com", page);
    }

    private static HttpClient Browser(AppFactory app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static string Token(string form) =>
        Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;

    private static Task<HttpClient> SignedInAsAdmin(AppFactory app) => app.SignedInAdminAsync();

    private static Task<HttpClient> SignedInAs(AppFactory app, string email, string role) => app.SignedInAsAsync(email, role, Password);
}
