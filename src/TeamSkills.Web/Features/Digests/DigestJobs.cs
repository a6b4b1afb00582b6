using Microsoft.Extensions.Options;
using TeamSkills.Core.Data;
using TeamSkills.Core.Gaps;
using TeamSkills.Core.Tracking;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Email;
using TeamSkills.Web.Features.Exports;
using TeamSkills.Web.Features.Gaps;
using TeamSkills.Web.Features.Jobs;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Digests;

/// <summary>
/// manager-digest: one email per manager (every distinct manager_email of the active roster) about only their teams,
/// once per period (ISO week, or month for those who chose monthly), skipped when nothing changed (configurable).
/// </summary>
public sealed class ManagerDigestJob(
    DigestBuilder builder, SendLog sendLog, EmailTemplates templates, ExportReports exports, ILogger<ManagerDigestJob> log)
    : IRecurringJob
{
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var sent = 0;
        var failures = new List<Exception>();
        var skipped = new Dictionary<string, int>(StringComparer.Ordinal); // why not sent (period-free), how many
        foreach (var manager in await builder.ManagersAsync(ct))
        {
          try
          {
            if (await builder.FrequencyAsync(manager, ct) == DigestFrequency.Off) { Count(skipped, "opted out"); continue; }
            var digest = await builder.BuildAsync(manager, ct);
            var reason = await builder.WhyNotAsync(digest, sendLog, ct);
            // "Nothing changed" is this period's digest, decided: recorded, so the next one counts changes from now.
            if (reason == DigestBuilder.NothingChanged)
                await sendLog.RecordAsync(manager, DigestBuilder.DigestKind, digest.Period, SendOutcome.Skipped, reason, ct);
            if (reason is not null) { Count(skipped, reason.StartsWith("already sent", StringComparison.Ordinal) ? "already sent" : reason.Split(" (")[0]); continue; }
            var mail = await templates.RenderAsync("digest", digest, ct);
            var attachments = await TeamPdfsAsync(digest, ct);
            if (await sendLog.SendOnceAsync(manager, DigestBuilder.DigestKind, digest.Period,
                    new OutgoingMail(manager, mail.Subject, mail.Text, mail.Html, Attachments: attachments), ct) == SendOutcome.Sent) sent++;
          }
          catch (Exception e) when (e is not OperationCanceledException)
          {
              // One manager's failure (an outage, a broken report) must not hold back the others; the retry resends only theirs.
              log.LogWarning(e, "Digest for {Manager} failed; the job will be retried", manager);
              failures.Add(e);
          }
        }
        log.LogInformation("Manager digests: {Sent} sent, {Failed} failed, {Skipped} not sent ({Reasons})", sent, failures.Count,
            skipped.Values.Sum(), skipped.Count == 0 ? "none" : string.Join("; ", skipped.Select(s => $"{s.Value} {s.Key}")));
        if (failures.Count > 0) throw new AggregateException($"{failures.Count} digest(s) failed; {sent} sent.", failures);
        return sent;
    }

    /// <summary>Each of the manager's teams as the same PDF the dashboard exports, scoped to exactly those teams.</summary>
    private static void Count(Dictionary<string, int> tally, string why) => tally[why] = tally.GetValueOrDefault(why) + 1;

    private async Task<List<MailAttachment>> TeamPdfsAsync(Digest digest, CancellationToken ct)
    {
        var scope = new CallerScope(digest.Manager, false, digest.Teams.Select(t => t.Id).ToHashSet(), false, digest.Manager);
        var attachments = new List<MailAttachment>();
        foreach (var team in digest.AttachedTeams)
        {
            if (await exports.TeamAsync(scope, team.Id, digest.AsOf, ct) is not { } report) continue;
            using var pdf = new MemoryStream();
            // Made by the schedule for the manager, who exported nothing.
            Reports.Pdf.ReportPdfs.Team(report with { Header = report.Header with { PreparedBy = "the manager digest" } }, pdf);
            attachments.Add(new MailAttachment(ExportFiles.FileName(team.Name, digest.AsOf, "pdf"), ExportFiles.Pdf, pdf.ToArray()));
        }
        return attachments;
    }
}

