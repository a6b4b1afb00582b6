using System.Net.Http.Json;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Digests;

namespace TeamSkills.Tests.Integration;

/// <summary>Digests and reminders against a real SMTP server (aiosmtpd on loopback), time from FakeTimeProvider.</summary>
public sealed class DigestTests : IAsyncLifetime
{
    // A server per test: each test counts exactly the messages it caused.
    private readonly SmtpServer smtp = new();

    public Task InitializeAsync() => smtp.InitializeAsync();

    public Task DisposeAsync() => smtp.DisposeAsync();

    private Task<AppFactory> StartAsync(DatabaseProvider provider) => new AppFactory(provider).WithSmtp(smtp).StartedAsync(async app =>
    {
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/completions", Data.Completions(), "c.csv")).StatusCode);
    });

    private static async Task<int> Run<TJob>(AppFactory app) where TJob : notnull
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await ((dynamic)scope.ServiceProvider.GetRequiredService<TJob>()).RunAsync(CancellationToken.None);
    }

    private void Ready() => smtp.SkipIfUnavailable();

    private static string Body(CapturedMail m) => m.Message.TextBody ?? "";

    [Fact]
    public void Digest_AttachesTheFiveTeamsWithTheMostGaps_AndNamesThem()
    {
        var teams = new[] { ("Alpha", 1), ("Bravo", 9), ("Charlie", 4), ("Delta", 9), ("Echo", 0), ("Foxtrot", 7), ("Golf", 4) }
            .Select((t, i) => new TeamSkills.Web.Features.Digests.DigestTeam(i + 1, t.Item1, 5, 10, 10 - t.Item2, t.Item2, 0, 0, 0, 50, "/teams/" + (i + 1)))
            .ToList();
        var digest = new TeamSkills.Web.Features.Digests.Digest("m@example.com", "2026-W23", default, new DateOnly(2026, 6, 1), null, teams,
            35, 34, 0, 0, 50, [], [], [], "/", "/digest") { ExpiringLabel = "expiring in 90 days" };
        Assert.Equal(["Bravo", "Delta", "Foxtrot", "Charlie", "Golf"], digest.AttachedTeams.Select(t => t.Name));
    }

    [SkippableTheory, DatabaseData]
    public async Task ManagerDigest_OnePerManager_OnlyTheirTeams_AndASecondRunSendsNothing(DatabaseProvider provider)
    {
        Ready();
        await using var app = await StartAsync(provider);
        var before = smtp.Messages().Count;
        Assert.Equal(2, await Run<ManagerDigestJob>(app));
        var mia = Assert.Single(smtp.MessagesTo("mia@example.com"), m => (m.Message.Subject ?? "").Contains("digest"));
        var max = Assert.Single(smtp.MessagesTo("max@example.com"), m => (m.Message.Subject ?? "").Contains("digest"));
        Assert.Contains("Platform: 37.5% coverage, 5 gaps", Body(mia));
        Assert.DoesNotContain("Data:", Body(mia));
        Assert.Contains("Data:", Body(max));
        Assert.DoesNotContain("Platform:", Body(max));
        Assert.NotNull(mia.Message.HtmlBody);
        Assert.Contains("/digest?token=", Body(mia));
        Assert.Contains("Attached: the PDF report of Platform.", Body(mia));
        // A first digest's "Recently" is the last week: the completions earned in 2022-2025 that the first import recorded
        // today are not news.
        Assert.Contains("Recently:\nNew completions (0):", Body(max).ReplaceLineEndings("\n"));
        Assert.Contains("Recently:\nNew completions (0):", Body(mia).ReplaceLineEndings("\n"));

        // The team PDF rides along: the same report the dashboard exports, for her team only.
        var pdf = Assert.Single(mia.Message.Attachments.OfType<MimeKit.MimePart>());
        Assert.Equal("application/pdf", pdf.ContentType.MimeType);
        using (var bytes = new MemoryStream())
        {
            pdf.Content!.DecodeTo(bytes);
            using var doc = UglyToad.PdfPig.PdfDocument.Open(bytes.ToArray());
            var text = string.Join(" ", doc.GetPages().Select(p => p.Text));
            Assert.Contains("Platform", text);
            Assert.Contains("Ann Archer", text);
            Assert.DoesNotContain("Dan Dorn", text);
            // She did not export it: the schedule prepared it for her.
            // (Compared without white space: the paragraph wraps where the page is full.)
            var flat = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
            Assert.Contains("Preparedformia@example.combythemanagerdigest(1teaminthemanager'schain)at2026-06-01", flat);
            Assert.DoesNotContain("Exportedby", flat);
        }

        Assert.Equal(0, await Run<ManagerDigestJob>(app));
        Assert.Equal(before + 2, smtp.Messages().Count);
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM sent_messages WHERE kind = 'digest' AND outcome = 'Sent'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task Digest_SaysCoverageWithOneDecimal_NaWhereNothingIsRecommended_OneEngineerInTheSingular_AndTheSharedExpiringLabel(DatabaseProvider provider)
    {
        Ready();
        await using var app = await StartAsync(provider);
        var api = app.Api();
        // Solo: one SRE holding three of the role's four certifications (75.0%, 1 gap). Vibes: one engineer whose title
        // maps to no role, nothing recommended for the team nor for its manager's digest as a whole. Many: six such teams,
        // one more than a digest attaches.
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster?mode=partial", Data.Lines(
            [Data.RosterHeader,
            "E7,Sam Solo,sam@example.com,Solo,solo.boss@example.com,Site Reliability Engineer",
            "E8,Una Mapped,una@example.com,Vibes,vibes.boss@example.com,Chief Vibes Officer",
            .. Enumerable.Range(1, 6).Select(i => $"M{i},Moe {i},moe{i}@example.com,Many {i},many.boss@example.com,Chief Vibes Officer")]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/completions", Data.Lines("employee_id,certification,earned_on,expires_on",
            "E7,aiops-professional,2025-01-10,", "E7,aiops-architect,2025-02-10,", "E7,mlops-professional,2025-03-10,"), "c2.csv")).StatusCode);
        Assert.Equal(5, await Run<ManagerDigestJob>(app));

        // Subject, the text's summary line and team row, the HTML's tiles and team row: one team, one engineer each.
        void OneTeam(string manager, string team, string coverage, string gaps)
        {
            var mail = Assert.Single(smtp.MessagesTo(manager)).Message;
            var text = (mail.TextBody ?? "").ReplaceLineEndings("\n");
            Assert.EndsWith($": {coverage} coverage, {gaps}", mail.Subject);
            Assert.Contains($"\nCoverage {coverage} · {gaps} · 0 expiring in 90 days · 0 expired · 1 engineer\n", text);
            Assert.Contains($"\n- {team}: {coverage} coverage, {gaps}, 0 expiring, 0 expired (1 engineer) http", text);
            Assert.Contains($">{coverage}</div><div style=\"color:#5b6475\">coverage</div>", mail.HtmlBody);
            Assert.Contains($"</div><div style=\"color:#5b6475\">{gaps.Split(' ')[1]}</div>", mail.HtmlBody);
            Assert.Contains(">0</div><div style=\"color:#5b6475\">expiring in 90 days</div>", mail.HtmlBody);
            Assert.Contains(">1</div><div style=\"color:#5b6475\">engineer</div>", mail.HtmlBody); // the tile the text's line has
            Assert.Matches($">{team}</a></td>(<td[^>]*>[^<]*</td>){{4}}<td[^>]*>{coverage}</td></tr>", mail.HtmlBody);
            if (coverage == "n/a")
            {
                Assert.DoesNotContain("0%", mail.Subject);
                Assert.DoesNotContain("0%", text);
                Assert.DoesNotContain(">0%", mail.HtmlBody);
            }
        }
        OneTeam("solo.boss@example.com", "Solo", "75.0%", "1 gap");
        OneTeam("vibes.boss@example.com", "Vibes", "n/a", "0 gaps");

        // Several engineers stay plural; a 37.5% team keeps its decimal.
        var mia = Assert.Single(smtp.MessagesTo("mia@example.com")).Message;
        Assert.Contains("- Platform: 37.5% coverage, 5 gaps, 1 expiring, 1 expired (3 engineers) http", mia.TextBody);
        Assert.Contains("· 3 engineers", mia.TextBody);
        Assert.EndsWith(": 37.5% coverage, 5 gaps, 1 expiring within 30 days", mia.Subject);

        var many = Assert.Single(smtp.MessagesTo("many.boss@example.com")).Message;
        Assert.Contains("(the 5 teams with the most gaps; the other one is on the dashboard).", many.TextBody);
        Assert.Contains("(the 5 teams with the most gaps; the other one is on the dashboard).", many.HtmlBody);

        // Once the renewal windows differ, "in 90 days" would be wrong: the digest says what the pages say.
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/catalog/certifications/aiops-professional", new { renewalWindowDays = 30 })).StatusCode);
        var preview = await (await api.GetAsync("/api/digests/preview?manager=solo.boss@example.com")).JsonOf();
        Assert.Equal("expiring within their renewal window", preview.GetProperty("digest").GetProperty("expiringLabel").GetString());
        Assert.Contains("· 0 expiring within their renewal window ·", preview.GetProperty("text").GetString());
        Assert.Contains(">0</div><div style=\"color:#5b6475\">expiring within their renewal window</div>", preview.GetProperty("html").GetString());
        foreach (var part in new[] { "text", "html" }) Assert.DoesNotContain("90 days", preview.GetProperty(part).GetString());
    }

    [SkippableTheory, DatabaseData]
    public async Task LndReport_SendsTheOrgWorkbookToEachRecipient_OncePerMonth(DatabaseProvider provider)
    {
        Ready();
        await using var app = await new AppFactory(provider).WithSmtp(smtp).With("TeamSkills:Digests:LndRecipients:0", "lnd@example.com")
            .With("TeamSkills:Digests:LndRecipients:1", "head.of.learning@example.com").StartedAsync();
        var api = app.Api();
        // Vibes: one engineer whose title maps to no role, so nothing is recommended for the team.
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster",
            Data.Roster("E8,Una Mapped,una@example.com,Vibes,vibes.boss@example.com,Chief Vibes Officer"))).StatusCode);
        Assert.Equal(2, await Run<LndReportJob>(app));
        Assert.Equal(0, await Run<LndReportJob>(app));
        var mail = Assert.Single(smtp.MessagesTo("lnd@example.com"));
        // Coverage as the pages print it (one decimal; n/a where nothing is recommended), and one engineer in the singular.
        var text = (mail.Message.TextBody ?? "").ReplaceLineEndings("\n");
        Assert.EndsWith(": 0.0% coverage across 3 teams", mail.Message.Subject);
        Assert.Contains("\n- Platform: 0.0% (8 gaps, 0 expired, 3 engineers)\n", text);
        Assert.Contains("\n- Vibes: n/a (0 gaps, 0 expired, 1 engineer)\n", text);
        Assert.Matches(">Vibes</a></td>(<td[^>]*>[^<]*</td>){3}<td[^>]*>n/a</td></tr>", mail.Message.HtmlBody);
        Assert.Matches(">Platform</a></td>(<td[^>]*>[^<]*</td>){3}<td[^>]*>0.0%</td></tr>", mail.Message.HtmlBody);
        var xlsx = Assert.Single(mail.Message.Attachments.OfType<MimeKit.MimePart>());
        using var bytes = new MemoryStream();
        xlsx.Content!.DecodeTo(bytes);
        bytes.Position = 0;
        using var book = new ClosedXML.Excel.XLWorkbook(bytes);
        var names = book.Worksheets.SelectMany(w => w.CellsUsed()).Select(c => c.GetString()).ToHashSet();
        Assert.Contains("Platform", names);
        Assert.Contains("Data", names);
        Assert.Contains("Ann Archer", names);
        // Coverage: 0 where nothing held of what is recommended; empty (not 0) where nothing is recommended, as the pages' n/a.
        var teamRows = book.Worksheet("Teams").RowsUsed().ToDictionary(r => r.Cell(2).GetString());
        Assert.Equal("Coverage %", teamRows["Team"].Cell(11).GetString());
        Assert.Equal(0.0, teamRows["Platform"].Cell(11).GetDouble());
        Assert.True(teamRows["Vibes"].Cell(11).IsEmpty());
        // Made by the schedule, not exported by an account called "lnd-report".
        Assert.Contains("the monthly L&D report, for the L&D report's recipients", names);
        Assert.DoesNotContain("Exported by", names);
        Assert.DoesNotContain("lnd-report", names);
    }

    [SkippableTheory, DatabaseData]
    public async Task DigestPreview_ShowsTheManagersTeamsAndWhetherItWouldSend_WithoutSending(DatabaseProvider provider)
    {
        Ready();
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var before = smtp.Messages().Count;
        var preview = await (await api.GetAsync("/api/digests/preview?manager=mia@example.com")).JsonOf();
        Assert.True(preview.GetProperty("wouldSend").GetBoolean());
        Assert.Equal(new[] { "Platform" }, preview.GetProperty("digest").GetProperty("teams").EnumerateArray().Select(t => t.GetProperty("name").GetString()!).ToArray());
        Assert.Contains("Platform", preview.GetProperty("html").GetString());
        Assert.Equal(before, smtp.Messages().Count);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/digests/preview?manager=nobody@example.com")).StatusCode);

        await Run<ManagerDigestJob>(app);
        preview = await (await api.GetAsync("/api/digests/preview?manager=mia@example.com")).JsonOf();
        Assert.False(preview.GetProperty("wouldSend").GetBoolean());
        Assert.StartsWith("already sent", preview.GetProperty("reason").GetString());
    }

    [SkippableTheory, DatabaseData]
    public async Task SwitchingToMonthly_AfterThisMonthsWeeklyDigest_SendsNoSecondOneThisMonth(DatabaseProvider provider)
    {
        Ready();
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(2, await Run<ManagerDigestJob>(app)); // this week's, to Mia and Max
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TeamSkillsDbContext>();
            db.DigestPreferences.Add(new() { ManagerEmail = "mia@example.com", Frequency = TeamSkills.Core.Tracking.DigestFrequency.Monthly, UpdatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        // Something changed since, so "nothing changed" is not why.
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/completions", Data.Lines("employee_id,certification,earned_on,expires_on",
            "E1,mlops-foundation,2026-05-30,"), "c.csv")).StatusCode);

        var preview = await (await api.GetAsync("/api/digests/preview?manager=mia@example.com")).JsonOf();
        Assert.False(preview.GetProperty("wouldSend").GetBoolean());
        Assert.StartsWith("a digest already went out this month", preview.GetProperty("reason").GetString());
        var before = smtp.MessagesTo("mia@example.com").Count;
        await Run<ManagerDigestJob>(app);
        Assert.Equal(before, smtp.MessagesTo("mia@example.com").Count);
    }

    [SkippableTheory, DatabaseData]
    public async Task Reminders_AtEachThreshold_ExactlyOnce_WithTheManagerInCopy(DatabaseProvider provider)
    {
        Ready();
        await using var app = await StartAsync(provider);
        // 2026-06-01: Ann's AIOps Architect expires 2026-07-01 (30 days: the 30-day reminder, the 90-day one is moot);
        // Dan's DataOps Specialist expired 2026-05-31 (the day-of reminder, a day late).
        Assert.Equal(2, await Run<RenewalRemindersJob>(app));
        Assert.Equal(0, await Run<RenewalRemindersJob>(app));
        var ann = smtp.MessagesTo("ann@example.com");
        var first = Assert.Single(ann);
        Assert.Contains("expires in 30 days", first.Message.Subject ?? "");
        Assert.Contains("mia@example.com", first.Message.Cc.Mailboxes.Select(m => m.Address));
        Assert.Single(smtp.MessagesTo("dan@example.com"));

        app.Clock.Advance(TimeSpan.FromDays(23)); // 2026-06-24: 7 days left
        Assert.Equal(1, await Run<RenewalRemindersJob>(app));
        app.Clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(0, await Run<RenewalRemindersJob>(app));
        app.Clock.Advance(TimeSpan.FromDays(4)); // 2026-07-01: the day it expires
        Assert.Equal(1, await Run<RenewalRemindersJob>(app));
        Assert.Equal(0, await Run<RenewalRemindersJob>(app));
        var subjects = smtp.MessagesTo("ann@example.com").Select(m => m.Message.Subject ?? "").ToList();
        Assert.Equal(3, subjects.Count);
        Assert.Contains(subjects, s => s.Contains("in 7 days"));
        Assert.Contains(subjects, s => s.Contains("expires today"));
    }

    [SkippableTheory, DatabaseData]
    public async Task SmtpDown_TheJobFails_ThenAfterRecoveryEachMessageGoesOnce(DatabaseProvider provider)
    {
        Ready();
        await using var app = await StartAsync(provider);
        smtp.Stop();
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => Run<ManagerDigestJob>(app));
            Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM sent_messages WHERE kind = 'digest'"));
        }
        finally
        {
            await smtp.StartAsync();
        }
        var before = smtp.Messages().Count;
        Assert.Equal(2, await Run<ManagerDigestJob>(app)); // what Hangfire's retry does
        Assert.Equal(0, await Run<ManagerDigestJob>(app));
        Assert.Equal(before + 2, smtp.Messages().Count);
    }

    [SkippableTheory, DatabaseData]
    public async Task NextWeek_WithNothingNew_TheDigestIsSkipped_AndANewCompletionSendsIt(DatabaseProvider provider)
    {
        Ready();
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(2, await Run<ManagerDigestJob>(app));
        app.Clock.Advance(TimeSpan.FromDays(7)); // 2026-W24, nothing recorded since
        Assert.Equal(0, await Run<ManagerDigestJob>(app));
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM sent_messages WHERE kind = 'digest' AND period = '2026-W24' AND outcome = 'Skipped'"));

        app.Clock.Advance(TimeSpan.FromDays(7)); // 2026-W25: Max's team gains a completion
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/completions",
            new { employeeId = "E5", certification = "aiops-foundation", earnedOn = "2026-06-14" })).StatusCode);
        Assert.Equal(1, await Run<ManagerDigestJob>(app));
        var latest = smtp.MessagesTo("max@example.com").Last();
        Assert.Contains("Eve Ellis (Data): AIOps Foundation", latest.Message.TextBody);
    }

    [SkippableTheory, DatabaseData]
    public async Task TwoOverlappingRuns_SendEachDigestOnce(DatabaseProvider provider)
    {
        Ready();
        await using var app = await StartAsync(provider);
        var runs = await Task.WhenAll(Run<ManagerDigestJob>(app), Run<ManagerDigestJob>(app), Run<ManagerDigestJob>(app));
        Assert.Equal(2, runs.Sum());
        Assert.Single(smtp.MessagesTo("mia@example.com"));
        Assert.Single(smtp.MessagesTo("max@example.com"));
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM sent_messages WHERE kind = 'digest' AND outcome = 'Sent'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task ARefusedRecipient_DoesNotBlockTheOthers(DatabaseProvider provider)
    {
        Ready();
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster?mode=partial", Data.Lines(Data.RosterHeader,
            "E9,Rex Ray,rex@example.com,Research,reject.me@example.com,Data Engineer"))).StatusCode);
        Assert.Equal(2, await Run<ManagerDigestJob>(app));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM sent_messages WHERE recipient = 'reject.me@example.com' AND outcome = 'Rejected'"));
        Assert.Single(smtp.MessagesTo("mia@example.com"));
        Assert.Single(smtp.MessagesTo("max@example.com"));
        Assert.Equal(0, await Run<ManagerDigestJob>(app)); // the refused one is not retried forever
    }

    [SkippableTheory, DatabaseData]
    public async Task AManagerOptsOutFromTheDigestLink_AndGetsNoMore(DatabaseProvider provider)
    {
        Ready();
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var preview = await (await api.GetAsync("/api/digests/preview?manager=mia@example.com")).JsonOf();
        var link = new Uri(preview.GetProperty("digest").GetProperty("preferencesUrl").GetString()!).PathAndQuery;
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var page = await browser.GetStringAsync(link);
        Assert.Contains("mia@example.com", page);
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var digestToken = Regex.Match(page, "name=\"token\" value=\"([^\"]+)\"").Groups[1].Value;
        var saved = await browser.PostAsync("/digest", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["token"] = digestToken, ["frequency"] = "off",
        }));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/digest?token=forged")).StatusCode);

        Assert.Equal(1, await Run<ManagerDigestJob>(app));
        Assert.Empty(smtp.MessagesTo("mia@example.com"));
        Assert.Single(smtp.MessagesTo("max@example.com"));
    }
}

