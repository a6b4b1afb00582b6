using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Imports;

namespace TeamSkills.Benchmarks;

/// <summary>
/// Live-update latency and page speed. C SignalR clients listen on /hubs/gaps (API key, WebSockets); each round
/// records a completion over the API and times, for every client, from the API response to the gapSummaryUpdated
/// arriving. Baseline in the same run: a bare WebSocket echo round trip on loopback (a Kestrel host with nothing
/// else). Then the dashboard pages, signed in with a cookie, are timed like the API.
/// Usage: tests/bench.sh --live [--engineers N] [--clients C] [--rounds R] [--no-pages]
/// </summary>
internal static partial class LiveBenchmark
{
    private const double LatencyP95TargetMs = 100;
    private const int WarmUpRounds = 3;

    public static async Task<int> RunAsync(int engineers, int clients, int rounds, int minThreads, bool pages = true)
    {
        // The 1,000 clients share this process's thread pool with the server: with the default minimum (one thread per
        // core, then slow injection) client callbacks queue behind each other and the figure measures the harness.
        if (minThreads > 0) ThreadPool.SetMinThreads(minThreads, minThreads);
        var tmp = Directory.CreateTempSubdirectory("teamskills-live-").FullName;
        WebApplication? app = null;
        WebApplication? echo = null;
        var connections = new List<HubConnection>();
        try
        {
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var data = DataGenerator.Write(tmp, engineers, 4, today);
            app = await BenchHost.BuildAsync(Path.Combine(tmp, "app"));
            foreach (var (path, mode) in new[] { (data.RosterPath, "full"), (data.CompletionsPath, "partial") })
            {
                await using var scope = app.Services.CreateAsyncScope();
                var request = new ImportRequest(await File.ReadAllBytesAsync(path), Path.GetFileName(path), "text/csv", mode, false, "bench");
                var outcome = mode == "full"
                    ? await scope.ServiceProvider.GetRequiredService<RosterImport>().ExecuteAsync(request, default)
                    : await scope.ServiceProvider.GetRequiredService<CompletionImport>().ExecuteAsync(request, default);
                if (outcome.StatusCode != 200) throw new InvalidOperationException($"import failed: {outcome.Response.Message}");
            }
            var baseUri = await BenchHost.StartAsync(app);
            using var http = new HttpClient { BaseAddress = baseUri };
            http.DefaultRequestHeaders.Add(ApiKeyHandler.Header, BenchHost.ApiKey);
            await http.GetAsync("/api/teams"); // loads the gap index

            // Baseline: bare WebSocket echo on loopback.
            (echo, var echoUri) = await StartEchoAsync();
            var wsBaseline = await EchoRoundTripsAsync(echoUri, 500);

            // C listeners, connected in parallel batches.
            var arrivals = new ConcurrentBag<long>[rounds];
            for (var r = 0; r < rounds; r++) arrivals[r] = [];
            var round = -1;
            var connectWatch = Stopwatch.StartNew();
            var hub = new Uri(baseUri, "/hubs/gaps");
            for (var batch = 0; batch < clients; batch += 50)
            {
                var started = Enumerable.Range(batch, Math.Min(50, clients - batch)).Select(async _ =>
                {
                    var c = new HubConnectionBuilder().WithUrl(hub, o =>
                    {
                        o.Headers[ApiKeyHandler.Header] = BenchHost.ApiKey;
                        o.Transports = HttpTransportType.WebSockets;
                        o.SkipNegotiation = true;
                    }).Build();
                    c.On<JsonElement>("gapSummaryUpdated", _ =>
                    {
                        var now = Stopwatch.GetTimestamp();
                        var current = Volatile.Read(ref round);
                        if (current >= 0) arrivals[current].Add(now);
                    });
                    await c.StartAsync();
                    lock (connections) connections.Add(c);
                });
                await Task.WhenAll(started);
            }
            connectWatch.Stop();

            // Rounds: one completion each (a new earned date, so it is a real change), then wait for every client.
            var latencies = new List<double>(clients * rounds);
            var fromRequest = new List<double>(clients * rounds);
            var apiTimes = new List<double>(rounds);
            var firsts = new List<double>(rounds);
            var lasts = new List<double>(rounds);
            var rng = new Random(7);
            for (var r = -WarmUpRounds; r < rounds; r++)
            {
                if (r < 0)
                {
                    // Warm-up: first calls JIT-compile the write and push paths; not counted.
                    using var warm = await http.PostAsJsonAsync("/api/completions", new { employeeId = DataGenerator.EmployeeId(1),
                        certification = "aiops-foundation", earnedOn = today.AddDays(-400 + r).ToString("yyyy-MM-dd") });
                    await Task.Delay(300);
                    continue;
                }
                Volatile.Write(ref round, r);
                var employee = DataGenerator.EmployeeId(rng.Next(1, engineers + 1));
                var sent = Stopwatch.GetTimestamp();
                using var response = await http.PostAsJsonAsync("/api/completions",
                    new { employeeId = employee, certification = "aiops-foundation", earnedOn = today.AddDays(-1 - r).ToString("yyyy-MM-dd") });
                var answered = Stopwatch.GetTimestamp();
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /api/completions: {(int)response.StatusCode}");
                apiTimes.Add(Stopwatch.GetElapsedTime(sent, answered).TotalMilliseconds);
                var deadline = Stopwatch.StartNew();
                while (arrivals[r].Count < clients && deadline.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(2);
                if (arrivals[r].Count < clients) throw new InvalidOperationException($"round {r}: only {arrivals[r].Count} of {clients} clients got the update");
                firsts.Add(Stopwatch.GetElapsedTime(answered, arrivals[r].Min()).TotalMilliseconds);
                lasts.Add(Stopwatch.GetElapsedTime(answered, arrivals[r].Max()).TotalMilliseconds);
                foreach (var t in arrivals[r])
                {
                    latencies.Add(Math.Max(0, Stopwatch.GetElapsedTime(answered, t).TotalMilliseconds));
                    fromRequest.Add(Stopwatch.GetElapsedTime(sent, t).TotalMilliseconds);
                }
                await Task.Delay(50); // let the connections go idle between rounds
            }
            Volatile.Write(ref round, -1);
            var early = latencies.Count(l => l == 0);

            // Pages, signed in with a browser cookie.
            var pageTimes = pages ? await MeasurePagesAsync(baseUri, http, data) : [];

            var p = Stats.Of(latencies);
            var req = Stats.Of(fromRequest);
            var api = Stats.Of(apiTimes);
            foreach (var (label, value, echoValue) in new[] { ("p50", p.P50, wsBaseline.P50), ("p95", p.P95, wsBaseline.P95), ("p99", p.P99, wsBaseline.P99) })
                Results.Emit("Live updates", $"API response → gapSummaryUpdated {label}, {clients:N0} clients", engineers, value, echoValue, "ms",
                    $"bare loopback WebSocket echo {label}", label == "p95" ? $"{latencies.Count:N0} deliveries; POST p95 {api.P95:N1} ms" : null);
            Console.WriteLine();
            Console.WriteLine($"## TeamSkills live updates: {clients:N0} clients, {rounds} rounds, {engineers:N0} engineers ({data.Teams:N0} teams)");
            Console.WriteLine();
            Console.WriteLine($"Machine: {Machine.Describe("-", "-")}. {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Clients and server share this process and its cores; " +
                $"thread pool minimum {(minThreads > 0 ? minThreads.ToString() : "default")}; {WarmUpRounds} warm-up rounds not counted.");
            Console.WriteLine();
            Console.WriteLine("| Measure | p50 | p95 | p99 | max | Target | Result |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            Console.WriteLine($"| API response → gapSummaryUpdated at each client ({latencies.Count:N0} deliveries) | {p.Row} | p95 ≤ {LatencyP95TargetMs} ms | {(p.P95 <= LatencyP95TargetMs ? "PASS" : "MISS")} |");
            Console.WriteLine($"| Request sent → gapSummaryUpdated at each client | {req.Row} | | info |");
            Console.WriteLine($"| POST /api/completions round trip | {api.Row} | | info |");
            Console.WriteLine($"| Per round: first client reached (after API response) | {Stats.Of(firsts).Row} | | info |");
            Console.WriteLine($"| Per round: last client reached (after API response) | {Stats.Of(lasts).Row} | | info |");
            Console.WriteLine($"| Baseline: bare loopback WebSocket echo round trip (500) | {wsBaseline.Row} | | baseline |");
            Console.WriteLine();
            Console.WriteLine($"{clients:N0} clients connected in {connectWatch.Elapsed.TotalSeconds:N1} s. {early:N0} deliveries arrived before the API response " +
                "(the push starts right after commit) and count as 0 ms.");
            Console.WriteLine();
            Console.WriteLine($"| Page ({engineers:N0} engineers), signed-in cookie, body read | cold | warm p50 / p95 / max |");
            Console.WriteLine("|---|---|---|");
            foreach (var (name, latency) in pageTimes) Console.WriteLine($"| {name} | {latency.ColdMs:N0} ms | {latency.Warm} |");
            return 0;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"LIVE BENCHMARK FAILED: {ex}");
            return 1;
        }
        finally
        {
            await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask()));
            await Task.Delay(500); // let the server see the disconnects before it shuts down
            if (echo is not null) await echo.DisposeAsync();
            if (app is not null) await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(tmp, recursive: true);
        }
    }

    /// <summary>
    /// A browser signed in through the sign-in page's API-key form (antiforgery token from the form), as
    /// tests/TeamSkills.Tests/Integration/TestUsers.cs does: keeps the cookie, does not follow redirects.
    /// </summary>
    public static async Task<HttpClient> SignInAsync(Uri baseUri, CookieContainer? cookies = null)
    {
        var handler = new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false };
        var browser = new HttpClient(handler) { BaseAddress = baseUri };
        var form = await browser.GetStringAsync("/signin");
        var token = TokenField().Match(form).Groups[1].Value;
        using var signedIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["key"] = BenchHost.ApiKey, ["__RequestVerificationToken"] = token, ["returnUrl"] = "/",
        }));
        if (signedIn.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"page sign-in: {(int)signedIn.StatusCode}");
        return browser;
    }

    public static async Task<(int Id, int Engineers)> LargestTeamAsync(HttpClient api)
    {
        using var teams = JsonDocument.Parse(await api.GetStringAsync("/api/teams"));
        var biggest = teams.RootElement.EnumerateArray().MaxBy(t => t.GetProperty("engineerCount").GetInt32());
        return (biggest.GetProperty("id").GetInt32(), biggest.GetProperty("engineerCount").GetInt32());
    }

    private static async Task<List<(string, Latency)>> MeasurePagesAsync(Uri baseUri, HttpClient api, DataSet data)
    {
        using var browser = await SignInAsync(baseUri);
        var (teamId, size) = await LargestTeamAsync(api);
        return
        [
            ("GET /api/teams (baseline: the same numbers as JSON)", await Latency.MeasureAsync(api, "/api/teams")),
            ($"Overview / ({data.Teams:N0} teams, forecast)", await Latency.MeasureAsync(browser, "/")),
            ($"Team page /teams/{teamId} (largest team, {size} engineers)", await Latency.MeasureAsync(browser, $"/teams/{teamId}")),
            ("Team cells JSON (live refresh)", await Latency.MeasureAsync(browser, $"/teams/{teamId}?handler=Cells")),
            ("Engineer page", await Latency.MeasureAsync(browser, $"/engineers/{DataGenerator.EmployeeId(1)}")),
        ];
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    private static async Task<(WebApplication, Uri)> StartEchoAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls=http://127.0.0.1:0"]);
        builder.Logging.ClearProviders();
        var echo = builder.Build();
        echo.UseWebSockets();
        echo.Map("/echo", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, default);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
                    break;
                }
                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, default);
            }
        });
        var uri = await BenchHost.StartAsync(echo);
        return (echo, new Uri($"ws://{uri.Authority}/echo"));
    }

    private static async Task<Stats> EchoRoundTripsAsync(Uri uri, int count)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, default);
        var message = System.Text.Encoding.UTF8.GetBytes(new string('x', 260)); // about a gapSummaryUpdated frame
        var buffer = new byte[4096];
        var samples = new List<double>(count);
        for (var i = 0; i < count + 50; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await socket.SendAsync(message, WebSocketMessageType.Text, true, default);
            await socket.ReceiveAsync(buffer, default);
            if (i >= 50) samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
        return Stats.Of(samples);
    }

    private sealed record Stats(double P50, double P95, double P99, double Max)
    {
        public static Stats Of(List<double> values)
        {
            var sorted = values.Order().ToArray();
            double At(double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
            return new Stats(At(0.50), At(0.95), At(0.99), sorted[^1]);
        }

        public string Row => $"{P50:N1} ms | {P95:N1} ms | {P99:N1} ms | {Max:N1} ms";
    }
}
