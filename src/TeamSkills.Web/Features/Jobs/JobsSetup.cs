using Cronos;
using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Data;
using TeamSkills.Core.Tracking;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Jobs;

/// <summary>A job Hangfire runs on a schedule. Returns how much it did (messages sent, rows written), for logs and tests.</summary>
public interface IRecurringJob
{
    Task<int> RunAsync(CancellationToken ct);
}

public sealed record JobDefinition(string Id, string DefaultCron, string Description, Func<Job> Create);

public sealed class JobOptions
{
    public const string Section = "TeamSkills:Jobs";

    /// <summary>Run a Hangfire server in this process (off for an instance that only serves pages).</summary>
    public bool RunServer { get; set; } = true;
    public int WorkerCount { get; set; } = 2;
    /// <summary>Per job id: <c>Cron</c> and <c>TimeZone</c> (defaults: see <see cref="JobsSetup.Definitions"/>, the org's zone).</summary>
    public Dictionary<string, JobScheduleOptions> Schedules { get; set; } = new(StringComparer.Ordinal);
}

public sealed class JobScheduleOptions
{
    public string? Cron { get; set; }
    public string? TimeZone { get; set; }
}

/// <param name="Restored">The job was missing from Hangfire's storage (deleted on /hangfire) and this request registered it again.</param>
public sealed record JobView(string Id, string Description, string Cron, string TimeZone, DateTime? NextRun, DateTime? LastRun, string? LastState, bool Overridden,
    bool Restored = false);

public sealed record EditJobSchedule(string? Cron, string? TimeZone);

