using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TeamSkills.Benchmarks;

/// <summary>
/// tests/bench.sh --all [--quick]: every benchmark, each part in a child process of its own (a clean heap and VmHWM per
/// part, as the memory figures need), at 1k / 10k / 100k engineers (--quick: 1k and 10k), then one markdown table of
/// what the parts reported through <see cref="Results"/>: each figure beside its baseline from the same run. Written to
/// tests/results/bench-all.md with the raw rows in bench-all.jsonl.
/// </summary>
internal static class AllBenchmark
{
    private sealed record Part(string Name, string[] Args);
    private sealed record Outcome(Part Part, int ExitCode, TimeSpan Elapsed);

    public static async Task<int> RunAsync(bool quick)
    {
        int[] sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
        var wrkSeconds = quick ? 10 : 30;
        var outDir = Directory.CreateDirectory(Path.GetFullPath(Path.Combine("tests", "results"))).FullName;
        var rowsPath = Path.Combine(outDir, "bench-all.jsonl");
        File.Delete(rowsPath);

        var parts = new List<Part>();
        foreach (var n in sizes) parts.Add(new($"SQLite import, API and pages, {K(n)}", ["--engineers", S(n)]));
        var postgres = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("TEAMSKILLS_TEST_POSTGRES"));
        if (postgres) foreach (var n in sizes) parts.Add(new($"PostgreSQL roster import, {K(n)}", ["--postgres", "--engineers", S(n)]));
        foreach (var n in sizes) parts.Add(new($"Exports, {K(n)}", ["--exports", "--engineers", S(n)]));
        foreach (var c in new[] { 100, 1_000 }) parts.Add(new($"Live updates, {c:N0} clients, 10k", ["--live", "--engineers", "10000", "--clients", S(c), "--no-pages"]));
        var wrk = WrkBenchmark.WrkPath() is not null;
        if (wrk) parts.Add(new($"HTTP load (wrk), 10k, {wrkSeconds} s", ["--wrk", "--engineers", "10000", "--seconds", S(wrkSeconds)]));

        var loadBefore = SoakBenchmark.LoadAverage();
        var total = Stopwatch.StartNew();
        var outcomes = new List<Outcome>();
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            Console.WriteLine();
            Console.WriteLine($"=== [{i + 1}/{parts.Count}] {part.Name} ({string.Join(' ', part.Args)}); {total.Elapsed:mm\\:ss} so far, load {SoakBenchmark.LoadAverage()}");
            var start = Self.StartInfo(part.Args);
            start.Environment[Results.Variable] = rowsPath;
            var watch = Stopwatch.StartNew();
            using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {part.Name}");
            await child.WaitForExitAsync();
            outcomes.Add(new Outcome(part, child.ExitCode, watch.Elapsed));
            Console.WriteLine($"=== {part.Name}: exit {child.ExitCode}, {watch.Elapsed.TotalSeconds:N0} s");
        }
        total.Stop();

        var rows = Results.Read(rowsPath);
        var machine = Machine.Describe(await Sqlite3Cli.VersionAsync(), Benchmark.LibrarySqliteVersion());
        var report = Render(rows, outcomes, quick, machine, total.Elapsed, loadBefore, SoakBenchmark.LoadAverage(), postgres, wrk);
        var mdPath = Path.Combine(outDir, "bench-all.md");
        await File.WriteAllTextAsync(mdPath, report);
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"Written to {mdPath} (rows: {rowsPath}).");
        return outcomes.All(o => o.ExitCode == 0) && postgres && wrk ? 0 : 1;
    }

    private static string Render(List<ResultRow> rows, List<Outcome> outcomes, bool quick, string machine, TimeSpan elapsed,
        string loadBefore, string loadAfter, bool postgres, bool wrk)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"## TeamSkills benchmarks: `tests/bench.sh --all{(quick ? " --quick" : "")}`");
        sb.AppendLine();
        sb.AppendLine($"Machine: {machine}. Host: {Environment.MachineName}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. " +
            $"Took {elapsed.TotalMinutes:N1} min; load average {loadBefore} before, {loadAfter} after.");
        sb.AppendLine();
        sb.AppendLine("| Measure | Size | TeamSkills | Baseline (same run) | Ratio / notes |");
        sb.AppendLine("|---|---|---|---|---|");
        // Parts' order, then each measure's sizes together: how the cost grows reads down the rows.
        var measures = rows.Select(r => r.Group).Distinct()
            .SelectMany(g => rows.Where(r => r.Group == g).Select(r => (r.Group, r.Measure)).Distinct()).ToList();
        foreach (var (group, measure) in measures)
        {
            var series = rows.Where(r => r.Group == group && r.Measure == measure).OrderBy(r => r.Size).ToList();
            var smallest = series[0];
            foreach (var r in series)
            {
                var notes = new List<string>();
                if (r.Baseline is double b && b > 0) notes.Add($"{Sig(r.Value / b)}× baseline{(r.HigherIsBetter ? " (higher is better)" : "")}");
                if (!ReferenceEquals(r, smallest) && smallest.Value > 0) notes.Add($"{Sig(r.Value / smallest.Value)}× the {K(smallest.Size)} figure");
                if (r.Note is { Length: > 0 } note) notes.Add(note);
                var baseline = r.Baseline is { } bv ? $"{r.BaselineName}: {Value(bv, r.Unit)}" : "";
                sb.AppendLine($"| {measure} | {K(r.Size)} | {Value(r.Value, r.Unit)} | {baseline} | {string.Join("; ", notes)} |");
            }
        }
        sb.AppendLine();
        sb.AppendLine("| Part | Exit | Took |");
        sb.AppendLine("|---|---|---|");
        foreach (var o in outcomes) sb.AppendLine($"| {o.Part.Name} | {(o.ExitCode == 0 ? "ok" : $"**FAILED ({o.ExitCode})**")} | {o.Elapsed.TotalSeconds:N0} s |");
        if (!postgres) sb.AppendLine("| PostgreSQL roster import | **not run**: TEAMSKILLS_TEST_POSTGRES unset (tests/bench.sh starts PostgreSQL) | |");
        if (!wrk) sb.AppendLine("| HTTP load (wrk) | **not run**: wrk missing (apt-get install -y wrk) | |");
        sb.AppendLine();
        sb.AppendLine("Each part ran in its own process, one after another; sizes are generated engineers (50 per team, about 4 completions " +
            "each). Live updates and wrk ran at 10k engineers; wrk -t2 -c50 with the app in its own process (API rate limit raised for the " +
            "load test). Clients, baselines and the app share the machine's cores, so figures move with whatever else runs.");
        return sb.ToString();
    }

    private static string S(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string K(long n) => n >= 1000 && n % 1000 == 0 ? $"{n / 1000}k" : n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Three significant figures or so: 0.0123, 0.123, 1.23, 12.3, 123, 1,234.</summary>
    private static string Sig(double v) => Math.Abs(v) switch
    {
        >= 100 => v.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => v.ToString("N1", CultureInfo.InvariantCulture),
        >= 1 => v.ToString("N2", CultureInfo.InvariantCulture),
        >= 0.1 => v.ToString("0.000", CultureInfo.InvariantCulture),
        _ => v.ToString("0.0000", CultureInfo.InvariantCulture),
    };

    private static string Value(double v, string unit) => $"{Sig(v)} {unit}";
}
