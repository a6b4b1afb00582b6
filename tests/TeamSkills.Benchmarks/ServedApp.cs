using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Imports;

namespace TeamSkills.Benchmarks;

/// <summary>
/// One memory sample of the served app: wall clock, resident set, managed heap after the last GC, memory the GC has
/// committed, the anonymous and file-backed parts of the RSS (anonymous minus GC committed is native: runtime, SQLite
/// caches, malloc arenas), gen-2 collections so far.
/// </summary>
internal sealed record MemorySample(DateTimeOffset At, long Rss, long GcHeap, long GcCommitted, long RssAnon, long RssFile, int Gen2);

/// <summary>
/// The app (<see cref="BenchHost"/>, Release build) in a process of its own, so load generators (wrk, the soak's clients)
/// do not share its heap and its RSS is its own. Child side: <c>--serve --engineers N --sample-seconds S</c> imports a
/// generated organisation, starts Kestrel on a loopback port, prints <c>READY url roster-path</c>, then a
/// <c>SAMPLE</c> line every S seconds, and stops when its standard input closes. Parent side: <see cref="StartAsync"/>.
/// </summary>
internal sealed class ServedApp : IAsyncDisposable
{
    /// <summary>
    /// The bench key is one caller; the default 1,200 API calls a minute per key would turn a load test into a test of
    /// the rate limiter (429s), so the served app allows the validator's maximum.
    /// </summary>
    private static readonly string[] LoadTestSettings = ["--TeamSkills:RateLimits:ApiPerMinute=10000000"];

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly List<MemorySample> _samples = [];
    private readonly TaskCompletionSource<string[]> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri BaseUri { get; private set; } = null!;
    public string RosterPath { get; private set; } = "";
    public int ProcessId => _process.Id;

    private ServedApp(Process process, string logPath)
    {
        _process = process;
        _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
    }

    public IReadOnlyList<MemorySample> Samples
    {
        get { lock (_samples) return _samples.ToList(); }
    }

    public static async Task<ServedApp> StartAsync(int engineers, string logPath, int sampleSeconds = 10)
    {
        var start = Self.StartInfo("--serve", "--engineers", engineers.ToString(CultureInfo.InvariantCulture),
            "--sample-seconds", sampleSeconds.ToString(CultureInfo.InvariantCulture));
        start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.Environment.Remove(Results.Variable); // the served app measures nothing itself
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the served app.");
        var served = new ServedApp(process, logPath);
        process.OutputDataReceived += (_, e) => served.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => served.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(served._ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(10)));
        if (first != served._ready.Task)
        {
            await served.DisposeAsync();
            throw new InvalidOperationException($"The served app did not start (exit code {(process.HasExited ? process.ExitCode : -1)}); see {logPath}.");
        }
        var ready = await served._ready.Task;
        served.BaseUri = new Uri(ready[1]);
        served.RosterPath = ready[2];
        return served;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        if (line.StartsWith("SAMPLE ", StringComparison.Ordinal))
        {
            var f = line.Split(' ');
            var sample = new MemorySample(DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(f[1], CultureInfo.InvariantCulture)),
                long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture), long.Parse(f[4], CultureInfo.InvariantCulture),
                long.Parse(f[5], CultureInfo.InvariantCulture), long.Parse(f[6], CultureInfo.InvariantCulture), int.Parse(f[7], CultureInfo.InvariantCulture));
            lock (_samples) _samples.Add(sample);
            return;
        }
        if (line.StartsWith("READY ", StringComparison.Ordinal)) _ready.TrySetResult(line.Split(' '));
        lock (_log) _log.WriteLine(line);
    }

    /// <summary>Closes the app's standard input (it shuts down cleanly), and kills it if it has not exited within a minute.</summary>
    public async ValueTask DisposeAsync()
    {
        try { _process.StandardInput.Close(); } catch (IOException) { }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try { await _process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    /// <summary>The child side: runs until standard input closes.</summary>
    public static async Task<int> ServeAsync(int engineers, int sampleSeconds)
    {
        var tmp = Directory.CreateTempSubdirectory("teamskills-served-").FullName;
        try
        {
            var data = DataGenerator.Write(tmp, engineers, 4, DateOnly.FromDateTime(DateTime.UtcNow));
            await using (var app = await BenchHost.BuildAsync(Path.Combine(tmp, "app"), extra: LoadTestSettings))
            {
                await Benchmark.ImportAsync<RosterImport>(app, data.RosterPath, "full", (h, r, ct) => h.ExecuteAsync(r, ct));
                await Benchmark.ImportAsync<CompletionImport>(app, data.CompletionsPath, "partial", (h, r, ct) => h.ExecuteAsync(r, ct));
                var uri = await BenchHost.StartAsync(app);
                using (var http = new HttpClient { BaseAddress = uri })
                {
                    http.DefaultRequestHeaders.Add(ApiKeyHandler.Header, BenchHost.ApiKey);
                    (await http.GetAsync("/api/teams")).EnsureSuccessStatusCode(); // loads the gap index
                }
                using var stop = new CancellationTokenSource();
                var sampler = Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var gc = GC.GetGCMemoryInfo();
                        var (anon, file) = Memory.RssParts();
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"SAMPLE {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {Memory.CurrentRss()} {gc.HeapSizeBytes} {gc.TotalCommittedBytes} {anon} {file} {GC.CollectionCount(2)}"));
                        try { await Task.Delay(TimeSpan.FromSeconds(sampleSeconds), stop.Token); } catch (OperationCanceledException) { }
                    }
                });
                Console.WriteLine($"READY {uri} {data.RosterPath}");
                await Task.Run(() => { while (Console.In.ReadLine() is not null) { } });
                await stop.CancelAsync();
                await sampler;
            }
            return 0;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"SERVED APP FAILED: {ex}");
            return 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>How to start this benchmark executable again with other arguments (apphost, or `dotnet x.dll`).</summary>
internal static class Self
{
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var exe = Environment.ProcessPath!;
        var start = new ProcessStartInfo(exe) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") start.ArgumentList.Add(typeof(Self).Assembly.Location);
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }
}
