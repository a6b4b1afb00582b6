using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Data;
using TeamSkills.Core.Tracking;
using TeamSkills.Web.Features.Email;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Digests;

/// <summary>
/// Exactly once across retries: a message keyed (recipient, kind, period) is sent only if the log has no row for it,
/// and the row is written right after the server accepted it. Hangfire runs a job at least once; a retry finds the
/// rows of what already went out and sends only the rest. The Message-ID is derived from the key, so even a send
/// whose log write was lost (a crash between the two) reaches the mailbox as the same message.
/// </summary>
public sealed class SendLog(TeamSkillsDbContext db, IMailer mailer, OrgClock clock, ILogger<SendLog> log)
{
    public Task<bool> AlreadyAsync(string recipient, string kind, string period, CancellationToken ct) =>
        db.SentMessages.AnyAsync(m => m.Recipient == recipient && m.Kind == kind && m.Period == period, ct);

    public static string MessageId(string recipient, string kind, string period) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{recipient}|{kind}|{period}")))[..32]
            .ToLowerInvariant() + "@teamskills.local";

    /// <summary>Sends unless already sent. A refused address is logged and skipped; anything else throws (the job retries).</summary>
    public async Task<SendOutcome?> SendOnceAsync(string recipient, string kind, string period, OutgoingMail mail, CancellationToken ct)
    {
        if (await AlreadyAsync(recipient, kind, period, ct)) return null;
        SendOutcome outcome;
        string? detail = null;
        try
        {
            await mailer.SendAsync(mail with { MessageId = MessageId(recipient, kind, period) }, ct);
            outcome = SendOutcome.Sent;
        }
        catch (MailRecipientRejectedException e)
        {
            outcome = SendOutcome.Rejected;
            detail = e.Message;
            log.LogWarning("{Kind} to {Recipient} refused by the mail server: {Reason}", kind, recipient, e.Message);
        }
        await RecordAsync(recipient, kind, period, outcome, detail, ct);
        return outcome;
    }

    public async Task RecordAsync(string recipient, string kind, string period, SendOutcome outcome, string? detail, CancellationToken ct)
    {
        db.SentMessages.Add(new SentMessage
        {
            Recipient = recipient, Kind = kind, Period = period, Outcome = outcome, Detail = detail?[..Math.Min(detail.Length, 1000)],
            SentAt = clock.Now,
        });
        // Not the request's token: once a message has gone out, its row must be written.
        await db.SaveChangesAsync(CancellationToken.None);
        db.ChangeTracker.Clear();
    }
}