public static class JobsSetup
{
    public static readonly JobDefinition[] Definitions =
    [
        new("expiry-sweep", "15 0 * * *", "Records each status transition (valid → expiring → expired) once and pushes live updates.",
            () => Job.FromExpression<ExpirySweepJob>(j => j.RunAsync(CancellationToken.None))),
        new("coverage-snapshot", "30 0 * * *", "Stores every team's numbers for the day, for trend charts.",
            () => Job.FromExpression<CoverageSnapshotJob>(j => j.RunAsync(CancellationToken.None))),
        new("renewal-reminders", "0 7 * * *", "Reminds engineers (manager in copy) 90, 30 and 7 days before expiry and on the day.",
            () => Job.FromExpression<Digests.RenewalRemindersJob>(j => j.RunAsync(CancellationToken.None))),
        new("manager-digest", "0 8 * * 1", "One email per manager about their teams: numbers, what changed, what expires soon.",
            () => Job.FromExpression<Digests.ManagerDigestJob>(j => j.RunAsync(CancellationToken.None))),
        new("lnd-report", "0 7 1 * *", "The org report to the L&D recipients, monthly.",
            () => Job.FromExpression<Digests.LndReportJob>(j => j.RunAsync(CancellationToken.None))),
    ];

    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<JobOptions>().BindConfiguration(JobOptions.Section)
            .Validate(o => o.WorkerCount is >= 1 and <= 32, "TeamSkills:Jobs:WorkerCount must be between 1 and 32.")
            .Validate(o => o.Schedules.All(s => s.Value.Cron is null || TryCron(s.Value.Cron, out _)), "A TeamSkills:Jobs:Schedules cron is not valid.")
            .Validate(o => o.Schedules.Keys.All(k => Definitions.Any(d => d.Id == k)), "TeamSkills:Jobs:Schedules names an unknown job id.")
            .Validate(o => o.Schedules.All(s => s.Value.TimeZone is null || TryZone(s.Value.TimeZone, out _)),
                "A TeamSkills:Jobs:Schedules time zone is not a known time zone id (e.g. Europe/Berlin).")
            .ValidateOnStart();
        builder.Services.AddScoped<RecurringJobRegistry>();
        builder.Services.AddScoped<ExpirySweepJob>();
        builder.Services.AddScoped<CoverageSnapshotJob>();
        // Storage follows the database provider. On PostgreSQL and SQL Server the jobs live in the app's database (schema
        // "hangfire"), so several instances share one schedule and Hangfire's distributed locks fire each recurring job
        // once across them; a run missed while every instance was down is fired at the next start by Hangfire itself.
        // The embedded SQLite default keeps jobs in memory (one instance; schedules re-registered at every start, missed
        // runs caught up by ScheduleJobsAsync). The storage is this app's own DI singleton, not Hangfire's static
        // JobStorage.Current: two hosts in one process (tests) must never run each other's jobs or dispose each
        // other's storage.
        builder.Services.AddSingleton<JobStorage>(sp => CreateStorage(sp.GetRequiredService<IConfiguration>()));
        builder.Services.AddHangfire((sp, c) => c
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HostLogProvider(sp.GetRequiredService<ILoggerFactory>())));
        var options = builder.Configuration.GetSection(JobOptions.Section).Get<JobOptions>() ?? new JobOptions();
        if (options.RunServer)
            builder.Services.AddHangfireServer((sp, o) =>
            {
                o.WorkerCount = Math.Clamp(options.WorkerCount, 1, 32);
                // This app's own container creates the jobs, never Hangfire's static activator (which the last host
                // configured in the process would own).
                o.Activator = new Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>());
            });
        return builder;
    }

    private static JobStorage CreateStorage(IConfiguration configuration)
    {
        var provider = configuration.GetValue("TeamSkills:Database:Provider", DatabaseProvider.Sqlite);
        var connectionString = configuration.GetConnectionString("TeamSkills");
        switch (provider)
        {
            case DatabaseProvider.PostgreSql:
            {
                var options = new Hangfire.PostgreSql.PostgreSqlStorageOptions
                {
                    SchemaName = "hangfire",
                    PrepareSchemaIfNecessary = true,
                    QueuePollInterval = TimeSpan.FromSeconds(2),
                };
                return new Hangfire.PostgreSql.PostgreSqlStorage(
                    new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(connectionString!, options), options);
            }
            case DatabaseProvider.SqlServer:
                return new Hangfire.SqlServer.SqlServerStorage(connectionString, new Hangfire.SqlServer.SqlServerStorageOptions
                {
                    SchemaName = "hangfire",
                    PrepareSchemaIfNecessary = true,
                    QueuePollInterval = TimeSpan.Zero, // sliding invisibility + long polling: no polling delay
                });
            default:
                return new Hangfire.InMemory.InMemoryStorage(new Hangfire.InMemory.InMemoryStorageOptions());
        }
    }

    public static WebApplication MapJobs(this WebApplication app, RouteGroupBuilder api)
    {
        // Admin only, through the app's own policy (cookie sign-in); Hangfire's local-only default filter is replaced.
        // Read-only: a place to watch runs and failures. Its Delete and Trigger buttons would change the fixed jobs with no
        // audit entry; changes go through /api/jobs (schedule, trigger), which audits them.
        app.MapHangfireDashboardWithAuthorizationPolicy(AccessSetup.AdminPagePolicy, "/hangfire",
            new DashboardOptions { Authorization = [], DashboardTitle = "TeamSkills jobs", AppPath = "/", IsReadOnlyFunc = _ => true });

        var jobs = api.MapGroup("/jobs").WithTags("Jobs").RequireAuthorization(AccessSetup.AdminPolicy);
        // The five jobs are fixed: one deleted on /hangfire (shared storage: by any instance) is registered again from its
        // known schedule here, rather than listed with no next run and "triggered" into nothing until the next restart.
        jobs.MapGet("", async (JobStorage storage, RecurringJobRegistry registry, AuditLog audit, TeamSkillsDbContext db, HttpContext http,
            CancellationToken ct) =>
        {
            var restored = await registry.RestoreMissingAsync(Definitions.Select(d => d.Id), ct);
            foreach (var id in restored) audit.Add(CallerScope.From(http.User).Actor, "job.restored", id, "Applied");
            if (restored.Count > 0) await db.SaveChangesAsync(ct);
            return Results.Ok(List(storage, restored));
        });
        jobs.MapPost("/{jobId}/trigger", async (string jobId, RecurringJobRegistry registry, IRecurringJobManagerV2 manager, AuditLog audit,
            HttpContext http, CancellationToken ct) =>
        {
            if (Definitions.All(d => d.Id != jobId))
                return Results.Problem(statusCode: 404, title: "Job not found", detail: $"No recurring job '{jobId}'. Known: {string.Join(", ", Definitions.Select(d => d.Id))}.");
            var restored = false;
            string? started = null;
            // Twice at most: the job can be deleted again (dashboard, another instance) between restoring and triggering it.
            for (var attempt = 0; attempt < 2 && started is null; attempt++)
            {
                restored |= (await registry.RestoreMissingAsync([jobId], ct)).Count > 0;
                started = manager.TriggerJob(jobId);
            }
            var actor = CallerScope.From(http.User).Actor;
            if (started is null)
            {
                await audit.AddAndSaveAsync(actor, "job.triggered", jobId, "Failed", new { restored }, ct);
                return Results.Problem(statusCode: 503, title: "Job not started",
                    detail: $"Hangfire did not start '{jobId}' (it was deleted again while being registered). Nothing runs; try again.");
            }
            await audit.AddAndSaveAsync(actor, "job.triggered", jobId, "Applied", new { backgroundJobId = started, restored }, ct);
            return Results.Accepted($"/api/jobs", new { jobId, backgroundJobId = started, restored });
        });
        jobs.MapPut("/{jobId}", async (string jobId, EditJobSchedule body, TeamSkillsDbContext db, IRecurringJobManager manager,
            AuditLog audit, OrgClock clock, HttpContext http, CancellationToken ct) =>
        {
            var definition = Definitions.FirstOrDefault(d => d.Id == jobId);
            if (definition is null) return Results.Problem(statusCode: 404, title: "Job not found", detail: $"No recurring job '{jobId}'.");
            var errors = new Dictionary<string, string[]>();
            if (string.IsNullOrWhiteSpace(body.Cron) || body.Cron.Trim().Length > 100 || !TryCron(body.Cron, out _)) errors["cron"] = [$"'{body.Cron}' is not a cron expression (5 fields, e.g. \"0 8 * * 1\")."];
            if (string.IsNullOrWhiteSpace(body.TimeZone) || body.TimeZone.Trim().Length > 100 || !TryZone(body.TimeZone, out _)) errors["timeZone"] = [$"'{body.TimeZone}' is not a known time zone id (e.g. \"Europe/Berlin\")."];
            if (errors.Count > 0) return Results.ValidationProblem(errors, statusCode: 422, title: "Schedule rejected");
            var row = await db.JobSchedules.FirstOrDefaultAsync(s => s.JobId == jobId, ct);
            if (row is null) db.JobSchedules.Add(row = new JobSchedule { JobId = jobId });
            row.Cron = body.Cron!.Trim();
            row.TimeZone = body.TimeZone!.Trim();
            row.UpdatedBy = CallerScope.From(http.User).Actor;
            row.UpdatedAt = clock.Now;
            audit.Add(row.UpdatedBy, "job.rescheduled", jobId, "Applied", new { row.Cron, row.TimeZone });
            await db.SaveChangesAsync(ct);
            Register(manager, definition, row.Cron, row.TimeZone);
            return Results.Ok(new { jobId, row.Cron, row.TimeZone });
        });
        return app;
    }

    /// <summary>Registers every recurring job: configuration first, an Admin's saved schedule over it.</summary>
    public static async Task ScheduleJobsAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TeamSkillsDbContext>();
        var manager = scope.ServiceProvider.GetRequiredService<IRecurringJobManager>();
        var options = scope.ServiceProvider.GetRequiredService<IOptions<JobOptions>>().Value;
        var orgZone = scope.ServiceProvider.GetRequiredService<IOptions<TeamSkillsOptions>>().Value.TimeZone;
        var saved = await db.JobSchedules.AsNoTracking().ToDictionaryAsync(s => s.JobId);
        var clock = scope.ServiceProvider.GetRequiredService<OrgClock>();
        var log = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("TeamSkills.Jobs");
        // Shared storage remembers schedules and last runs across restarts, and Hangfire fires a missed run itself.
        var inMemory = scope.ServiceProvider.GetRequiredService<JobStorage>() is Hangfire.InMemory.InMemoryStorage;
        foreach (var d in Definitions)
        {
            var (cron, zone) = ScheduleOf(d, saved.GetValueOrDefault(d.Id), options, orgZone);
            Register(manager, d, cron, zone);
            if (options.RunServer && inMemory && await MissedAsync(db, d.Id, cron, zone, clock.Now))
            {
                // In-memory storage forgets schedules over a restart: a run that fell in the downtime happens now.
                // Safe because every job is re-entrant (send log, unique events, snapshot per day).
                log.LogInformation(d.Id == "expiry-sweep"
                    ? "Job {JobId}: a scheduled run fell in the last day, before this start; running it now (it records each transition once)"
                    : "Job {JobId}: a scheduled run fell before this start and left no trace; running it now", d.Id);
                // Triggered as the recurring job, so GET /api/jobs and the dashboard show it as its last run.
                manager.Trigger(d.Id);
            }
        }
    }

    /// <summary>
    /// Did a scheduled run fall in a time for which the job left no trace? Mail jobs: a scheduled time after their
    /// last sent message (only once they have ever sent, so a fresh install does not mail at first start); the
    /// snapshot: a scheduled time today with no snapshot for today; the sweep: a scheduled time in the last day.
    /// </summary>
    internal static async Task<bool> MissedAsync(TeamSkillsDbContext db, string jobId, string cron, string zone, DateTimeOffset now)
    {
        if (!TryCron(cron, out var expression) || !TryZone(zone, out var tz)) return false;
        DateTime? LastBefore(DateTimeOffset from) =>
            expression!.GetOccurrences(from.UtcDateTime, now.UtcDateTime, tz, fromInclusive: true, toInclusive: true).LastOrDefault() is var t
                && t != default ? t : null;
        switch (jobId)
        {
            case "manager-digest" or "lnd-report" or "renewal-reminders":
            {
                var kind = jobId switch { "manager-digest" => "digest", "lnd-report" => "lnd-report", _ => "reminder" };
                var last = await db.SentMessages.Where(m => m.Kind == kind).OrderByDescending(m => m.SentAt)
                    .Select(m => (DateTimeOffset?)m.SentAt).FirstOrDefaultAsync();
                return last is { } sent && LastBefore(sent) is { } due && due > sent.UtcDateTime;
            }
            case "coverage-snapshot":
            {
                var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, tz).DateTime);
                return LastBefore(now.AddDays(-1)) is { } due && TimeZoneInfo.ConvertTimeFromUtc(due, tz).Date == today.ToDateTime(TimeOnly.MinValue)
                    && !await db.CoverageSnapshots.AnyAsync(s => s.Date == today);
            }
            case "expiry-sweep":
                return LastBefore(now.AddDays(-1)) is not null;
            default:
                return false;
        }
    }

    /// <summary>A job's schedule: an Admin's saved one, else configuration, else the default cron in the org's zone.</summary>
    internal static (string Cron, string Zone) ScheduleOf(JobDefinition d, JobSchedule? saved, JobOptions options, string orgZone)
    {
        var configured = options.Schedules.GetValueOrDefault(d.Id);
        return (saved?.Cron ?? configured?.Cron ?? d.DefaultCron, saved?.TimeZone ?? configured?.TimeZone ?? orgZone);
    }

    internal static void Register(IRecurringJobManager manager, JobDefinition d, string cron, string zone) =>
        manager.AddOrUpdate(d.Id, d.Create(), cron, new RecurringJobOptions
        {
            TimeZone = TryZone(zone, out var tz) ? tz : TimeZoneInfo.Utc,
        });

    private static List<JobView> List(JobStorage storage, IReadOnlyCollection<string> restored)
    {
        using var connection = storage.GetConnection();
        var recurring = connection.GetRecurringJobs().ToDictionary(r => r.Id);
        return Definitions.Select(d =>
        {
            var r = recurring.GetValueOrDefault(d.Id);
            return new JobView(d.Id, d.Description, r?.Cron ?? d.DefaultCron, r?.TimeZoneId ?? "UTC", r?.NextExecution, r?.LastExecution, r?.LastJobState,
                r is not null && r.Cron != d.DefaultCron, restored.Contains(d.Id));
        }).ToList();
    }

    private static bool TryCron(string text, out CronExpression? cron)
    {
        try
        {
            cron = CronExpression.Parse(text.Trim());
            return true;
        }
        catch (CronFormatException)
        {
            cron = null;
            return false;
        }
    }

    private static bool TryZone(string id, out TimeZoneInfo zone)
    {
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id.Trim());
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            zone = TimeZoneInfo.Utc;
            return false;
        }
    }
}

