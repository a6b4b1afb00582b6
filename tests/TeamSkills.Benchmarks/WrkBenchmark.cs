using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Benchmarks;

/// <summary>
/// HTTP load with wrk (Debian's package) on loopback against the app in its own process (<see cref="ServedApp"/>):
/// <c>wrk -t2 -c50 -d30s --latency</c> on GET /api/teams (API key header) and on the largest team's page (the sign-in
/// cookie from the sign-in form), beside wrk on GET /health in the same run. Each target gets a short wrk warm-up first.
/// Usage: tests/bench.sh --wrk [--engineers N] [--seconds S]
/// </summary>
internal static partial class WrkBenchmark
{
    private const int Threads = 2, Connections = 50;

    private sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Non2xx, long SocketErrors, double BytesPerRequest)
    {
        /// <summary>Error responses and socket errors (timeouts included); a run that completed no request counts as one.</summary>
        public long Failures => Non2xx + SocketErrors + (Requests == 0 ? 1 : 0);
    }

    public static async Task<int> RunAsync(int engineers, int seconds)
    {
        if (WrkPath() is not { } wrk)
        {
            Console.Error.WriteLine("wrk not found: install Debian's package (apt-get install -y wrk).");
            return 2;
        }
        try
        {
            var version = await WrkVersionAsync(wrk);
            var logPath = Path.Combine(Path.GetTempPath(), $"teamskills-wrk-server-{Environment.ProcessId}.log");
            await using var served = await ServedApp.StartAsync(engineers, logPath);
            var uri = served.BaseUri;
            using var api = new HttpClient { BaseAddress = uri };
            api.DefaultRequestHeaders.Add(ApiKeyHandler.Header, BenchHost.ApiKey);
            var jar = new CookieContainer();
            using (await LiveBenchmark.SignInAsync(uri, jar)) { }
            var cookie = jar.GetCookieHeader(uri);
            var (teamId, teamSize) = await LiveBenchmark.LargestTeamAsync(api);

            // wrk counts 3xx as success: check that the header alone opens the page (a lost cookie would redirect to /signin).
            using (var bare = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = uri })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/teams/{teamId}");
                request.Headers.Add("Cookie", cookie);
                using var page = await bare.SendAsync(request);
                Benchmark.Expect(page.StatusCode == HttpStatusCode.OK, $"the cookie header opens /teams/{teamId} (got {(int)page.StatusCode})");
            }

            var warm = Math.Clamp(seconds / 6, 2, 5);
            var targets = new (string Name, string Path, string[] Headers)[]
            {
                ("GET /health", "/health", []),
                ("GET /api/teams", "/api/teams", [$"{ApiKeyHandler.Header}: {BenchHost.ApiKey}"]),
                ($"Team page /teams/{teamId}", $"/teams/{teamId}", [$"Cookie: {cookie}"]),
            };
            var results = new List<WrkResult>();
            foreach (var (name, path, headers) in targets)
            {
                await RunWrkAsync(wrk, new Uri(uri, path), headers, warm);
                var r = await RunWrkAsync(wrk, new Uri(uri, path), headers, seconds);
                Console.WriteLine($"wrk {name}: {r.RequestsPerSecond:N0} req/s, p50 {r.P50Ms:N2} ms, p99 {r.P99Ms:N2} ms, {r.Requests:N0} requests, " +
                    $"{r.Non2xx} non-2xx/3xx, {r.SocketErrors} socket errors, {r.BytesPerRequest:N0} bytes/request");
                results.Add(r);
            }
            var (health, teams, team) = (results[0], results[1], results[2]);
            string Note(WrkResult r) => $"p50 {r.P50Ms:N1} ms; {r.Requests:N0} requests, {r.Failures} failed; {r.BytesPerRequest / 1e3:N1} kB each";
            Results.Emit("HTTP load (wrk)", "GET /api/teams requests/s", engineers, teams.RequestsPerSecond, health.RequestsPerSecond, "req/s",
                "wrk GET /health", Note(teams), higherIsBetter: true);
            Results.Emit("HTTP load (wrk)", "GET /api/teams p99", engineers, teams.P99Ms, health.P99Ms, "ms", "wrk GET /health p99");
            Results.Emit("HTTP load (wrk)", "Team page requests/s (cookie)", engineers, team.RequestsPerSecond, health.RequestsPerSecond, "req/s",
                "wrk GET /health", $"{teamSize} engineers; " + Note(team), higherIsBetter: true);
            Results.Emit("HTTP load (wrk)", "Team page p99 (cookie)", engineers, team.P99Ms, health.P99Ms, "ms", "wrk GET /health p99");

            Console.WriteLine();
            Console.WriteLine($"## HTTP load: {version}, -t{Threads} -c{Connections} -d{seconds}s --latency, {engineers:N0} engineers");
            Console.WriteLine();
            Console.WriteLine($"Machine: {Machine.Describe("-", "-")}. The app (Release, its own process) and wrk share the cores.");
            Console.WriteLine();
            Console.WriteLine("| Target | Requests/s | p50 | p99 | Requests | Failed (non-2xx/3xx, socket errors) |");
            Console.WriteLine("|---|---|---|---|---|---|");
            foreach (var ((name, _, _), r) in targets.Zip(results))
                Console.WriteLine($"| {name} | {r.RequestsPerSecond:N0} | {r.P50Ms:N2} ms | {r.P99Ms:N2} ms | {r.Requests:N0} | {r.Failures} |");
            if (results.Sum(r => r.Failures) > 0)
            {
                Console.Error.WriteLine("wrk saw failed requests (see the table).");
                return 1;
            }
            return 0;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"WRK BENCHMARK FAILED: {ex}");
            return 1;
        }
    }

    internal static string? WrkPath() =>
        new[] { "/usr/bin/wrk", "/usr/local/bin/wrk" }.FirstOrDefault(File.Exists);

    private static async Task<string> WrkVersionAsync(string wrk)
    {
        var (_, output) = await RunAsync(wrk, ["--version"]);
        return output.Split('\n')[0].Split('[')[0].Trim();
    }

    private static async Task<WrkResult> RunWrkAsync(string wrk, Uri target, string[] headers, int seconds)
    {
        var args = new List<string> { $"-t{Threads}", $"-c{Connections}", $"-d{seconds}s", "--latency", "--timeout", "10s" };
        foreach (var h in headers) args.AddRange(["-H", h]);
        args.Add(target.ToString());
        var (code, output) = await RunAsync(wrk, args);
        if (code != 0) throw new InvalidOperationException($"wrk exited with {code}: {output}");
        return Parse(output);
    }

    /// <summary>Reads wrk 4's summary: Requests/sec, the 50% and 99% rows of --latency, error lines, bytes read.</summary>
    private static WrkResult Parse(string output)
    {
        double Number(Regex r) => r.Match(output) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"wrk output without {r}: {output}");
        var socket = SocketErrors().Match(output);
        var requests = RequestsLine().Match(output);
        if (!requests.Success) throw new InvalidOperationException($"wrk output without a request count: {output}");
        var count = long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture);
        return new WrkResult(
            Number(RequestsPerSec()),
            Time(Percentile("50").Match(output)),
            Time(Percentile("99").Match(output)),
            count,
            Non2xx().Match(output) is { Success: true } n ? long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            socket.Success ? Enumerable.Range(1, 4).Sum(i => long.Parse(socket.Groups[i].Value, CultureInfo.InvariantCulture)) : 0,
            count == 0 ? 0 : Size(requests.Groups[2].Value, requests.Groups[3].Value) / count);
    }

    private static Regex Percentile(string p) => new($@"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline);

    private static double Time(Match m)
    {
        if (!m.Success) throw new InvalidOperationException("wrk output without a latency distribution (--latency)");
        var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => v / 1000, "ms" => v, "s" => v * 1000, _ => v * 60_000 };
    }

    private static double Size(string value, string unit) => double.Parse(value, CultureInfo.InvariantCulture) * unit switch
    {
        "KB" => 1024, "MB" => 1024 * 1024, "GB" => 1024.0 * 1024 * 1024, _ => 1,
    };

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSec();

    [GeneratedRegex(@"(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();

    private static async Task<(int Code, string Output)> RunAsync(string exe, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
