using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// The hostile-input corpus in tests/corpus (files made by make.py, cases in manifest.json), read from the source
/// tree: the folder is found by walking up from the test binaries to TeamSkills.sln.
/// </summary>
public static class Corpus
{
    public static string Folder { get; } = Path.Combine(RepoRoot(), "tests", "corpus");

    private static readonly Lazy<IReadOnlyList<CorpusCase>> All = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        return doc.RootElement.GetProperty("cases").Deserialize<List<CorpusCase>>(Http.Json)!;
    });

    public static IReadOnlyList<CorpusCase> Cases => All.Value;

    public static CorpusCase Case(string name) => Cases.Single(c => c.Name == name);

    public static byte[] Read(string file) => File.ReadAllBytes(Path.Combine(Folder, file));

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TeamSkills.sln"))) return dir.FullName;
        throw new InvalidOperationException("TeamSkills.sln not found above " + AppContext.BaseDirectory);
    }

    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
}

/// <summary>A row or header cell made <see cref="Length"/> characters long at run time (too big to commit).</summary>
public sealed record CorpusGenerate(string Kind, string? Column, string? Header, int Length);

/// <summary>One entry of tests/corpus/manifest.json.</summary>
public sealed record CorpusCase(string Name, string? File, CorpusGenerate? Generate, string Endpoint, string? Query, int Status,
    string Contains, int? Line, string? Column, string Why)
{
    private static readonly string[] RosterColumns = ["employee_id", "name", "email", "team", "manager_email", "title"];
    private static readonly string[] RosterValues = ["H1", "Hal Hostile", "hal@example.com", "Platform", "mia@example.com", "SRE"];
    private static readonly string[] CompletionColumns = ["employee_id", "certification", "earned_on", "expires_on"];
    private static readonly string[] CompletionValues = ["E1", "aiops-foundation", "2025-01-01", ""];

    public string Url => $"/api/imports/{Endpoint}{Query}";

    /// <summary>The bytes to upload, the file name and content type to send them under.</summary>
    public (byte[] Content, string FileName, string ContentType) Build()
    {
        if (File is not null)
            return (Corpus.Read(File), File, File.EndsWith(".xlsx", StringComparison.Ordinal) ? Corpus.XlsxType : "text/csv");
        var g = Generate ?? throw new InvalidOperationException($"corpus case {Name} has neither file nor generate");
        var roster = g.Kind == "roster";
        var header = (roster ? RosterColumns : CompletionColumns).ToArray();
        var values = (roster ? RosterValues : CompletionValues).ToArray();
        var csv = new StringBuilder();
        if (g.Header is not null)
        {
            // '_' is ignored when headers are matched: the padded header still means this column, and the rows
            // below (which leave it empty) each earn an error that names it.
            var i = Array.IndexOf(header, g.Header);
            var email = Array.IndexOf(header, "email");
            header[i] += new string('_', g.Length);
            csv.AppendJoin(',', header).Append('\n');
            values[i] = "";
            for (var row = 0; row < 20; row++)
            {
                if (email >= 0) values[email] = $"h{row}@example.com";
                csv.AppendJoin(',', values).Append('\n');
            }
        }
        else
        {
            values[Array.IndexOf(header, g.Column)] = new string('x', g.Length);
            csv.AppendJoin(',', header).Append('\n').AppendJoin(',', values).Append('\n');
        }
        return (Encoding.UTF8.GetBytes(csv.ToString()), Name + ".csv", "text/csv");
    }

    public override string ToString() => Name;
}

/// <summary>Every log entry the app writes (after its configured level filters), for tests that count them.</summary>
public sealed class LogRecorder : ILoggerProvider
{
    public sealed record Entry(LogLevel Level, string Category, string Message, Exception? Exception);

    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    public int Count => _entries.Count;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogRecorder owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue(new Entry(logLevel, category, formatter(state, exception), exception));
    }
}

/// <summary>What a hostile request must not change: counts, stored text, the data version, and the API's view of it.</summary>
public static class DataFingerprint
{
    public static async Task<string> OfAsync(AppFactory app, HttpClient api)
    {
        var counts = string.Join("|",
            app.Scalar("SELECT COUNT(*) FROM engineers"),
            app.Scalar("SELECT COUNT(*) FROM engineers WHERE active"),
            app.Scalar("SELECT COUNT(*) FROM teams"),
            app.Scalar("SELECT COUNT(*) FROM completions"),
            app.Scalar("SELECT COALESCE(SUM(LENGTH(name) + LENGTH(email) + COALESCE(LENGTH(title), 0) + team_id), 0) FROM engineers"),
            app.Scalar("SELECT COALESCE(SUM(LENGTH(name)), 0) FROM teams"),
            app.Scalar("SELECT value FROM app_state WHERE key = 'data_version'"));
        var teams = await api.GetAsync("/api/teams");
        Assert.Equal(System.Net.HttpStatusCode.OK, teams.StatusCode);
        var json = await teams.Content.ReadAsStringAsync();
        var text = new StringBuilder(json);
        foreach (var team in JsonDocument.Parse(json).RootElement.EnumerateArray())
            text.Append(await api.GetStringAsync($"/api/teams/{team.GetProperty("id").GetInt32()}/gaps"));
        return counts + "|" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
