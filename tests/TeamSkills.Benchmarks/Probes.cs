using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;

namespace TeamSkills.Benchmarks;

/// <summary>The bare-SQLite baseline: the sqlite3 CLI importing the same CSV into a table with no constraints.</summary>
internal static class Sqlite3Cli
{
    private static string Exe => File.Exists("/usr/bin/sqlite3") ? "/usr/bin/sqlite3" : "sqlite3";

    /// <summary>Wall clock around the whole process (start, read, insert, commit, exit), as a user would time it.</summary>
    public static async Task<TimeSpan> ImportAsync(string database, string csv, string table, int expectedRows)
    {
        var elapsed = Stopwatch.StartNew();
        var (code, _, error) = await RunAsync(database, ".mode csv", $".import '{csv}' {table}");
        elapsed.Stop();
        if (code != 0 || error.Length > 0) throw new InvalidOperationException($"sqlite3 .import {table} failed ({code}): {error}");
        // .import creates the table from the header row, so the count is the data rows only.
        var (_, count, _) = await RunAsync(database, $"SELECT count(*) FROM {table};");
        if (int.Parse(count.Trim()) != expectedRows)
            throw new InvalidOperationException($"sqlite3 imported {count.Trim()} rows into {table}, expected {expectedRows}.");
        return elapsed.Elapsed;
    }

    public static async Task<string> VersionAsync() => (await RunAsync("--version")).Output.Split(' ')[0];

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start sqlite3.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, (await error).Trim());
    }
}

/// <summary>Resident memory of this process from /proc/self/status (Linux), in bytes.</summary>
internal static class Memory
{
    /// <summary>The heap settled before a timed step: a full compacting collection, finalizers run, and what they freed
    /// collected (as on a server whose other requests have allocated, and so collected, since its last large import).</summary>
    public static void SettleHeap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>The middle value of an odd number of timings.</summary>
    public static TimeSpan Median(IEnumerable<TimeSpan> timings)
    {
        var sorted = timings.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>VmHWM: the peak resident set since the process started (host, runtime and heap included).</summary>
    public static long PeakRss() => Read("VmHWM:");

    public static long CurrentRss() => Read("VmRSS:");

    /// <summary>The resident set's anonymous part (heaps, GC, malloc) and its file-backed part (mapped assemblies, native libraries).</summary>
    public static (long Anon, long File) RssParts() => (Read("RssAnon:"), Read("RssFile:"));

    /// <summary>Resets VmHWM to the current RSS (Linux: "5" to /proc/self/clear_refs), so a later peak is one phase's own.</summary>
    public static bool ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static long Read(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
    }

    public static string Mb(long bytes) => bytes < 0 ? "n/a" : $"{bytes / 1e6:N0} MB";
}

/// <summary>Cold call, warm-up, then timed samples of one GET; the body is read in full inside the timing.</summary>
internal sealed record Latency(double ColdMs, double P50Ms, double P95Ms, double MaxMs)
{
    public const int WarmUp = 5;
    public const int Samples = 30;

    public static async Task<Latency> MeasureAsync(HttpClient http, string path)
    {
        var cold = await TimeAsync(http, path);
        for (var i = 0; i < WarmUp; i++) await TimeAsync(http, path);
        var samples = new double[Samples];
        for (var i = 0; i < Samples; i++) samples[i] = await TimeAsync(http, path);
        Array.Sort(samples);
        return new Latency(cold, Percentile(samples, 0.50), Percentile(samples, 0.95), samples[^1]);
    }

    /// <summary>Nearest rank: p95 of 30 samples is the 29th smallest.</summary>
    private static double Percentile(double[] sorted, double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static async Task<double> TimeAsync(HttpClient http, string path)
    {
        var elapsed = Stopwatch.StartNew();
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        elapsed.Stop();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET {path} returned {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        return elapsed.Elapsed.TotalMilliseconds;
    }

    public string Warm => $"{P50Ms:N1} / {P95Ms:N1} / {MaxMs:N1} ms";
}

internal static class Machine
{
    public static string Describe(string sqlite3Version, string libraryVersion)
    {
        var memTotal = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var totalGb = long.Parse(memTotal["MemTotal:".Length..].Trim().Split(' ')[0]) * 1024 / 1e9;
        var sqlite = sqlite3Version == "-" ? "" : $", sqlite3 CLI {sqlite3Version}, app SQLite {libraryVersion}";
        return $"{Environment.ProcessorCount} cores (nproc), {totalGb:N1} GB RAM, {RuntimeInformation.OSDescription}, " +
               $"{RuntimeInformation.FrameworkDescription} ({Gc()}){sqlite}";
    }

    /// <summary>The collector in force, as the runtime reports it: "server GC, 1 heap" or "workstation GC".</summary>
    public static string Gc() =>
        GCSettings.IsServerGC && GC.GetConfigurationVariables().GetValueOrDefault("HeapCount") is { } heaps
            ? $"server GC, {heaps} heap{(Convert.ToInt64(heaps, System.Globalization.CultureInfo.InvariantCulture) == 1 ? "" : "s")}"
            : "workstation GC";
}
