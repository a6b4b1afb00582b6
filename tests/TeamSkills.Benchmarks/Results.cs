using System.Text.Json;

namespace TeamSkills.Benchmarks;

/// <summary>
/// One measured figure beside its baseline from the same run, as the --all driver collects it. Size is the number of
/// engineers in the generated organisation; Value and Baseline are in Unit.
/// </summary>
internal sealed record ResultRow(string Group, string Measure, long Size, double Value, double? Baseline, string Unit,
    string? BaselineName = null, string? Note = null, bool HigherIsBetter = false);

/// <summary>
/// Machine-readable result rows, one JSON object a line, appended to the file named by <c>--results FILE</c> (kept in
/// an environment variable so child processes, such as the export benchmark's measuring process, append to it too).
/// Without the option nothing is written and each benchmark only prints its own report.
/// </summary>
internal static class Results
{
    public const string Variable = "TEAMSKILLS_BENCH_RESULTS";
    private static readonly Lock Sync = new();

    /// <summary>Takes <c>--results FILE</c> out of the arguments and remembers it for this process and its children.</summary>
    public static string[] Configure(string[] args)
    {
        var i = Array.IndexOf(args, "--results");
        if (i < 0 || i + 1 >= args.Length) return args;
        Environment.SetEnvironmentVariable(Variable, Path.GetFullPath(args[i + 1]));
        return [.. args[..i], .. args[(i + 2)..]];
    }

    public static void Emit(ResultRow row)
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path)) return;
        lock (Sync) File.AppendAllText(path, JsonSerializer.Serialize(row) + "\n");
    }

    public static void Emit(string group, string measure, long size, double value, double? baseline, string unit,
        string? baselineName = null, string? note = null, bool higherIsBetter = false) =>
        Emit(new ResultRow(group, measure, size, value, baseline, unit, baselineName, note, higherIsBetter));

    public static List<ResultRow> Read(string path) => !File.Exists(path)
        ? []
        : File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<ResultRow>(l)!).ToList();
}
