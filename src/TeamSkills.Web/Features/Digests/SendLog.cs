using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Data;
using TeamSkills.Core.Tracking;
using TeamSkills.Web.Features.Email;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Digests;

/// <summary>
/// Exactly once across retries: a message keyed (recipient, kind, period) is sent only by the run that claims its row
/// (a unique index), and the row then records how it went. Hangfire runs a job at least once; a retry finds the rows
/// of what already went out and sends only the rest; two overlapping runs never send the same message. A crash
/// between the server's acceptance and the row's update leaves it Pending: never re-sent (at most once there).
/// </summary>
public sealed class SendLog(TeamSkillsDbContext db, IMailer mailer, OrgClock clock, ILogger<SendLog> log)
{
    public Task<bool> AlreadyAsync(string recipient, string kind, string period, CancellationToken ct) =>
        db.SentMessages.AnyAsync(m => m.Recipient == recipient && m.Kind == kind && m.Period == period, ct);

    public static string MessageId(string recipient, string kind, string period) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{recipient}|{kind}|{period}")))[..32]
            .ToLowerInvariant() + "@teamskills.local";

    /// <summary>
    /// Sends unless already sent or being sent. The row is claimed first (the unique key decides between two runs
    /// racing on the same message), then the message goes out, then the row says how it went. A refused address
    /// (5xx) is recorded and skipped; anything else removes the claim and throws, so the job's retry sends it.
    /// </summary>
    public async Task<SendOutcome?> SendOnceAsync(string recipient, string kind, string period, OutgoingMail mail, CancellationToken ct)
    {
        if (await AlreadyAsync(recipient, kind, period, ct)) return null;
        var row = new SentMessage { Recipient = recipient, Kind = kind, Period = period, Outcome = SendOutcome.Pending, SentAt = clock.Now };
        db.SentMessages.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (IsDuplicate(e))
        {
            db.ChangeTracker.Clear();
            return null; // another run claimed it a moment ago
        }
        try
        {
            await mailer.SendAsync(mail with { MessageId = MessageId(recipient, kind, period) }, ct);
            row.Outcome = SendOutcome.Sent;
        }
        catch (Exception e) when (e is MailRecipientRejectedException
            or MailKit.Net.Smtp.SmtpCommandException { StatusCode: >= (MailKit.Net.Smtp.SmtpStatusCode)500 })
        {
            row.Outcome = SendOutcome.Rejected;
            row.Detail = e.Message.Length > 1000 ? e.Message[..1000] : e.Message;
            log.LogWarning("{Kind} to {Recipient} refused by the mail server: {Reason}", kind, recipient, e.Message);
        }
        catch
        {
            db.SentMessages.Remove(row);
            await db.SaveChangesAsync(CancellationToken.None);
            db.ChangeTracker.Clear();
            throw;
        }
        row.SentAt = clock.Now;
        // Not the request's token: once a message has gone out, its row must say so.
        await db.SaveChangesAsync(CancellationToken.None);
        db.ChangeTracker.Clear();
        return row.Outcome;
    }

    /// <summary>The unique key refused the row: SQLite's constraint error, PostgreSQL's 23505, SQL Server's 2601/2627.</summary>
    private static bool IsDuplicate(DbUpdateException e) => e.InnerException switch
    {
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == 19,
        System.Data.Common.DbException db => db.SqlState == "23505" || db.Message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

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
