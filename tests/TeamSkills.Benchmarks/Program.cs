using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Data;
using TeamSkills.Core.Imports;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Gaps;
using TeamSkills.Web.Features.Imports;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Benchmarks;

/// <summary>
/// Imports a generated roster and completion history through the app's own handlers, against the sqlite3 CLI
/// importing the same CSV; then times GET /api/teams over real HTTP. Prints one markdown report.
/// Usage: tests/bench.sh [--engineers N] [--completions-per-engineer K] [--keep]; tests/bench.sh --all [--quick] runs every
/// benchmark (see <see cref="AllBenchmark"/>), tests/bench.sh --soak [--minutes M] the soak (<see cref="SoakBenchmark"/>).
/// </summary>
internal static class Benchmark
{
    private const double RosterRatioTarget = 4.0;
    private const long PeakRssTarget = 400_000_000;
    private const double TeamsP95TargetMs = 250;

    public static async Task<int> Main(string[] args)
    {
        args = Results.Configure(args);
        if (args.Contains("--all"))
            return await AllBenchmark.RunAsync(args.Contains("--quick"));
        if (args.Length > 0 && args[0] == "--soak")
            return await SoakBenchmark.RunAsync(IntArg(args, "--minutes", 5), IntArg(args, "--engineers", 10_000), IntArg(args, "--warmup-minutes", 0));
        if (args.Length > 0 && args[0] == "--serve")
        {
            // As Program.cs does first thing (see NativeHeap).
            Console.WriteLine($"glibc malloc arenas: {TeamSkills.Web.Features.Platform.NativeHeap.LimitArenas() ?? "the C library's default"}");
            return await ServedApp.ServeAsync(IntArg(args, "--engineers", 10_000), IntArg(args, "--sample-seconds", 10));
        }
        if (args.Length > 0 && args[0] == "--wrk")
            return await WrkBenchmark.RunAsync(IntArg(args, "--engineers", 10_000), IntArg(args, "--seconds", 30));
        if (args.Length > 0 && args[0] == "--exports-measure")
            return await ExportBenchmark.MeasureAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture),
                int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture));
        if (args.Length > 0 && args[0] == "--exports")
        {
            var i = Array.IndexOf(args, "--engineers");
            return await ExportBenchmark.RunAsync(i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : 100_000);
        }
        if (args.Length > 0 && args[0] == "--live")
            return await LiveBenchmark.RunAsync(IntArg(args, "--engineers", 10_000), IntArg(args, "--clients", 1_000), IntArg(args, "--rounds", 30),
                args.Contains("--default-threadpool") ? 0 : IntArg(args, "--min-threads", 64), pages: !args.Contains("--no-pages"));
        if (args.Length > 0 && args[0] == "--postgres")
        {
            var i = Array.IndexOf(args, "--engineers");
            return await PostgresBenchmark.RunAsync(i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : 100_000);
        }
        if (!TryParse(args, out var engineers, out var perEngineer, out var keep))
        {
            Console.Error.WriteLine("usage: [--engineers N] [--completions-per-engineer K] [--keep]");
            return 2;
        }
        var tmp = Directory.CreateTempSubdirectory("teamskills-bench-").FullName;
        WebApplication? app = null;
        try
        {
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var data = DataGenerator.Write(tmp, engineers, perEngineer, today);
            var machine = Machine.Describe(await Sqlite3Cli.VersionAsync(), LibrarySqliteVersion());

            var baseline = Path.Combine(tmp, "baseline.db");
            var sqliteRoster = await Sqlite3Cli.ImportAsync(baseline, data.RosterPath, "roster", data.Engineers);
            var sqliteCompletions = await Sqlite3Cli.ImportAsync(baseline, data.CompletionsPath, "completions", data.Completions);

            // Warm-up: a small import in a throwaway host and database, so the measured import runs JIT-compiled code
            // as a server that has been up for a while does. The cold figure is reported beside it.
            var warmData = DataGenerator.Write(Directory.CreateDirectory(Path.Combine(tmp, "warmup")).FullName, 2_000, perEngineer, today);
            TimeSpan coldRoster;
            await using (var warm = await BenchHost.BuildAsync(Path.Combine(tmp, "warmup", "app")))
            {
                coldRoster = (await ImportAsync<RosterImport>(warm, warmData.RosterPath, "full", (h, r, ct) => h.ExecuteAsync(r, ct))).Elapsed;
                await ImportAsync<CompletionImport>(warm, warmData.CompletionsPath, "partial", (h, r, ct) => h.ExecuteAsync(r, ct));
            }

            // Nothing large is alive here (the generator streamed to disk), so the peak measured next is the import's.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            app = await BenchHost.BuildAsync(Path.Combine(tmp, "app"));
            var rssBeforeImport = Memory.CurrentRss();
            var peakBeforeImport = Memory.PeakRss();

            var roster = await ImportAsync<RosterImport>(app, data.RosterPath, "full", (h, r, ct) => h.ExecuteAsync(r, ct));
            Expect(roster.Response is { Applied: true, Updated: 0, Deactivated: 0 } && roster.Response.Rows == data.Engineers
                && roster.Response.Created == data.Engineers, $"roster import created all {data.Engineers} engineers: {roster.Response.Message}");
            var peakAfterRoster = Memory.PeakRss();
            var workingSetAfterRoster = Process.GetCurrentProcess().PeakWorkingSet64;

            // The endpoint imports completions in partial mode; so does this.
            var completions = await ImportAsync<CompletionImport>(app, data.CompletionsPath, "partial", (h, r, ct) => h.ExecuteAsync(r, ct));
            Expect(completions.Response is { Applied: true, Updated: 0 } && completions.Response.Rows == data.Completions
                && completions.Response.Created == data.Completions, $"completion import added all {data.Completions}: {completions.Response.Message}");
            var peakAfterCompletions = Memory.PeakRss();

            var baseUri = await BenchHost.StartAsync(app);
            using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromMinutes(5) };
            http.DefaultRequestHeaders.Add(ApiKeyHandler.Header, BenchHost.ApiKey);
            // /health first: it warms the connection and the HTTP stack, so the first /api/teams call is mostly the gap index.
            var health = await Latency.MeasureAsync(http, "/health");
            var teams = await Latency.MeasureAsync(http, "/api/teams");
            var teamsAsOf = await Latency.MeasureAsync(http, "/api/teams?asOf=2025-01-01");
            using (var list = JsonDocument.Parse(await http.GetByteArrayAsync("/api/teams")))
                Expect(list.RootElement.GetArrayLength() == data.Teams, $"GET /api/teams lists all {data.Teams} teams");

            // The pages as a signed-in browser sees them: the overview (every team) and the largest team's page.
            using var browser = await LiveBenchmark.SignInAsync(baseUri);
            var (teamId, teamSize) = await LiveBenchmark.LargestTeamAsync(http);
            var overview = await Latency.MeasureAsync(browser, "/");
            var teamPage = await Latency.MeasureAsync(browser, $"/teams/{teamId}");

            // Breakdown, after everything timed above: parsing alone, and a re-import of the same file (read, validate,
            // load existing rows, diff; nothing to write), so the first import minus it approximates the writes.
            var limits = ImportSupport.Limits(app.Services.GetRequiredService<IOptions<ImportOptions>>().Value);
            var rosterRead = TimeRead(data.RosterPath, limits, data.Engineers);
            var completionsRead = TimeRead(data.CompletionsPath, limits, data.Completions);
            var rosterAgain = await ImportAsync<RosterImport>(app, data.RosterPath, "full", (h, r, ct) => h.ExecuteAsync(r, ct));
            Expect(rosterAgain.Response.Unchanged == data.Engineers, $"roster re-import is unchanged: {rosterAgain.Response.Message}");
            var completionsAgain = await ImportAsync<CompletionImport>(app, data.CompletionsPath, "partial", (h, r, ct) => h.ExecuteAsync(r, ct));
            Expect(completionsAgain.Response.Unchanged == data.Completions, $"completion re-import is unchanged: {completionsAgain.Response.Message}");
            var indexLoad = await TimeGapIndexLoadAsync(app);

            var uploadLimit = app.Services.GetRequiredService<IOptions<ImportOptions>>().Value.MaxUploadBytes;
            await app.DisposeAsync(); // flushes the app's console log before the report
            app = null;

            var steady = await SteadyRosterAsync(tmp, data);

            var ratio = roster.Elapsed / sqliteRoster;
            var n = data.Engineers;
            Results.Emit("Import", "Roster import, SQLite (mode=full)", n, roster.Elapsed.TotalSeconds, sqliteRoster.TotalSeconds, "s",
                "sqlite3 .import", $"{n / roster.Elapsed.TotalSeconds:N0} rows/s");
            Results.Emit("Import", "Completion import, SQLite (mode=partial)", n, completions.Elapsed.TotalSeconds, sqliteCompletions.TotalSeconds, "s",
                "sqlite3 .import", $"{data.Completions:N0} rows");
            Results.Emit("Import", "Peak RSS after roster import (VmHWM)", n, peakAfterRoster / 1e6, rssBeforeImport / 1e6, "MB", "RSS before import");
            Results.Emit("API and pages", "GET /api/teams first call (loads gap index)", n, teams.ColdMs, health.ColdMs, "ms", "GET /health first call");
            Results.Emit("API and pages", "GET /api/teams warm p95", n, teams.P95Ms, health.P95Ms, "ms", "GET /health p95",
                $"p50 {teams.P50Ms:N1} ms; {data.Teams:N0} teams");
            Results.Emit("API and pages", "Overview page / warm p95 (cookie)", n, overview.P95Ms, health.P95Ms, "ms", "GET /health p95",
                $"p50 {overview.P50Ms:N1} ms; cold {overview.ColdMs:N0} ms");
            Results.Emit("API and pages", "Team page warm p95 (cookie, largest team)", n, teamPage.P95Ms, health.P95Ms, "ms", "GET /health p95",
                $"p50 {teamPage.P50Ms:N1} ms; {teamSize} engineers");
            var report = new List<string>
            {
                $"## TeamSkills benchmark: {data.Engineers:N0} engineers, {data.Teams:N0} teams, {data.Completions:N0} completions (K={perEngineer})",
                "",
                $"Machine: {machine}. Host: {Environment.MachineName}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.",
                $"Files: roster.csv {Memory.Mb(new FileInfo(data.RosterPath).Length)}, completions.csv {Memory.Mb(new FileInfo(data.CompletionsPath).Length)}.",
                "",
                "| Measure | TeamSkills | Baseline | Ratio | Target | Result |",
                "|---|---|---|---|---|---|",
                $"| Roster import, mode=full, {data.Engineers:N0} rows | {Rate(roster.Elapsed, data.Engineers)} | sqlite3 .import: {Rate(sqliteRoster, data.Engineers)} | {ratio:N1}x | ≤ {RosterRatioTarget:N0}x sqlite3 | {Verdict(ratio <= RosterRatioTarget)} |",
                $"| Roster import, mode=full, {data.Engineers:N0} rows, as a server that has been up: one host warmed by the same import, roster emptied and heap settled before each round, median of {SteadyRounds} | {Rate(steady.App, data.Engineers)} | sqlite3 .import into a new file, each round: {Rate(steady.Sqlite3, data.Engineers)} | {steady.App / steady.Sqlite3:N1}x | ≤ {RosterRatioTarget:N0}x sqlite3 | {Verdict(steady.App / steady.Sqlite3 <= RosterRatioTarget)} |",
                $"| Each round: app / sqlite3 | {string.Join(", ", steady.Rounds.Select(r => $"{r.App.TotalSeconds:N2} / {r.Sqlite3.TotalSeconds:N2} s"))} | | | | info |",
                $"| Warm-up: roster import of 2,000 rows, first call in the process (cold JIT) | {Rate(coldRoster, 2_000)} | | | | info |",
                $"| Completion import, mode=partial, {data.Completions:N0} rows | {Rate(completions.Elapsed, data.Completions)} | sqlite3 .import: {Rate(sqliteCompletions, data.Completions)} | {completions.Elapsed / sqliteCompletions:N1}x | none | info |",
                $"| Peak RSS after roster import (VmHWM) | {Memory.Mb(peakAfterRoster)} | before import: RSS {Memory.Mb(rssBeforeImport)}, peak {Memory.Mb(peakBeforeImport)} | | < {PeakRssTarget / 1e6:N0} MB | {Verdict(peakAfterRoster > 0 && peakAfterRoster < PeakRssTarget)} |",
                $"| PeakWorkingSet64 after roster import | {Memory.Mb(workingSetAfterRoster)} | | | | info |",
                $"| Peak RSS after completion import (VmHWM) | {Memory.Mb(peakAfterCompletions)} | | | none | info |",
                $"| GET /api/teams first call (loads gap index) | {teams.ColdMs:N0} ms | GET /health first call: {health.ColdMs:N1} ms | | none | info |",
                $"| GET /api/teams warm p50 / p95 / max ({Latency.Samples} calls) | {teams.Warm} | GET /health: {health.Warm} | | p95 ≤ {TeamsP95TargetMs:N0} ms | {Verdict(teams.P95Ms <= TeamsP95TargetMs)} |",
                $"| GET /api/teams?asOf=2025-01-01 warm p50 / p95 / max | {teamsAsOf.Warm} | GET /health: {health.Warm} | | p95 ≤ {TeamsP95TargetMs:N0} ms | {Verdict(teamsAsOf.P95Ms <= TeamsP95TargetMs)} |",
                $"| Overview page / (cookie, {data.Teams:N0} teams) warm p50 / p95 / max | {overview.Warm} | GET /health: {health.Warm} | | none | info |",
                $"| Team page /teams/{teamId} (cookie, {teamSize} engineers) warm p50 / p95 / max | {teamPage.Warm} | GET /health: {health.Warm} | | none | info |",
                "",
                "| Where the time goes (approximate) | Roster | Completions |",
                "|---|---|---|",
                $"| TabularFile.Read: bytes to cells | {rosterRead.TotalMilliseconds:N0} ms | {completionsRead.TotalMilliseconds:N0} ms |",
                $"| Re-import of the same file: read, validate, load existing, diff; no row writes | {rosterAgain.Elapsed.TotalMilliseconds:N0} ms | {completionsAgain.Elapsed.TotalMilliseconds:N0} ms |",
                $"| First import minus re-import: writes, commit, first-call JIT | {(roster.Elapsed - rosterAgain.Elapsed).TotalMilliseconds:N0} ms | {(completions.Elapsed - completionsAgain.Elapsed).TotalMilliseconds:N0} ms |",
                $"| GapSnapshot.LoadAsync (what the first GET /api/teams pays) | {indexLoad.TotalMilliseconds:N0} ms | |",
                "",
                "Import times are the handler's ExecuteAsync (what POST /api/imports/* calls once the upload is buffered); the sqlite3",
                "times are the whole CLI process. Peak RSS is this whole process (Kestrel host, EF model, runtime, JIT), read from",
                "/proc/self/status; the roster import is the first large allocation. Both measured imports follow a 2,000-row warm-up",
                "import in a throwaway database (JIT warm, as on a server that has been up); the re-import also loads the existing",
                "rows, so the 'minus' row is only a rough split.",
            };
            foreach (var path in new[] { data.RosterPath, data.CompletionsPath }.Where(p => new FileInfo(p).Length > uploadLimit))
                report.Add($"Note: {Path.GetFileName(path)} exceeds MaxUploadBytes ({Memory.Mb(uploadLimit)}); the API would refuse it with 413.");
            Console.WriteLine();
            report.ForEach(Console.WriteLine);
            return 0;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"BENCHMARK FAILED: {ex}");
            return 1;
        }
        finally
        {
            if (app is not null) await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            if (keep) Console.WriteLine($"Kept {tmp}");
            else Directory.Delete(tmp, recursive: true);
        }
    }

    /// <summary>Resolves the handler in a DI scope, as a request would, and times only its ExecuteAsync.</summary>
    private const int SteadyRounds = 5;

    /// <summary>
    /// The roster import as the PostgreSQL benchmark times it: one host (its own database) warmed by an import of the same
    /// file, then each round the roster emptied (its rows deleted: SQLite reuses their pages as a new file would grow),
    /// the heap settled, and the import timed beside sqlite3 .import of the same CSV into a new file; medians of the rounds.
    /// The first row of the table is one import, the first large one in a fresh process, against one sqlite3 run.
    /// </summary>
    private static async Task<(TimeSpan App, TimeSpan Sqlite3, List<(TimeSpan App, TimeSpan Sqlite3)> Rounds)> SteadyRosterAsync(string tmp, DataSet data)
    {
        await using var host = await BenchHost.BuildAsync(Path.Combine(tmp, "steady"));
        await ImportAsync<RosterImport>(host, data.RosterPath, "full", (h, r, ct) => h.ExecuteAsync(r, ct));
        var rounds = new List<(TimeSpan App, TimeSpan Sqlite3)>();
        for (var round = 0; round < SteadyRounds; round++)
        {
            var bare = await Sqlite3Cli.ImportAsync(Path.Combine(tmp, $"steady-baseline-{round}.db"), data.RosterPath, "roster", data.Engineers);
            using (var scope = host.Services.CreateScope())
                await scope.ServiceProvider.GetRequiredService<TeamSkillsDbContext>().Database.ExecuteSqlRawAsync("DELETE FROM engineers; DELETE FROM teams;");
            Memory.SettleHeap();
            var (response, elapsed) = await ImportAsync<RosterImport>(host, data.RosterPath, "full", (h, r, ct) => h.ExecuteAsync(r, ct));
            Expect(response.Created == data.Engineers, $"steady round {round + 1} created all {data.Engineers} engineers: {response.Message}");
            rounds.Add((elapsed, bare));
        }
        return (Memory.Median(rounds.Select(r => r.App)), Memory.Median(rounds.Select(r => r.Sqlite3)), rounds);
    }

    internal static async Task<(ImportResponse Response, TimeSpan Elapsed)> ImportAsync<THandler>(WebApplication app, string path, string mode,
        Func<THandler, ImportRequest, CancellationToken, Task<ImportOutcomeResult>> execute) where THandler : notnull
    {
        var request = new ImportRequest(await File.ReadAllBytesAsync(path), Path.GetFileName(path), "text/csv", mode, false, "bench");
        await using var scope = app.Services.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetRequiredService<THandler>();
        var elapsed = Stopwatch.StartNew();
        var outcome = await execute(handler, request, CancellationToken.None);
        elapsed.Stop();
        var errors = string.Join("; ", outcome.Response.Errors.Take(5).Select(e => $"line {e.Line} {e.Column}: {e.Message}"));
        Expect(outcome.StatusCode == 200, $"{request.FileName} import returns 200, got {outcome.StatusCode}: {outcome.Response.Message} {errors}");
        return (outcome.Response, elapsed.Elapsed);
    }

    private static TimeSpan TimeRead(string path, TabularLimits limits, int expectedRows)
    {
        var bytes = File.ReadAllBytes(path);
        var elapsed = Stopwatch.StartNew();
        var (table, problem) = TabularFile.Read(bytes, limits);
        elapsed.Stop();
        Expect(problem is null && table!.Rows.Count == expectedRows, $"TabularFile.Read of {path} yields {expectedRows} rows");
        return elapsed.Elapsed;
    }

    private static async Task<TimeSpan> TimeGapIndexLoadAsync(WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TeamSkillsDbContext>();
        var elapsed = Stopwatch.StartNew();
        await GapSnapshot.LoadAsync(db, version: 0, CancellationToken.None);
        return elapsed.Elapsed;
    }

    internal static string LibrarySqliteVersion()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        return connection.ServerVersion;
    }

    private static bool TryParse(string[] args, out int engineers, out int perEngineer, out bool keep)
    {
        (engineers, perEngineer, keep) = (100_000, 4, false);
        for (var i = 0; i < args.Length; i++)
        {
            int? value = i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;
            if (args[i] == "--engineers" && value is { } n) (engineers, i) = (n, i + 1);
            else if (args[i] == "--completions-per-engineer" && value is { } k) (perEngineer, i) = (k, i + 1);
            else if (args[i] == "--keep") keep = true;
            else return false;
        }
        return true;
    }

    /// <summary>A positive integer after <paramref name="name"/>, or the fallback.</summary>
    internal static int IntArg(string[] args, string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length
        && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;

    internal static void Expect(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException($"Check failed: {what}");
    }

    internal static string Rate(TimeSpan elapsed, int rows) => $"{elapsed.TotalSeconds:N2} s, {rows / elapsed.TotalSeconds:N0} rows/s";

    private static string Verdict(bool pass) => pass ? "PASS" : "MISS";
}
