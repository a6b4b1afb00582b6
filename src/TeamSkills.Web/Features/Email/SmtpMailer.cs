using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace TeamSkills.Web.Features.Email;

public enum SmtpTls { None, StartTls, SslOnConnect, Auto }

public sealed class SmtpOptions
{
    public const string Section = "TeamSkills:Smtp";

    /// <summary>Empty: SMTP is off and mail goes to the outbox folder.</summary>
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    /// <summary>Auto: TLS on connect for port 465, otherwise STARTTLS when the server offers it.</summary>
    public SmtpTls Tls { get; set; } = SmtpTls.Auto;
    public string? Username { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "TeamSkills <no-reply@teamskills.local>";
    public int TimeoutSeconds { get; set; } = 30;

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>Every problem at once, so a misconfigured deployment is fixed in one go.</summary>
public sealed class SmtpOptionsValidation : IValidateOptions<SmtpOptions>
{
    public ValidateOptionsResult Validate(string? name, SmtpOptions o)
    {
        var errors = new List<string>();
        if (o.Port is < 1 or > 65535) errors.Add($"TeamSkills:Smtp:Port must be 1–65535 (was {o.Port}).");
        if (o.TimeoutSeconds is < 1 or > 600) errors.Add($"TeamSkills:Smtp:TimeoutSeconds must be 1–600 (was {o.TimeoutSeconds}).");
        if (!MailboxAddress.TryParse(o.From ?? "", out var from) || !from.Address.Contains('@'))
            errors.Add($"TeamSkills:Smtp:From is not a valid mailbox (was '{o.From}').");
        if (string.IsNullOrEmpty(o.Username) != string.IsNullOrEmpty(o.Password))
            errors.Add("TeamSkills:Smtp:Username and Password must be set together (or neither).");
        if (!o.Enabled && !string.IsNullOrEmpty(o.Username))
            errors.Add("TeamSkills:Smtp:Username is set but Host is empty: set Host to send over SMTP.");
        // A password never crosses the network in clear: with credentials, TLS must be required, not merely offered.
        if (!string.IsNullOrEmpty(o.Username) && o.Tls is not (SmtpTls.StartTls or SmtpTls.SslOnConnect))
            errors.Add("TeamSkills:Smtp:Tls must be StartTls or SslOnConnect when Username and Password are set.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// Delivery over SMTP with MailKit. One connection per message: digests are a few hundred mails a week, and a
/// fresh client per send is correct under concurrency with no pool to go stale when the relay restarts.
/// </summary>
public sealed class SmtpMailer(IOptions<SmtpOptions> options, TimeProvider time, ILogger<SmtpMailer> log) : IMailer
{
    public async Task SendAsync(OutgoingMail mail, CancellationToken ct)
    {
        var o = options.Value;
        // Invalid addresses throw MailRecipientRejectedException here, before any connection.
        var message = MailMessages.Build(mail, MailboxAddress.Parse(o.From), time.GetUtcNow());
        using var client = new SmtpClient { Timeout = o.TimeoutSeconds * 1000 };
        try
        {
            await client.ConnectAsync(o.Host ?? "", o.Port, Socket(o.Tls), ct);
            if (!string.IsNullOrEmpty(o.Username)) await client.AuthenticateAsync(o.Username, o.Password ?? "", ct);
            await client.SendAsync(message, ct);
            await client.DisconnectAsync(quit: true, ct);
        }
        // Only a permanent (5xx) refusal is the recipient's fault; 4xx (greylisting, mailbox busy) is retried like an outage.
        catch (SmtpCommandException e) when (e.ErrorCode == SmtpErrorCode.RecipientNotAccepted && (int)e.StatusCode >= 500)
        {
            throw new MailRecipientRejectedException(e.Mailbox?.Address ?? mail.To, $"{(int)e.StatusCode} {e.Message}", e);
        }
        log.LogInformation("Mail {MessageId} sent over SMTP to {Host}:{Port}", message.MessageId, o.Host, o.Port);
    }

    private static SecureSocketOptions Socket(SmtpTls tls) => tls switch
    {
        SmtpTls.None => SecureSocketOptions.None,
        SmtpTls.StartTls => SecureSocketOptions.StartTls,
        SmtpTls.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto,
    };
}
