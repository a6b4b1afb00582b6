using MimeKit;
using MimeKit.Utils;

namespace TeamSkills.Web.Features.Email;

/// <summary>Turns an <see cref="OutgoingMail"/> into the MIME message both mailers send or keep.</summary>
public static class MailMessages
{
    public static MimeMessage Build(OutgoingMail mail, MailboxAddress from, DateTimeOffset date)
    {
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(Recipient(mail.To));
        foreach (var cc in mail.Cc ?? []) message.Cc.Add(Recipient(cc));
        message.Subject = OneLine(mail.Subject);
        message.Date = date;
        message.MessageId = string.IsNullOrWhiteSpace(mail.MessageId)
            ? MimeUtils.GenerateMessageId(string.IsNullOrEmpty(from.Domain) ? "teamskills.local" : from.Domain)
            : OneLine(mail.MessageId).Trim().TrimStart('<').TrimEnd('>');

        var body = new BodyBuilder { TextBody = mail.Text, HtmlBody = mail.Html };
        foreach (var a in mail.Attachments ?? [])
        {
            // Base64 even for text/csv: otherwise line endings are rewritten to CRLF on the way and the file changes.
            if (body.Attachments.Add(OneLine(a.FileName), a.Content, ContentType.Parse(a.ContentType)) is MimePart part)
                part.ContentTransferEncoding = ContentEncoding.Base64;
        }
        // text alone → text/plain; text + html → multipart/alternative; with attachments → inside multipart/mixed.
        message.Body = body.ToMessageBody();
        return message;
    }

    /// <summary>
    /// A recipient that can be addressed at all: one mailbox with a local part and a domain, no line breaks.
    /// Anything else is refused before any connection, as the server would refuse it.
    /// </summary>
    public static MailboxAddress Recipient(string address)
    {
        if (TryRecipient(address, out var mailbox)) return mailbox;
        throw new MailRecipientRejectedException(address, "not a valid email address");
    }

    public static bool TryRecipient(string? address, out MailboxAddress mailbox)
    {
        mailbox = null!;
        if (string.IsNullOrWhiteSpace(address) || address.AsSpan().IndexOfAny('\r', '\n') >= 0) return false;
        if (!MailboxAddress.TryParse(ParserOptions.Default, address.Trim(), out var parsed)) return false;
        var at = parsed.Address.LastIndexOf('@');
        if (at <= 0 || at == parsed.Address.Length - 1 || parsed.Address.Any(char.IsWhiteSpace)) return false;
        mailbox = parsed;
        return true;
    }

    private static string OneLine(string value) => value.Replace("\r", "").Replace("\n", " ");
}
