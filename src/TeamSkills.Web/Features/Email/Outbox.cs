using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Email;

public sealed record OutgoingMail(string To, string Subject, string Text);

public interface IMailer
{
    Task SendAsync(OutgoingMail mail, CancellationToken ct);
}

/// <summary>
/// The embedded default with no SMTP configured: each message becomes an .eml file in the data directory's
/// outbox folder (the digests issue adds MailKit over SMTP behind the same interface).
/// </summary>
public sealed class OutboxMailer(IOptions<TeamSkillsOptions> options, IWebHostEnvironment env, OrgClock clock) : IMailer
{
    public string Folder => Path.Combine(options.Value.ResolveDataDirectory(env.ContentRootPath), "outbox");

    public async Task SendAsync(OutgoingMail mail, CancellationToken ct)
    {
        Directory.CreateDirectory(Folder);
        var now = clock.Now;
        var id = Guid.NewGuid().ToString("N");
        var eml = new StringBuilder()
            .Append("From: TeamSkills <no-reply@teamskills.local>\r\n")
            .Append(CultureInfo.InvariantCulture, $"To: {Header(mail.To)}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Subject: =?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(mail.Subject))}?=\r\n")
            .Append(CultureInfo.InvariantCulture, $"Date: {now.ToString("r", CultureInfo.InvariantCulture)}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Message-ID: <{id}@teamskills.local>\r\n")
            .Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
            .Append(mail.Text.Replace("\r\n", "\n").Replace("\n", "\r\n"))
            .Append("\r\n");
        await File.WriteAllTextAsync(Path.Combine(Folder, $"{now:yyyyMMddTHHmmss}-{id}.eml"), eml.ToString(), Encoding.UTF8, ct);
    }

    private static string Header(string value) => value.Replace("\r", "").Replace("\n", "");
}