/// <summary>
/// Registers again any of the fixed recurring jobs missing from Hangfire's storage (deleted on the dashboard), from the
/// same schedule a start would register. Safe on shared storage: AddOrUpdate takes Hangfire's per-job lock, so two
/// instances restoring at once write the same definition.
/// </summary>
public sealed class RecurringJobRegistry(TeamSkillsDbContext db, JobStorage storage, IRecurringJobManager manager, IOptions<JobOptions> options,
    IOptions<TeamSkillsOptions> org, ILogger<RecurringJobRegistry> log)
{
    public async Task<IReadOnlyList<string>> RestoreMissingAsync(IEnumerable<string> jobIds, CancellationToken ct)
    {
        var wanted = JobsSetup.Definitions.Where(d => jobIds.Contains(d.Id)).ToList();
        HashSet<string> present;
        using (var connection = storage.GetConnection())
            present = connection.GetRecurringJobs(wanted.Select(d => d.Id)).Where(r => !r.Removed && r.Cron is not null)
                .Select(r => r.Id).ToHashSet();
        var missing = wanted.Where(d => !present.Contains(d.Id)).ToList();
        if (missing.Count == 0) return [];
        var ids = missing.Select(d => d.Id).ToList();
        var saved = await db.JobSchedules.AsNoTracking().Where(s => ids.Contains(s.JobId)).ToDictionaryAsync(s => s.JobId, ct);
        foreach (var d in missing)
        {
            var (cron, zone) = JobsSetup.ScheduleOf(d, saved.GetValueOrDefault(d.Id), options.Value, org.Value.TimeZone);
            JobsSetup.Register(manager, d, cron, zone);
            log.LogWarning("Recurring job {JobId} was missing from Hangfire's storage (deleted on the dashboard?); registered again: {Cron} ({Zone})",
                d.Id, cron, zone);
        }
        return ids;
    }
}

/// <summary>
/// Hangfire's log provider is process-wide (static) and the last host configured in the process owns it: when that
/// host stops, its LoggerFactory is disposed under every other host's Hangfire (two hosts in one process: tests, a
/// benchmark). Log lines then go nowhere instead of throwing ObjectDisposedException out of Hangfire's constructors.
/// </summary>
internal sealed class HostLogProvider(ILoggerFactory factory) : Hangfire.Logging.ILogProvider
{
    private readonly Hangfire.AspNetCore.AspNetCoreLogProvider _inner = new(factory);

    public Hangfire.Logging.ILog GetLogger(string name)
    {
        try
        {
            return new Safe(_inner.GetLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return new Safe(null);
        }
    }

    private sealed class Safe(Hangfire.Logging.ILog? inner) : Hangfire.Logging.ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            if (inner is null) return false;
            try
            {
                return inner.Log(logLevel, messageFunc!, exception!);
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
