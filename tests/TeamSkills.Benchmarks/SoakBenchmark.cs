using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Benchmarks;

/// <summary>
/// tests/bench.sh --soak [--minutes M] [--engineers N]: the app in its own process (<see cref="ServedApp"/>, SQLite,
/// 10,000 engineers by default) under a bounded mixed load for M minutes (default 5): roster re-imports every 20 s
/// alternating two rosters (every 20th engineer's title differs), completion imports every 10 s alternating two files
/// (the same 500 completions with different expiry dates), four readers looping GET /api/teams and a team page (cookie),
/// 50 SignalR clients listening on /hubs/gaps, and the org workbook every 30 s. The app samples its RSS and GC heap every
/// 10 s. At the end: requests and failures per kind (every failure counts), latency p95, RSS first- and last-minute
/// averages and the least-squares slope of RSS over the second half, with a verdict.
/// </summary>
internal static class SoakBenchmark
{
    /// <summary>
    /// "Settled" means the second half's RSS slope is below this. 2 MB/min is 120 MB an hour, about half the app's RSS at
    /// 10,000 engineers: a leak that size would fill a 1 GB container within a working day, and the leaks this load could
    /// cause (an import's rows, an export's workbook, a connection's buffers kept per operation) would each grow faster
    /// than that at these rates. Smaller slopes are not resolved by 15 samples over 2.5 minutes against the sawtooth of
    /// GC and 30-second exports, so a slope above it that is within two standard errors of zero is "inconclusive".
    /// </summary>
    private const double SettledSlopeMbPerMinute = 2.0;
    private const int Readers = 4, Listeners = 50;
    private static readonly TimeSpan RosterEvery = TimeSpan.FromSeconds(20), CompletionsEvery = TimeSpan.FromSeconds(10),
        ExportEvery = TimeSpan.FromSeconds(30), ReaderPause = TimeSpan.FromMilliseconds(100);