/// <summary>
/// renewal-reminders: to the engineer (manager in copy, configurable) at 90, 30 and 7 days before expiry and on the
/// day it expires; never twice for the same engineer, certification, expiry and threshold. After a gap in runs only
/// the most urgent threshold crossed is sent (the earlier ones are recorded as skipped).
/// </summary>
public sealed class RenewalRemindersJob(
    TeamSkillsDbContext db, GapIndex index, OrgClock clock, SendLog sendLog, EmailTemplates templates, IOptions<DigestOptions> options,
    ILogger<RenewalRemindersJob> log) : IRecurringJob
{
    public const string Kind = "reminder";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var today = clock.Today;
        var thresholds = options.Value.ReminderThresholds.Distinct().OrderBy(t => t).ToArray();
        var snapshot = await index.GetAsync(db, ct);
        var baseUrl = options.Value.PublicUrl.TrimEnd('/');
        var sent = 0;
        var failures = new List<Exception>();
        foreach (var e in snapshot.Engineers)
        {
            if (e.RoleIndex < 0) continue;
            foreach (var ci in snapshot.Roles[e.RoleIndex].Recommended)
            {
                if (snapshot.Best(e, ci, today) is not { } best) continue;
                var daysLeft = best.ExpiresOn.DayNumber - today.DayNumber;
                // The most urgent threshold reached: 30 when 25 days are left; the day itself (0) until a week after.
                var due = thresholds.Where(t => daysLeft <= t && daysLeft > -7).DefaultIfEmpty(-1).Min();
                if (due < 0 || (due > 0 && daysLeft < 0)) continue;
                var rule = snapshot.Certs[ci].Rule;
                var period = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{rule.Id}/{best.ExpiresOn:yyyy-MM-dd}/{due}");
                if (await sendLog.AlreadyAsync(e.Email, Kind, period, ct)) continue;
                var reminder = new Reminder(e.Name, rule.Name, best.ExpiresOn, daysLeft, due, e.ManagerEmail,
                    $"{baseUrl}/engineers/{Uri.EscapeDataString(e.EmployeeId)}");
                var mail = await templates.RenderAsync("reminder", reminder, ct);
                // A manager address that cannot be addressed drops the copy, never the engineer's reminder.
                var cc = options.Value.CcManagerOnReminders && MailMessages.TryRecipient(e.ManagerEmail, out _) ? new[] { e.ManagerEmail! } : null;
                try
                {
                    if (await sendLog.SendOnceAsync(e.Email, Kind, period, new OutgoingMail(e.Email, mail.Subject, mail.Text, mail.Html, cc), ct)
                        == SendOutcome.Sent) sent++;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogWarning(ex, "Reminder to {Engineer} failed; the job will be retried", e.Email);
                    failures.Add(ex);
                    continue;
                }
                // Larger thresholds not sent before are now moot: record them so a later run never sends them late.
                foreach (var earlier in thresholds.Where(t => t > due))
                {
                    var p = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{rule.Id}/{best.ExpiresOn:yyyy-MM-dd}/{earlier}");
                    if (!await sendLog.AlreadyAsync(e.Email, Kind, p, ct))
                        await sendLog.RecordAsync(e.Email, Kind, p, SendOutcome.Skipped, $"superseded by the {due}-day reminder", ct);
                }
            }
        }
        log.LogInformation("Renewal reminders for {Today:yyyy-MM-dd}: {Sent} sent, {Failed} failed", today, sent, failures.Count);
        if (failures.Count > 0) throw new AggregateException($"{failures.Count} reminder(s) failed; {sent} sent.", failures);
        return sent;
    }
}

/// <summary>lnd-report: the org picture to the configured L&amp;D recipients, once per month.</summary>
public sealed class LndReportJob(
    TeamSkillsDbContext db, GapIndex index, OrgClock clock, SendLog sendLog, EmailTemplates templates, ExportReports exports,
    IOptions<DigestOptions> options, ILogger<LndReportJob> log) : IRecurringJob
{
    public const string Kind = "lnd-report";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var recipients = options.Value.LndRecipients.Select(r => r.Trim().ToLowerInvariant()).Where(r => r.Length > 0).Distinct().ToList();
        if (recipients.Count == 0)
        {
            log.LogInformation("L&D report: no recipients configured (TeamSkills:Digests:LndRecipients)");
            return 0;
        }
        var today = clock.Today;
        var snapshot = await index.GetAsync(db, ct);
        var tallies = snapshot.Tallies(today);
        var baseUrl = options.Value.PublicUrl.TrimEnd('/');
        var teams = snapshot.Teams.Where(t => tallies.ContainsKey(t.Id)).Select(t => (t, x: tallies[t.Id]))
            .Select(p => new DigestTeam(p.t.Id, p.t.Name, p.x.EngineerCount, p.x.RecommendedCount, p.x.HeldCount, p.x.GapCount,
                p.x.ExpiringSoonCount, p.x.ExpiredCount, p.x.UnmappedCount, p.x.CoveragePercent, $"{baseUrl}/teams/{p.t.Id}"))
            .OrderBy(t => t.CoveragePercent).ThenBy(t => t.Name).ToList();
        var report = new LndReport(today.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), today, teams, teams.Sum(t => t.EngineerCount), teams.Sum(t => t.GapCount),
            teams.Sum(t => t.ExpiredCount), TeamTally.CoverageOf(teams.Sum(t => t.HeldCount), teams.Sum(t => t.RecommendedCount)), baseUrl + "/");
        var mail = await templates.RenderAsync("lnd-report", report, ct);
        // The org workbook, the same file L&D would export from the dashboard (built once for every recipient).
        var org = await exports.OrgAsync(new CallerScope("lnd-report", true, new HashSet<int>(), false), today, ct);
        // Made by the schedule for its recipients, who exported nothing.
        org = org with { Header = org.Header with { ExportedBy = "the L&D report's recipients", PreparedBy = "the monthly L&D report" } };
        using var xlsx = new MemoryStream();
        Reports.Excel.OrgWorkbook.Write(org, xlsx);
        MailAttachment[] attachments = [new(ExportFiles.FileName("organisation", today, "xlsx"), ExportFiles.Xlsx, xlsx.ToArray())];
        var sent = 0;
        foreach (var to in recipients)
        {
            if (await sendLog.SendOnceAsync(to, Kind, report.Period, new OutgoingMail(to, mail.Subject, mail.Text, mail.Html,
                    Attachments: attachments), ct) == SendOutcome.Sent)
                sent++;
        }
        log.LogInformation("L&D report {Period}: {Sent} sent", report.Period, sent);
        return sent;
    }
}
