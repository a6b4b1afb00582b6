using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using MimeKit;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Email;

public sealed record MailAttachment(string FileName, string ContentType, byte[] Content);

/// <summary>
/// One message to send. <paramref name="MessageId"/>, when given, becomes the Message-ID header, so a job that
/// resends after a failure sends a message the receiver (and the send log) can recognise as the same one.
/// </summary>
public sealed record OutgoingMail(
    string To,
    string Subject,
    string Text,
    string? Html = null,
    IReadOnlyList<string>? Cc = null,
    IReadOnlyList<MailAttachment>? Attachments = null,
    string? MessageId = null);

/// <summary>
/// Sends a message. Throws <see cref="MailRecipientRejectedException"/> when a recipient can never receive it
/// (invalid address, or refused by the server); any other exception is an outage worth a retry.
/// </summary>
public interface IMailer
{
    Task SendAsync(OutgoingMail mail, CancellationToken ct);
}

/// <summary>A recipient that will not be accepted however often the message is retried.</summary>
public sealed class MailRecipientRejectedException(string address, string reason, Exception? inner = null)
    : Exception($"The recipient '{address}' was rejected: {reason}", inner)
{
    public string Address { get; } = address;
}

/// <summary>
/// The embedded default with no SMTP configured: each message, as the full MIME message SMTP would carry (text,
/// html, attachments), becomes an .eml file in the data directory's outbox folder; Admins read them at /outbox.
/// </summary>
public sealed partial class OutboxMailer(IOptions<TeamSkillsOptions> options, IOptions<SmtpOptions> smtp, IWebHostEnvironment env, OrgClock clock) : IMailer
{
    public string Folder => FolderFor(options.Value, env.ContentRootPath);

    public static string FolderFor(TeamSkillsOptions options, string contentRoot) =>
        Path.Combine(options.ResolveDataDirectory(contentRoot), "outbox");

    /// <summary>The only file names the outbox writes, and the only ones the outbox page will open.</summary>
    [GeneratedRegex(@"^\d{8}T\d{6,9}-[0-9a-f]{32}\.eml$")]
    public static partial Regex FileName();

    public async Task SendAsync(OutgoingMail mail, CancellationToken ct)
    {
        var now = clock.Now;
        var message = MailMessages.Build(mail, MailboxAddress.Parse(smtp.Value.From), now);
        // Lines within SMTP's limit and 8-bit-clean, as a relay would see it.
        message.Prepare(EncodingConstraint.SevenBit, 998);
        Directory.CreateDirectory(Folder);
        var name = $"{now.UtcDateTime:yyyyMMddTHHmmssfff}-{Guid.NewGuid():N}.eml";
        var path = Path.Combine(Folder, name);
        // Written aside then moved, so the outbox page never lists a half-written file.
        var temp = path + ".tmp";
        await using (var stream = File.Create(temp))
        {
            await message.WriteToAsync(FormatOptions.Default, stream, ct);
        }
        File.Move(temp, path);
    }
}
