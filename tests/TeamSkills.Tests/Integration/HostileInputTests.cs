using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// One app per database provider for the whole corpus: a known roster and completions loaded once, then every
/// hostile upload in turn against the same data, which must come out of all of them unchanged.
/// </summary>
public sealed class HostileApps : IAsyncLifetime
{
    private readonly Dictionary<DatabaseProvider, Task<(AppFactory App, LogRecorder Logs)>> _apps = [];

    public Task<(AppFactory App, LogRecorder Logs)> GetAsync(DatabaseProvider provider)
    {
        lock (_apps)
        {
            if (!_apps.TryGetValue(provider, out var app)) _apps[provider] = app = StartAsync(provider);
            return app;
        }
    }

    private static async Task<(AppFactory, LogRecorder)> StartAsync(DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.PostgreSql) TestDatabases.RequireServer(TestDatabases.PostgresVariable, "PostgreSQL");
        var logs = new LogRecorder();
        var app = new AppFactory(provider) { TestServices = s => s.AddSingleton<ILoggerProvider>(logs) };
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/completions", Data.Completions(), "completions.csv")).StatusCode);
        return (app, logs);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps.Values.Where(a => a.IsCompletedSuccessfully))
            await app.Result.App.DisposeAsync();
    }
}

/// <summary>
/// Every case of tests/corpus/manifest.json on SQLite and PostgreSQL: the status it names, a ProblemDetails that
/// says what is wrong (and where: line and column when the manifest gives them), a small body, no data change,
/// nothing logged as an error, and /health still 200.
/// </summary>
public sealed class HostileInputTests(HostileApps apps) : IClassFixture<HostileApps>
{
    public static TheoryData<DatabaseProvider, string> Cases()
    {
        var data = new TheoryData<DatabaseProvider, string>();
        foreach (var provider in new[] { DatabaseProvider.Sqlite, DatabaseProvider.PostgreSql })
            foreach (var c in Corpus.Cases) data.Add(provider, c.Name);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task HostileUpload_GetsAClearAnswer_ChangesNothing_AndTheServerStaysHealthy(DatabaseProvider provider, string name)
    {
        var c = Corpus.Case(name);
        var (app, logs) = await apps.GetAsync(provider);
        var api = app.Api();
        var before = await DataFingerprint.OfAsync(app, api);
        var errorsBefore = logs.Entries.Count(e => e.Level >= LogLevel.Error);

        var (content, fileName, contentType) = c.Build();
        var response = await api.Upload(c.Url, content, fileName, contentType);
        var text = await response.Content.ReadAsStringAsync();
        var shown = text.Length > 2000 ? text[..2000] + "..." : text;
        Assert.True((int)response.StatusCode == c.Status, $"{c.Name} ({c.Why}): expected {c.Status}, got {(int)response.StatusCode}: {shown}");
        // A clear error is a short one: nothing in the file is echoed back at length.
        Assert.True(text.Length < 64 * 1024, $"{c.Name}: the answer is {text.Length} characters long: {shown}");

        var body = JsonDocument.Parse(text).RootElement;
        if (c.Status != 200)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()));
            Assert.False(body.GetProperty("applied").GetBoolean());
        }
        var errors = body.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Array
            ? e.EnumerateArray().Select(x => (Line: x.GetProperty("line").GetInt32(), Column: x.GetProperty("column").GetString(),
                Message: x.GetProperty("message").GetString() ?? "")).ToList()
            : [];
        var messages = errors.Select(x => x.Message)
            .Append(body.TryGetProperty("detail", out var d) ? d.GetString() : null)
            .Append(body.TryGetProperty("message", out var m) ? m.GetString() : null)
            .OfType<string>().ToList();
        Assert.True(messages.Any(x => x.Contains(c.Contains, StringComparison.Ordinal)),
            $"{c.Name}: no message contains \"{c.Contains}\": {shown}");
        if (c.Line is { } line)
            Assert.True(errors.Any(x => x.Line == line && (c.Column is null || x.Column == c.Column)),
                $"{c.Name}: no error on line {line}{(c.Column is null ? "" : $", column {c.Column}")}: {shown}");

        Assert.Equal(before, await DataFingerprint.OfAsync(app, api));
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health")).StatusCode);
        var newErrors = logs.Entries.Where(x => x.Level >= LogLevel.Error).Skip(errorsBefore).ToList();
        Assert.True(newErrors.Count == 0, $"{c.Name}: the app logged errors: {string.Join("; ", newErrors.Select(x => x.Message))}");
    }

    [Fact]
    public void Manifest_ListsEveryCorpusFile_AndEveryListedFileExists()
    {
        var own = new HashSet<string> { "manifest.json", "make.py", "README.md" };
        var files = Directory.GetFiles(Corpus.Folder).Select(Path.GetFileName).OfType<string>().Where(f => !own.Contains(f)).ToHashSet();
        var listed = Corpus.Cases.Select(c => c.File).OfType<string>().ToHashSet();
        Assert.Empty(files.Except(listed));
        Assert.Empty(listed.Except(files));
        Assert.Equal(Corpus.Cases.Count, Corpus.Cases.Select(c => c.Name).Distinct().Count());
        Assert.All(Corpus.Cases, c => Assert.True((c.File is null) != (c.Generate is null), c.Name));
        Assert.All(Corpus.Cases, c => Assert.Contains(c.Endpoint, new[] { "roster", "completions" }));
        // Committed files stay small: the big inputs are made at run time or inflate from a few KB.
        Assert.All(Directory.GetFiles(Corpus.Folder), f => Assert.True(new FileInfo(f).Length < 256 * 1024, f));
    }
}
