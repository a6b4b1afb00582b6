using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Jobs;
using TeamSkills.Web.Features.Live;

namespace TeamSkills.Tests.Integration;

/// <summary>Recurring jobs: the job classes directly (time from FakeTimeProvider), then through a real Hangfire server.</summary>
public sealed class JobTests
{
    private static Task<AppFactory> StartAsync(DatabaseProvider provider) => new AppFactory(provider).StartedAsync(async app =>
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

    [SkippableTheory, DatabaseData]
    public async Task ExpirySweep_RecordsEachTransitionOnce_AndPushesLiveUpdates(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var published = new List<DataChange>();
        app.Services.GetRequiredService<GapChanges>().Published += published.Add;

        // 2026-06-01: E1's architect (expires 2026-07-01) is expiring; E1's MLOps Professional expired 2025-01-01
        // (expiring then expired); E4's DataOps Specialist expired 2026-05-31 (expiring then expired).
        Assert.Equal(5, await Run<ExpirySweepJob>(app));
        Assert.Equal(0, await Run<ExpirySweepJob>(app)); // a retry or a second run records nothing new
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM status_events WHERE certification_id = 'aiops-architect' AND to_status = 'Expiring' AND on_date = '2026-04-02'"));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM status_events WHERE certification_id = 'dataops-specialist' AND to_status = 'Expired' AND from_status = 'Expiring' AND on_date = '2026-05-31'"));
        Assert.Single(published, c => c.Kind == "expiry-sweep");