/// <summary>The digest through a real Hangfire server on InMemory storage, delivered to the real SMTP server.</summary>
public sealed class DigestThroughHangfireTests(SmtpServer smtp) : IClassFixture<SmtpServer>
{
    [SkippableFact]
    public async Task TriggeredDigest_RunsOnTheServer_AndArrives()
    {
        smtp.SkipIfUnavailable();
        await using var app = new AppFactory().WithSmtp(smtp).With("TeamSkills:Jobs:RunServer", "true");
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync("/api/jobs/manager-digest/trigger", null)).StatusCode);
        // Generous: the first PDF in a process JIT-compiles SkiaSharp and ScottPlot while other test classes run in parallel.
        for (var i = 0; i < 900 && smtp.MessagesTo("max@example.com").Count + smtp.MessagesTo("mia@example.com").Count < 2; i++) await Task.Delay(50);
        var monitoring = app.Services.GetRequiredService<Hangfire.JobStorage>().GetMonitoringApi();
        var failures = string.Join("; ", monitoring.FailedJobs(0, 10).Select(j => j.Value.ExceptionDetails)
            .Concat(monitoring.ScheduledJobs(0, 10).Select(j => "scheduled for retry: " + string.Join(" | ",
                monitoring.JobDetails(j.Key).History.Select(h => h.Reason + " " + string.Join(",", h.Data.Select(d => $"{d.Key}={d.Value}")))))));
        Assert.True(smtp.MessagesTo("max@example.com").Count == 1, failures);
        Assert.Single(smtp.MessagesTo("mia@example.com"));
        Assert.Single(smtp.MessagesTo("max@example.com"));
    }
}