    public static async Task<int> RunAsync(int minutes, int engineers, int warmupMinutes = 0)
    {
        var outDir = Directory.CreateDirectory(Path.GetFullPath(Path.Combine("tests", "results"))).FullName;
        var hubs = new List<HubConnection>();
        try
        {
            Console.WriteLine($"Soak: starting the app with {engineers:N0} engineers in its own process...");
            await using var served = await ServedApp.StartAsync(engineers, Path.Combine(outDir, "bench-soak-server.log"), sampleSeconds: 10);
            var uri = served.BaseUri;
            using var api = new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromMinutes(2) };
            api.DefaultRequestHeaders.Add(ApiKeyHandler.Header, BenchHost.ApiKey);
            using var browser = await LiveBenchmark.SignInAsync(uri);
            int[] teamIds;
            using (var teams = JsonDocument.Parse(await api.GetStringAsync("/api/teams")))
                teamIds = teams.RootElement.EnumerateArray().Select(t => t.GetProperty("id").GetInt32()).ToArray();

            var rosterA = await File.ReadAllBytesAsync(served.RosterPath);
            var rosterB = ChangedRoster(rosterA);
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var (completions1, completions2) = (CompletionFile(engineers, today, 730), CompletionFile(engineers, today, 1095));

            var log = new SoakLog();
            var heard = new int[Listeners];
            for (var batch = 0; batch < Listeners; batch += 10)
            {
                await Task.WhenAll(Enumerable.Range(batch, Math.Min(10, Listeners - batch)).Select(async i =>
                {
                    var c = new HubConnectionBuilder().WithUrl(new Uri(uri, "/hubs/gaps"), o =>
                    {
                        o.Headers[ApiKeyHandler.Header] = BenchHost.ApiKey;
                        o.Transports = HttpTransportType.WebSockets;
                        o.SkipNegotiation = true;
                    }).Build();
                    c.On<JsonElement>("gapSummaryUpdated", _ => Interlocked.Increment(ref heard[i]));
                    c.Closed += ex =>
                    {
                        if (!log.Stopping) log.Fail("live client", $"connection closed: {ex?.Message ?? "by the server"}");
                        return Task.CompletedTask;
                    };
                    await c.StartAsync();
                    lock (hubs) hubs.Add(c);
                }));
            }

            Console.WriteLine($"Soak: {(warmupMinutes > 0 ? $"{warmupMinutes} min warm-up, then " : "")}{minutes} min against {uri} (app pid {served.ProcessId}); {Listeners} live clients connected.");
            // The warm-up runs the same load; its requests count (a failure there fails the soak), its memory samples are
            // not judged: the measured window starts after it.
            var loadStart = DateTimeOffset.UtcNow;
            var start = loadStart + TimeSpan.FromMinutes(warmupMinutes);
            using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(warmupMinutes + minutes));
            var rosterChanges = new ConcurrentBag<int>();
            var work = new List<Task>
            {
                Every(RosterEvery, stop.Token, i => log.RunAsync("roster import", () => api.Upload("/api/imports/roster?mode=full", i % 2 == 0 ? rosterB : rosterA, "roster.csv"),
                    body => { using var j = JsonDocument.Parse(body); rosterChanges.Add(j.RootElement.GetProperty("updated").GetInt32()); return null; })),
                Every(CompletionsEvery, stop.Token, i => log.RunAsync("completion import",
                    () => api.Upload("/api/imports/completions", i % 2 == 0 ? completions1 : completions2, "completions.csv"))),
                Every(ExportEvery, stop.Token, _ => log.RunAsync("org xlsx export", () => api.GetAsync("/api/reports/org.xlsx"),
                    body => body.Length > 1000 && body[0] == (byte)'P' && body[1] == (byte)'K' ? null : $"not a workbook ({body.Length} bytes)")),
            };
            for (var r = 0; r < Readers; r++)
            {
                var rng = new Random(r);
                work.Add(Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        await log.RunAsync("GET /api/teams", () => api.GetAsync("/api/teams"));
                        await Pause(ReaderPause, stop.Token);
                        await log.RunAsync("team page", () => browser.GetAsync($"/teams/{teamIds[rng.Next(teamIds.Length)]}"),
                            body => body.Length > 1000 ? null : $"short page ({body.Length} bytes)");
                        await Pause(ReaderPause, stop.Token);
                    }
                }));
            }
            await Task.WhenAll(work);
            var end = DateTimeOffset.UtcNow;
            log.Stopping = true;
            var disconnected = hubs.Count(h => h.State != HubConnectionState.Connected);
            if (disconnected > 0) log.Fail("live client", $"{disconnected} of {Listeners} not connected at the end");
            if (heard.Any(h => h == 0)) log.Fail("live client", $"{heard.Count(h => h == 0)} clients heard no update");
            await Task.Delay(TimeSpan.FromSeconds(1));

            var samples = served.Samples.Where(s => s.At >= start && s.At <= end).ToList();
            var report = Report(minutes, warmupMinutes, engineers, start, end, log, samples, heard, rosterChanges.ToList(), out var ok);
            Console.WriteLine();
            Console.WriteLine(report);
            await File.WriteAllTextAsync(Path.Combine(outDir, "bench-soak.md"), report + "\n");
            await File.WriteAllLinesAsync(Path.Combine(outDir, "bench-soak-samples.csv"),
                new[] { "seconds,rss_mb,gc_heap_mb,gc_committed_mb,rss_anon_mb,rss_file_mb,gen2_collections" }.Concat(served.Samples.Where(s => s.At >= loadStart).Select(s =>
                    string.Create(CultureInfo.InvariantCulture, $"{(s.At - start).TotalSeconds:0},{s.Rss / 1e6:0.0},{s.GcHeap / 1e6:0.0},{s.GcCommitted / 1e6:0.0},{s.RssAnon / 1e6:0.0},{s.RssFile / 1e6:0.0},{s.Gen2}"))));
            Console.WriteLine($"Written to {Path.Combine(outDir, "bench-soak.md")} (samples: bench-soak-samples.csv).");
            return ok ? 0 : 1;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"SOAK FAILED: {ex}");
            return 1;
        }
        finally
        {
            await Task.WhenAll(hubs.Select(h => h.DisposeAsync().AsTask()));
        }
    }

    private static string Report(int minutes, int warmupMinutes, int engineers, DateTimeOffset start, DateTimeOffset end, SoakLog log,
        List<MemorySample> samples, int[] heard, List<int> rosterChanges, out bool ok)
    {
        double Minutes(MemorySample s) => (s.At - start).TotalMinutes;
        var span = (end - start).TotalMinutes;
        var first = samples.Where(s => Minutes(s) < 1).ToList();
        var last = samples.Where(s => Minutes(s) >= span - 1).ToList();
        var secondHalf = samples.Where(s => Minutes(s) >= span / 2).ToList();
        var (rssSlope, rssError) = Slope(secondHalf.Select(s => (Minutes(s), s.Rss / 1e6)).ToList());
        var (heapSlope, heapError) = Slope(secondHalf.Select(s => (Minutes(s), s.GcHeap / 1e6)).ToList());
        var (committedSlope, committedError) = Slope(secondHalf.Select(s => (Minutes(s), s.GcCommitted / 1e6)).ToList());
        var (nativeSlope, nativeError) = Slope(secondHalf.Select(s => (Minutes(s), (s.RssAnon - s.GcCommitted) / 1e6)).ToList());
        var (fileSlope, fileError) = Slope(secondHalf.Select(s => (Minutes(s), s.RssFile / 1e6)).ToList());
        // Under 3 minutes the second half is the warm-up's tail (index loads, JIT, pools filling): no verdict on memory.
        var judged = span >= 3 && !double.IsNaN(rssSlope);
        var verdict = !judged ? "not judged (a memory verdict needs a run of 3 minutes or more; 5 is the soak)"
            : rssSlope <= SettledSlopeMbPerMinute ? "settled"
            : rssSlope - 2 * rssError <= 0 ? "inconclusive (slope within two standard errors of zero)"
            : "GROWING";
        var failures = log.Failures;
        ok = failures == 0 && (verdict == "settled" || !judged);
        var reads = log.Latencies("GET /api/teams").Concat(log.Latencies("team page")).ToList();

        var sb = new StringBuilder();
        sb.AppendLine($"## Soak: {minutes} min{(warmupMinutes > 0 ? $" after a {warmupMinutes}-min warm-up" : "")}, {engineers:N0} engineers (SQLite), the app in its own process");
        sb.AppendLine();
        sb.AppendLine($"Machine: {Machine.Describe("-", "-")}. {start:yyyy-MM-dd HH:mm} UTC, load average at the end {LoadAverage()}.");
        sb.AppendLine($"Load: roster re-import every {RosterEvery.TotalSeconds:N0} s (two rosters alternating), completion import every " +
            $"{CompletionsEvery.TotalSeconds:N0} s (500 rows, two expiry variants alternating), {Readers} readers (GET /api/teams, then a " +
            $"team page with the cookie, {ReaderPause.TotalMilliseconds:N0} ms pause after each), {Listeners} SignalR clients listening, " +
            $"GET /api/reports/org.xlsx every {ExportEvery.TotalSeconds:N0} s; memory sampled by the app every 10 s." +
            (warmupMinutes > 0 ? $" The same load ran for {warmupMinutes} min before the measured window: requests and failures below include it; " +
                "memory figures are from the measured window only (the samples file has the warm-up too, at negative seconds)." : ""));
        sb.AppendLine();
        sb.AppendLine("| Kind | Requests | Failed | p50 | p95 | max |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var kind in log.Kinds)
        {
            var l = log.Latencies(kind);
            sb.AppendLine($"| {kind} | {log.Count(kind):N0} | {log.FailuresOf(kind)} | {P(l, 0.5):N1} ms | {P(l, 0.95):N1} ms | {(l.Count == 0 ? 0 : l.Max()):N1} ms |");
        }
        sb.AppendLine($"| **all reads** | {reads.Count:N0} | | {P(reads, 0.5):N1} ms | {P(reads, 0.95):N1} ms | {(reads.Count == 0 ? 0 : reads.Max()):N1} ms |");
        sb.AppendLine($"| live clients ({Listeners}) | {heard.Sum():N0} updates heard | {log.FailuresOf("live client")} | min {heard.Min():N0} / max {heard.Max():N0} per client | | |");
        sb.AppendLine();
        sb.AppendLine("| Memory (the app's process) | First minute avg | Last minute avg | Slope, second half | Samples |");
        sb.AppendLine("|---|---|---|---|---|");
        sb.AppendLine($"| RSS | {Avg(first, s => s.Rss)} | {Avg(last, s => s.Rss)} | {rssSlope:+0.00;-0.00} ± {rssError:0.00} MB/min | {samples.Count} ({secondHalf.Count} in the second half) |");
        sb.AppendLine($"| GC heap after the last collection | {Avg(first, s => s.GcHeap)} | {Avg(last, s => s.GcHeap)} | {heapSlope:+0.00;-0.00} ± {heapError:0.00} MB/min | gen-2 collections: {(samples.Count > 0 ? samples[^1].Gen2 - samples[0].Gen2 : 0)} |");
        sb.AppendLine($"| GC committed | {Avg(first, s => s.GcCommitted)} | {Avg(last, s => s.GcCommitted)} | {committedSlope:+0.00;-0.00} ± {committedError:0.00} MB/min | |");
        sb.AppendLine($"| Anonymous RSS minus GC committed (native heaps: runtime, SQLite, malloc arenas) | {Avg(first, s => s.RssAnon - s.GcCommitted)} | {Avg(last, s => s.RssAnon - s.GcCommitted)} | {nativeSlope:+0.00;-0.00} ± {nativeError:0.00} MB/min | |");
        sb.AppendLine($"| File-backed RSS (assemblies, native libraries, JIT-touched code pages) | {Avg(first, s => s.RssFile)} | {Avg(last, s => s.RssFile)} | {fileSlope:+0.00;-0.00} ± {fileError:0.00} MB/min | |");
        sb.AppendLine();
        sb.AppendLine($"Requests: {log.Total:N0}, failed: {failures} ({(failures == 0 ? "none" : string.Join("; ", log.FirstErrors))}). " +
            $"Roster imports changed {(rosterChanges.Count == 0 ? "-" : $"{rosterChanges.Min():N0}–{rosterChanges.Max():N0}")} engineers each.");
        sb.Append($"Memory verdict: **{verdict}** (least-squares RSS slope over the second half {rssSlope:+0.00;-0.00} MB/min ± {rssError:0.00} standard error; " +
            $"settled means ≤ {SettledSlopeMbPerMinute:N1} MB/min). Result: **{(ok ? "PASS" : "FAIL")}** (no failed request{(judged ? " and memory settled" : "; memory not judged")}).");
        return sb.ToString();
    }

    /// <summary>Least-squares slope of y over x and its standard error; NaN with fewer than three points.</summary>
    internal static (double Slope, double Error) Slope(List<(double X, double Y)> points)
    {
        if (points.Count < 3) return (double.NaN, double.NaN);
        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        var slope = points.Sum(p => (p.X - mx) * (p.Y - my)) / sxx;
        var residuals = points.Sum(p => Math.Pow(p.Y - my - slope * (p.X - mx), 2));
        return (slope, Math.Sqrt(residuals / (points.Count - 2) / sxx));
    }

    private static string Avg(List<MemorySample> samples, Func<MemorySample, long> value) =>
        samples.Count == 0 ? "n/a" : $"{samples.Average(s => value(s)) / 1e6:N0} MB";

    private static double P(List<double> values, double p)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToArray();
        return sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>Runs the action at once and then every period (not overlapping) until the token fires; an action in flight finishes.</summary>
    private static Task Every(TimeSpan period, CancellationToken stop, Func<int, Task> action) => Task.Run(async () =>
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var started = Stopwatch.StartNew();
            await action(i);
            var wait = period - started.Elapsed;
            if (wait > TimeSpan.Zero) await Pause(wait, stop);
        }
    });

    private static async Task Pause(TimeSpan wait, CancellationToken stop)
    {
        try { await Task.Delay(wait, stop); } catch (OperationCanceledException) { }
    }

    /// <summary>The roster with every 20th engineer's title switched between two roles: each alternate import changes 5%.</summary>
    private static byte[] ChangedRoster(byte[] roster)
    {
        var lines = Encoding.UTF8.GetString(roster).Split('\n');
        for (var i = 1; i < lines.Length; i += 20)
        {
            if (lines[i].Length == 0) continue;
            var cut = lines[i].LastIndexOf(',');
            var title = lines[i][(cut + 1)..];
            lines[i] = lines[i][..(cut + 1)] + (title == "Security Engineer" ? "Data Engineer" : "Security Engineer");
        }
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    /// <summary>500 completions spread over the roster with explicit expiry dates: the same rows with another expiry update them.</summary>
    private static byte[] CompletionFile(int engineers, DateOnly today, int validDays)
    {
        var sb = new StringBuilder("employee_id,certification,earned_on,expires_on\n");
        for (var k = 0; k < 500; k++)
        {
            var earned = today.AddDays(-30 - k % 600);
            sb.Append(CultureInfo.InvariantCulture, $"{DataGenerator.EmployeeId(1 + k * (engineers / 500))},{DataGenerator.CertificationIds[k % DataGenerator.CertificationIds.Length]},")
              .Append(CultureInfo.InvariantCulture, $"{earned:yyyy-MM-dd},{earned.AddDays(validDays):yyyy-MM-dd}\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static async Task<HttpResponseMessage> Upload(this HttpClient client, string url, byte[] content, string fileName)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", fileName);
        return await client.PostAsync(url, form);
    }

    /// <summary>Counts, latencies and failures per kind of operation; thread-safe.</summary>
    private sealed class SoakLog
    {
        private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _latencies = new();
        private readonly ConcurrentDictionary<string, int> _failures = new();
        private readonly ConcurrentQueue<string> _errors = new();
        public volatile bool Stopping;

        public IEnumerable<string> Kinds => _latencies.Keys.Order(StringComparer.Ordinal);
        public List<double> Latencies(string kind) => _latencies.TryGetValue(kind, out var l) ? l.ToList() : [];
        public int Count(string kind) => _latencies.TryGetValue(kind, out var l) ? l.Count : 0;
        public int Total => _latencies.Values.Sum(l => l.Count);
        public int FailuresOf(string kind) => _failures.GetValueOrDefault(kind);
        public int Failures => _failures.Values.Sum();
        public IEnumerable<string> FirstErrors => _errors.Take(5);

        public void Fail(string kind, string what)
        {
            _failures.AddOrUpdate(kind, 1, (_, n) => n + 1);
            if (_errors.Count < 20) _errors.Enqueue($"{kind}: {what}");
        }

        /// <summary>Sends, reads the whole body, and counts a failure for an exception, a non-2xx status or a failed check.</summary>
        public async Task RunAsync(string kind, Func<Task<HttpResponseMessage>> send, Func<byte[], string?>? check = null)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                using var response = await send();
                var body = await response.Content.ReadAsByteArrayAsync();
                watch.Stop();
                _latencies.GetOrAdd(kind, _ => []).Add(watch.Elapsed.TotalMilliseconds);
                var problem = response.IsSuccessStatusCode ? check?.Invoke(body)
                    : $"{(int)response.StatusCode} {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(200, body.Length)))}";
                if (problem is not null) Fail(kind, problem);
            }
            catch (Exception ex)
            {
                _latencies.GetOrAdd(kind, _ => []).Add(watch.Elapsed.TotalMilliseconds);
                Fail(kind, ex.GetType().Name + ": " + ex.Message);
            }
        }
    }
}