        app.Clock.Advance(TimeSpan.FromDays(30)); // 2026-07-01: the architect certification expires
        Assert.Equal(1, await Run<ExpirySweepJob>(app));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM status_events WHERE certification_id = 'aiops-architect' AND to_status = 'Expired' AND on_date = '2026-07-01'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task CoverageSnapshot_StoresTheApisNumbers_OncePerDay_AndTheOverviewDrawsTheTrend(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(2, await Run<CoverageSnapshotJob>(app));
        Assert.Equal(2, await Run<CoverageSnapshotJob>(app)); // the same day again replaces, never duplicates
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM coverage_snapshots"));
        var teams = await (await api.GetAsync("/api/teams")).JsonOf();
        foreach (var t in teams.EnumerateArray())
            Assert.Equal(t.GetProperty("heldCount").GetInt32(),
                app.Scalar($"SELECT held_count FROM coverage_snapshots WHERE team_id = {t.GetProperty("id").GetInt32()}"));

        var browser = await AdminBrowser(app);
        Assert.Contains("The trend appears once daily coverage snapshots are recorded", await browser.GetStringAsync("/"));
        app.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/completions",
            new { employeeId = "E5", certification = "aiops-foundation", earnedOn = "2026-06-02" })).StatusCode);
        await Run<CoverageSnapshotJob>(app);
        browser = await AdminBrowser(app); // a day later the 8-hour sign-in cookie has expired
        var html = await browser.GetStringAsync("/");
        Assert.Contains("class=\"trend\"", html);
        Assert.Matches("Coverage went from [0-9.]+% on 2026-06-01 to [0-9.]+% on 2026-06-02", html);
    }

    [SkippableTheory, DatabaseData]
    public async Task JobsApi_ListsEveryJob_ReschedulesWithValidation_AndIsAdminOnly(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var jobs = await (await api.GetAsync("/api/jobs")).JsonOf();
        var ids = jobs.EnumerateArray().Select(j => j.GetProperty("id").GetString()).ToHashSet();
        Assert.Contains("expiry-sweep", ids);
        Assert.Contains("coverage-snapshot", ids);

        var bad = await api.PutAsJsonAsync("/api/jobs/expiry-sweep", new { cron = "every day", timeZone = "Mars/Olympus" });
        Assert.Equal((HttpStatusCode)422, bad.StatusCode);
        var errors = (await bad.JsonOf()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("cron", out _));
        Assert.True(errors.TryGetProperty("timeZone", out _));

        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/jobs/expiry-sweep", new { cron = "0 2 * * *", timeZone = "Europe/Berlin" })).StatusCode);
        var sweep = (await (await api.GetAsync("/api/jobs")).JsonOf()).EnumerateArray().Single(j => j.GetProperty("id").GetString() == "expiry-sweep");
        Assert.Equal("0 2 * * *", sweep.GetProperty("cron").GetString());
        Assert.Equal("Europe/Berlin", sweep.GetProperty("timeZone").GetString());
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM job_schedules WHERE job_id = 'expiry-sweep' AND cron = '0 2 * * *'"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("/api/jobs/no-such-job/trigger", null)).StatusCode);

        await api.PostAsJsonAsync("/api/users", new { email = "lnd@example.com", role = "LearningAdmin" });
        var key = (await (await api.PostAsync("/api/users/lnd@example.com/api-keys", null)).JsonOf()).GetProperty("key").GetString()!;
        var lnd = app.CreateClient();
        lnd.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.Forbidden, (await lnd.GetAsync("/api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await lnd.PostAsync("/api/jobs/expiry-sweep/trigger", null)).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task JobDeletedOnTheDashboard_IsRegisteredAgainFromItsSchedule_ByTriggerAndByTheList(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/jobs/lnd-report", new { cron = "0 6 2 * *", timeZone = "Europe/Berlin" })).StatusCode);
        var manager = app.Services.GetRequiredService<Hangfire.IRecurringJobManager>();
        manager.RemoveIfExists("lnd-report"); // what the dashboard's Delete button does

        var trigger = await api.PostAsync("/api/jobs/lnd-report/trigger", null);
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        var body = await trigger.JsonOf();
        Assert.False(string.IsNullOrEmpty(body.GetProperty("backgroundJobId").GetString()));
        Assert.True(body.GetProperty("restored").GetBoolean());
        var lnd = await Lnd();
        Assert.Equal("0 6 2 * *", lnd.GetProperty("cron").GetString()); // the Admin's saved schedule, not the default
        Assert.Equal("Europe/Berlin", lnd.GetProperty("timeZone").GetString());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, lnd.GetProperty("nextRun").ValueKind);
        Assert.False(lnd.GetProperty("restored").GetBoolean());

        manager.RemoveIfExists("lnd-report");
        lnd = await Lnd();
        Assert.True(lnd.GetProperty("restored").GetBoolean());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, lnd.GetProperty("nextRun").ValueKind);
        Assert.Equal("0 6 2 * *", lnd.GetProperty("cron").GetString());
        // Restored once by the trigger (said in its own entry) and once by the list: each audited where it happened.
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'job.restored' AND target = 'lnd-report'"));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'job.triggered' AND target = 'lnd-report' AND outcome = 'Applied' " +
            "AND details LIKE '%\"restored\":true%'"));

        async Task<System.Text.Json.JsonElement> Lnd() =>
            (await (await api.GetAsync("/api/jobs")).JsonOf()).EnumerateArray().Single(j => j.GetProperty("id").GetString() == "lnd-report");
    }

    [SkippableTheory, DatabaseData]
    public async Task AfterARestart_AMissedDigestRunIsCaughtUp_ButAFreshInstallDoesNotMail(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TeamSkills.Core.Data.TeamSkillsDbContext>();
        var now = app.Clock.GetUtcNow(); // Monday 2026-06-01 09:00 UTC: this week's 08:00 digest is due
        Assert.False(await JobsSetup.MissedAsync(db, "manager-digest", "0 8 * * 1", "UTC", now)); // never sent anything: no surprise mail

        db.SentMessages.Add(new TeamSkills.Core.Tracking.SentMessage
            { Recipient = "mia@example.com", Kind = "digest", Period = "2026-W22", SentAt = now.AddDays(-7).AddMinutes(-55) });
        await db.SaveChangesAsync();
        Assert.True(await JobsSetup.MissedAsync(db, "manager-digest", "0 8 * * 1", "UTC", now)); // last week's sent, today's missed

        db.SentMessages.Add(new TeamSkills.Core.Tracking.SentMessage
            { Recipient = "mia@example.com", Kind = "digest", Period = "2026-W23", SentAt = now.AddMinutes(-55) });
        await db.SaveChangesAsync();
        Assert.False(await JobsSetup.MissedAsync(db, "manager-digest", "0 8 * * 1", "UTC", now)); // today's went out
    }

    [SkippableTheory, DatabaseData]
    public async Task HangfireDashboard_IsForSignedInAdminsOnly(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var anonymous = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await anonymous.GetAsync("/hangfire");
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        var browser = await AdminBrowser(app);
        response = await browser.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("TeamSkills jobs", await response.Content.ReadAsStringAsync());

        // Read-only: the recurring jobs are listed without the Delete and Trigger commands (those go through the audited
        // /api/jobs). Hangfire leaves the commands' URLs out of a read-only page.
        var recurring = await (await browser.GetAsync("/hangfire/recurring")).Content.ReadAsStringAsync();
        Assert.Contains("lnd-report", recurring);
        Assert.DoesNotContain("recurring/remove", recurring);
        Assert.DoesNotContain("recurring/trigger", recurring);
    }

    private static Task<HttpClient> AdminBrowser(AppFactory app) => app.SignedInAdminAsync();
}

/// <summary>Through a real Hangfire server on InMemory storage: a triggered recurring job runs and does its work.</summary>
public sealed class HangfireServerTests : IAsyncLifetime
{
    private readonly AppFactory _app = new AppFactory().With("TeamSkills:Jobs:RunServer", "true");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task TriggeredRecurringJob_RunsOnTheServer()
    {
        var api = _app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var trigger = await api.PostAsync("/api/jobs/coverage-snapshot/trigger", null);
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        Assert.False(string.IsNullOrEmpty((await trigger.JsonOf()).GetProperty("backgroundJobId").GetString()));
        for (var i = 0; i < 600 && _app.Scalar("SELECT COUNT(*) FROM coverage_snapshots") == 0; i++) await Task.Delay(50);
        var monitoring = _app.Services.GetRequiredService<Hangfire.JobStorage>().GetMonitoringApi();
        var state = string.Join("; ", monitoring.FailedJobs(0, 10).Select(j => j.Value.ExceptionDetails)) +
            $" enqueued={monitoring.EnqueuedCount("default")} servers={monitoring.Servers().Count}";
        Assert.True(_app.Scalar("SELECT COUNT(*) FROM coverage_snapshots") == 2, state);
        Assert.Equal(1, _app.Scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'job.triggered' AND target = 'coverage-snapshot'"));
    }
}
