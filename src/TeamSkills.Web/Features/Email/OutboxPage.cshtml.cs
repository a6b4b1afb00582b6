using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using MimeKit;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Email;

/// <summary>
/// The outbox folder for Admins (what the app would have sent with no SMTP configured): newest first, one message
/// opened with its text part and its HTML part in a sandboxed frame, and the .eml to download. Only file names
/// the outbox writes are opened, so no path from the query string reaches the file system.
/// </summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed partial class OutboxPageModel(IOptions<SmtpOptions> smtp, IOptions<TeamSkillsOptions> options, IWebHostEnvironment env) : PageModel
{
    private const int Shown = 200;

    public sealed record Entry(string File, DateTimeOffset? Date, string To, string Subject, long Size);
    public sealed record AttachmentInfo(string FileName, string ContentType, long Size);
    public sealed record Opened(string File, IReadOnlyList<(string Name, string Value)> Headers, string? Text, string? Html,
        IReadOnlyList<AttachmentInfo> Attachments);

    public bool SmtpEnabled => smtp.Value.Enabled;
    public IReadOnlyList<Entry> Entries { get; private set; } = [];
    public int Total { get; private set; }
    public Opened? Message { get; private set; }

    private string Folder => OutboxMailer.FolderFor(options.Value, env.ContentRootPath);

    public async Task<IActionResult> OnGetAsync(string? id, CancellationToken ct)
    {
        if (!User.IsInRole(AppRoles.Admin)) return Forbid();
        if (SmtpEnabled) return Page();
        if (id is not null)
        {
            var path = PathOf(id);
            if (path is null) return NotFound();
            Message = await OpenAsync(id, path, ct);
            return Page();
        }
        var files = Directory.Exists(Folder)
            ? new DirectoryInfo(Folder).EnumerateFiles("*.eml").Where(f => OutboxMailer.FileName().IsMatch(f.Name))
                // The name starts with the send time (UTC); the write time orders sends within one millisecond.
                .OrderByDescending(f => f.Name[..f.Name.IndexOf('-', StringComparison.Ordinal)], StringComparer.Ordinal)
                .ThenByDescending(f => f.LastWriteTimeUtc).ToList()
            : [];
        Total = files.Count;
        var entries = new List<Entry>();
        foreach (var f in files.Take(Shown)) entries.Add(await SummaryAsync(f, ct));
        Entries = entries;
        return Page();
    }

    public IActionResult OnGetDownload(string? id)
    {
        if (!User.IsInRole(AppRoles.Admin)) return Forbid();
        if (SmtpEnabled || id is null || PathOf(id) is not { } path) return NotFound();
        return PhysicalFile(path, "message/rfc822", id);
    }

    /// <summary>
    /// The HTML part as the frame shows it: links open in a new tab, as in a mail client. Followed inside the sandboxed
    /// frame, a "choose your password" link loaded the app there, where its form could not be sent (no allow-forms).
    /// </summary>
    public static string FrameDocument(string html)
    {
        const string Base = "<base target=\"_blank\">";
        // In the head when there is one; else after any doctype, which a tag before it would turn into quirks mode.
        var at = HeadTag().Match(html);
        if (!at.Success) at = Doctype().Match(html);
        return at.Success ? html.Insert(at.Index + at.Length, Base) : Base + html;
    }

    [System.Text.RegularExpressions.GeneratedRegex("\\A\\s*<!DOCTYPE[^>]*>", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex Doctype();

    [System.Text.RegularExpressions.GeneratedRegex("<head(?:\\s[^>]*)?>", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex HeadTag();

    private string? PathOf(string id)
    {
        if (!OutboxMailer.FileName().IsMatch(id)) return null;
        var path = Path.Combine(Folder, id);
        return System.IO.File.Exists(path) ? path : null;
    }

    private static async Task<Entry> SummaryAsync(FileInfo file, CancellationToken ct)
    {
        await using var stream = file.OpenRead();
        var headers = await HeaderList.LoadAsync(ParserOptions.Default, stream, ct);
        var date = headers[HeaderId.Date] is { } d && MimeKit.Utils.DateUtils.TryParse(d, out var parsed) ? parsed : (DateTimeOffset?)null;
        return new Entry(file.Name, date, headers[HeaderId.To] ?? "", headers[HeaderId.Subject] ?? "", file.Length);
    }

    private static async Task<Opened> OpenAsync(string id, string path, CancellationToken ct)
    {
        var message = await MimeMessage.LoadAsync(path, ct);
        var shown = new[] { HeaderId.From, HeaderId.To, HeaderId.Cc, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId };
        var headers = message.Headers.Where(h => shown.Contains(h.Id)).Select(h => (h.Field, h.Value)).ToList();
        var attachments = new List<AttachmentInfo>();
        foreach (var part in message.Attachments.OfType<MimePart>())
        {
            using var counter = new MemoryStream();
            if (part.Content is not null) await part.Content.DecodeToAsync(counter, ct);
            attachments.Add(new AttachmentInfo(part.FileName ?? "(unnamed)", part.ContentType.MimeType, counter.Length));
        }
        return new Opened(id, headers, message.TextBody, message.HtmlBody, attachments);
    }
}
