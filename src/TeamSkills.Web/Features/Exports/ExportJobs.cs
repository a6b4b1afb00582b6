using System.Collections.Concurrent;
using System.Security.Claims;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using TeamSkills.Reports.Excel;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Live;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Exports;

public enum ExportPhase { Queued, Preparing, Writing, Done, Failed }

/// <summary>The <c>exportProgress</c> message, sent to the requester's connections only.</summary>
public sealed record ExportProgress(Guid ExportId, string Kind, int Percent, string Phase, string? DownloadUrl);

public sealed record ExportJobStatus(Guid Id, string Kind, DateOnly AsOf, string Phase, int Percent, string StatusUrl, string? DownloadUrl,
    DateTimeOffset CreatedAt, string? Error);

public sealed class ExportJob(Guid id, ClaimsPrincipal user, DateOnly asOf, string baseUrl, DateTimeOffset createdAt)
{
    public Guid Id => id;
    public ClaimsPrincipal User => user;
    public string Requester { get; } = user.Identity?.Name ?? "";
    /// <summary>The requester's user id: a user deleted and created again with the same email is someone else.</summary>
    public string RequesterId { get; } = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
    public DateOnly AsOf => asOf;
    public DateTimeOffset CreatedAt => createdAt;
    public string Kind => "org.xlsx";
    public volatile int Percent;
    public ExportPhase Phase { get; set; } = ExportPhase.Queued;
    public string? Path { get; set; }
    public string? Error { get; set; }
    public string FileName => ExportFiles.FileName("organisation", asOf, "xlsx");
    public string StatusUrl => $"{baseUrl}/{id}";
    public string? DownloadUrl => Phase == ExportPhase.Done ? $"{baseUrl}/{id}/file" : null;

    public ExportJobStatus Status() =>
        new(id, Kind, asOf, Phase.ToString().ToLowerInvariant(), Percent, StatusUrl, DownloadUrl, createdAt, Error);
}

/// <summary>
/// Org workbooks in the background: a channel of jobs drained one at a time (each streams to its own file in
/// <c>&lt;data&gt;/exports</c>), progress pushed to the requester over the live hub, files and jobs dropped after a day.
/// In-process on purpose: a restart loses queued jobs, and the requester simply asks again.
/// </summary>
public sealed class ExportJobs(IServiceScopeFactory scopes, IHubContext<GapHub> hub, OrgClock clock, ILogger<ExportJobs> log) : BackgroundService
{
    public static readonly TimeSpan KeepFor = TimeSpan.FromDays(1);
    private readonly Channel<ExportJob> _queue = Channel.CreateUnbounded<ExportJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<Guid, ExportJob> _jobs = new();

    public ExportJob Enqueue(ClaimsPrincipal user, DateOnly asOf, string baseUrl)
    {
        var job = new ExportJob(Guid.NewGuid(), user, asOf, baseUrl, clock.Now);
        _jobs[job.Id] = job;
        _queue.Writer.TryWrite(job);
        return job;
    }

    /// <summary>The job, only for the user who asked for it and only while they may still export the org (anyone
    /// else, or the requester after losing Admin/LearningAdmin: as if it did not exist). The workbook was written with
    /// the scope the requester had when it ran; checking at every status and download keeps a demoted user from
    /// collecting an org-wide file they started, or that was still queued when their role changed.</summary>
    public ExportJob? Find(Guid id, ClaimsPrincipal user) =>
        _jobs.TryGetValue(id, out var job) && job.Requester.Length > 0 && job.RequesterId.Length > 0
            && job.Requester == user.Identity?.Name && job.RequesterId == user.FindFirstValue(ClaimTypes.NameIdentifier)
            && CallerScope.From(user).AllTeams ? job : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string folder;
        using (var scope = scopes.CreateScope()) folder = ExportEndpoints.Folder(scope.ServiceProvider);
        _ = CleanLoopAsync(folder, stoppingToken);
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken))
                await RunAsync(job, folder, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private async Task RunAsync(ExportJob job, string folder, CancellationToken ct)
    {
        try
        {
            await Report(job, ExportPhase.Preparing, 0);
            using var scope = scopes.CreateScope();
            var reports = scope.ServiceProvider.GetRequiredService<ExportReports>();
            var caller = await scope.ServiceProvider.GetRequiredService<ScopeService>().ForAsync(job.User, ct);
            var report = await reports.OrgAsync(caller, job.AsOf, ct);
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, $"{job.Id:N}.xlsx");
            await Report(job, ExportPhase.Writing, 1);
            var lastPercent = 1;
            await Task.Run(() =>
            {
                using var file = new FileStream(path + ".tmp", FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
                OrgWorkbook.Write(report, file, rows =>
                {
                    var percent = report.EngineerCount == 0 ? 99 : (int)Math.Min(99, 1 + 98 * rows / report.EngineerCount);
                    if (percent < lastPercent + 2) return; // every ~2%: enough to move a bar, few messages
                    lastPercent = percent;
                    _ = Report(job, ExportPhase.Writing, percent);
                });
            }, ct);
            File.Move(path + ".tmp", path, overwrite: true);
            job.Path = path;
            await Report(job, ExportPhase.Done, 100);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogError(ex, "Export {Id} failed", job.Id);
            // The partial file goes: on a full disk it holds the space the next attempt needs.
            try { File.Delete(Path.Combine(folder, $"{job.Id:N}.xlsx.tmp")); }
            catch (IOException) { }
            job.Error = Outages.Classify(ex) switch
            {
                OutageKind.DiskFull => "The export failed: the server's disk is full. Nothing was kept; free space in the data directory and ask again.",
                OutageKind.DatabaseUnavailable => "The export failed: the database was unavailable. Ask again in a few seconds.",
                _ => "The export failed; see the server log.",
            };
            await Report(job, ExportPhase.Failed, job.Percent);
        }
    }

    private Task Report(ExportJob job, ExportPhase phase, int percent)
    {
        job.Phase = phase;
        job.Percent = percent;
        return hub.Clients.Group(LiveConnections.UserGroup(job.Requester)).SendAsync(GapHub.ExportProgressMessage,
            new ExportProgress(job.Id, job.Kind, percent, phase.ToString().ToLowerInvariant(), job.DownloadUrl));
    }

    private async Task CleanLoopAsync(string folder, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), clock.Time);
        do
        {
            try { Clean(folder); }
            catch (IOException ex) { log.LogWarning(ex, "Cleaning {Folder} failed", folder); }
        }
        while (await SafeTick(timer, ct));
    }

    private static async Task<bool> SafeTick(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>Drops jobs and files older than <see cref="KeepFor"/> (files by their write time, so leftovers of a previous run go too).</summary>
    public void Clean(string folder)
    {
        var cutoff = clock.Now - KeepFor;
        foreach (var (id, job) in _jobs)
            if (job.CreatedAt < cutoff) _jobs.TryRemove(id, out _);
        if (!Directory.Exists(folder)) return;
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (File.GetLastWriteTimeUtc(file) < cutoff.UtcDateTime) File.Delete(file);
        }
    }
}
