using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// Scale-out as docker-compose runs it, on loopback: two real app processes (the built TeamSkills.Web) sharing one
/// PostgreSQL database and one Redis, as tests/run.sh starts them.
/// </summary>
public sealed class MultiInstanceTests : IAsyncLifetime
{
    private string _database = "";
    private AppProcess _a = null!, _b = null!;

    public async Task InitializeAsync()
    {
        var redis = TestDatabases.RequireServer(TestDatabases.RedisVariable, "Redis");
        _database = TestDatabases.CreatePostgreSql();
        var shared = new Dictionary<string, string>
        {
            ["TeamSkills__Database__Provider"] = "PostgreSql",
            ["ConnectionStrings__TeamSkills"] = TestDatabases.PostgreSqlConnection(_database),
            ["TeamSkills__Redis"] = redis,
            ["TeamSkills__Auth__BootstrapApiKey"] = AppFactory.ApiKey,
            ["TeamSkills__Jobs__RunServer"] = "true",
        };
        // A migrates; B starts once A is healthy and does not (as app1/app2 in docker-compose.yml).
        _a = await AppProcess.StartAsync("a", shared);
        _b = await AppProcess.StartAsync("b", new Dictionary<string, string>(shared) { ["TeamSkills__Database__MigrateOnStart"] = "false" });
    }

    public async Task DisposeAsync()
    {
        if (_a is not null) await _a.DisposeAsync();
        if (_b is not null) await _b.DisposeAsync();
        if (_database.Length > 0) TestDatabases.DropPostgreSql(_database);
    }

    [Fact]
    public async Task AClientOnB_ReceivesTheLiveUpdate_ForAnImportMadeThroughA()
    {
        var (hub, updates) = await RedisOutageTests.ListenAsync(_b);
        await using var _ = hub;

        var response = await _a.Api().UploadCsv("/api/imports/roster", Data.Roster());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var engineers = new Dictionary<string, int>();
        while (engineers.Count < 2)
        {
            var message = await updates.Reader.ReadAsync(timeout.Token);
            engineers[message.GetProperty("teamName").GetString()!] = message.GetProperty("engineerCount").GetInt32();
        }
        Assert.Equal(3, engineers["Platform"]);
        Assert.Equal(2, engineers["Data"]);
        // B serves the imported data too: one database, and B's gap index follows its data version.
        var onB = await (await _b.Api().GetAsync("/api/teams")).JsonOf();
        Assert.Equal(2, onB.GetArrayLength());
    }

    [Fact]
    public async Task ASignInCookieIssuedByA_WorksOnB()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var browser = new HttpClient(handler) { BaseAddress = _a.BaseAddress };
        var page = await browser.GetAsync("/signin");
        var antiforgery = Cookies(page);
        var form = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["key"] = AppFactory.ApiKey, ["returnUrl"] = "/",
                ["__RequestVerificationToken"] = TestUsers.Token(await page.Content.ReadAsStringAsync()),
            }),
        };
        form.Headers.Add("Cookie", antiforgery);
        var signIn = await browser.SendAsync(form);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var session = Cookies(signIn);
        Assert.Contains("teamskills.auth=", session, StringComparison.Ordinal);

        // The same cookie, sent to B: B opens it with the key ring A wrote to the database.
        var onB = new HttpRequestMessage(HttpMethod.Get, new Uri(_b.BaseAddress, "/audit"));
        onB.Headers.Add("Cookie", session);
        var response = await browser.SendAsync(onB);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Audit", await response.Content.ReadAsStringAsync());

        // And without it B sends the browser to sign in: the 200 above was the cookie's doing.
        var anonymous = await browser.GetAsync(new Uri(_b.BaseAddress, "/audit"));
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
    }

    [Fact]
    public async Task ARecurringJob_FiresOnceAcrossBothInstances()
    {
        // Every minute, in UTC: both instances' Hangfire servers poll the same schedule.
        var put = await _a.Api().PutAsJsonAsync("/api/jobs/coverage-snapshot", new { cron = "* * * * *", timeZone = "Etc/UTC" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        await using var conn = new Npgsql.NpgsqlConnection(TestDatabases.PostgreSqlConnection(_database));
        await conn.OpenAsync();
        async Task<List<(DateTime Minute, long Jobs)>> PerMinuteAsync()
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT date_trunc('minute', createdat) AS m, COUNT(*) FROM hangfire.job " +
                              "WHERE invocationdata::text LIKE '%CoverageSnapshotJob%' GROUP BY m ORDER BY m";
            var rows = new List<(DateTime, long)>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add((reader.GetDateTime(0), reader.GetInt64(1)));
            return rows;
        }

        // A scheduled minute passes (at most a minute plus Hangfire's polling)...
        var watch = Stopwatch.StartNew();
        List<(DateTime Minute, long Jobs)> perMinute;
        do
        {
            await Task.Delay(1000);
            perMinute = await PerMinuteAsync();
        } while (perMinute.Count < 1 && watch.Elapsed < TimeSpan.FromSeconds(100));
        // ...and then long enough for the other instance's scheduler (it polls every 15 s) to have fired it too.
        await Task.Delay(TimeSpan.FromSeconds(20));
        perMinute = await PerMinuteAsync();

        Assert.True(perMinute.Count >= 1, $"the job never fired within {watch.Elapsed.TotalSeconds:F0} s");
        Assert.All(perMinute, m => Assert.True(m.Jobs == 1, $"{m.Jobs} runs in the minute {m.Minute:HH:mm}"));
        // Both servers were up and polling: each registered itself in the shared storage.
        await using var servers = conn.CreateCommand();
        servers.CommandText = "SELECT COUNT(*) FROM hangfire.server";
        Assert.Equal(2L, (long)(await servers.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task ARecurringJobDeletedInTheSharedStorage_IsRestoredByOneInstance_AndTheOtherListsIt()
    {
        // The dashboard's Delete, as Hangfire's own API does it, on the storage both instances share.
        var options = new Hangfire.PostgreSql.PostgreSqlStorageOptions { SchemaName = "hangfire", PrepareSchemaIfNecessary = false };
        var storage = new Hangfire.PostgreSql.PostgreSqlStorage(
            new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(TestDatabases.PostgreSqlConnection(_database), options), options);
        new Hangfire.RecurringJobManager(storage).RemoveIfExists("lnd-report");

        var trigger = await _b.Api().PostAsync("/api/jobs/lnd-report/trigger", null);
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        var body = JsonDocument.Parse(await trigger.Content.ReadAsStringAsync()).RootElement;
        Assert.False(string.IsNullOrEmpty(body.GetProperty("backgroundJobId").GetString()));
        Assert.True(body.GetProperty("restored").GetBoolean());

        var jobs = JsonDocument.Parse(await _a.Api().GetStringAsync("/api/jobs")).RootElement;
        var lnd = jobs.EnumerateArray().Single(j => j.GetProperty("id").GetString() == "lnd-report");
        Assert.False(lnd.GetProperty("restored").GetBoolean()); // B already put it back, for both
        Assert.Equal("0 7 1 * *", lnd.GetProperty("cron").GetString());
        Assert.NotEqual(JsonValueKind.Null, lnd.GetProperty("nextRun").ValueKind);
    }

    private static string Cookies(HttpResponseMessage response) =>
        string.Join("; ", response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.Select(v => v.Split(';')[0]) : []);
}

/// <summary>The built app (artifacts/bin/TeamSkills.Web) as its own process on a free loopback port.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();
    public Uri BaseAddress { get; }
    public string DataDirectory { get; }

    private AppProcess(Process process, Uri baseAddress, string dataDirectory)
    {
        _process = process;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<AppProcess> StartAsync(string name, IReadOnlyDictionary<string, string> environment)
    {
        var dll = WebDll();
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var data = Path.Combine(Path.GetTempPath(), "teamskills-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["TeamSkills__DataDirectory"] = data;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in environment) start.Environment[k] = v;
        var process = Process.Start(start)!;
        var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}"), data);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (app._output) app._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (app._output) app._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited) break;
            try
            {
                if ((await http.GetAsync("/health")).StatusCode == HttpStatusCode.OK) return app;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        var output = app.Output;
        await app.DisposeAsync();
        throw new InvalidOperationException($"App process {name} did not answer /health within 90 s:\n{output}");
    }

    public HttpClient Api()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", AppFactory.ApiKey);
        return client;
    }

    /// <summary>TeamSkills.Web.dll built in the same configuration as these tests.</summary>
    private static string WebDll()
    {
#if DEBUG
        const string configuration = "debug";
#else
        const string configuration = "release";
#endif
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TeamSkills.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var dll = Path.Combine(dir.FullName, "artifacts", "bin", "TeamSkills.Web", configuration, "TeamSkills.Web.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first (tests/run.sh does).");
        return dll;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Redis down under two instances (a Redis of this test's own, so it can be stopped): each instance keeps serving its
/// pages, API and its own live clients, during the outage and after Redis returns.
/// </summary>
public sealed class RedisOutageTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private string _database = "";
    private int _redisPort;
    private string _redisDir = "";
    private Process? _redis;
    private AppProcess _a = null!, _b = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists("/usr/bin/redis-server") || !TestDatabases.InCi, "redis-server is missing (Debian package redis-server; tests/run.sh installs it)");
        Skip.IfNot(File.Exists("/usr/bin/redis-server"), "redis-server is not installed");
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        _redisPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _redisDir = Directory.CreateTempSubdirectory("teamskills-redis-").FullName;
        await StartRedisAsync();
        _database = TestDatabases.CreatePostgreSql();
        var shared = new Dictionary<string, string>
        {
            ["TeamSkills__Database__Provider"] = "PostgreSql",
            ["ConnectionStrings__TeamSkills"] = TestDatabases.PostgreSqlConnection(_database),
            ["TeamSkills__Redis"] = $"127.0.0.1:{_redisPort}",
            ["TeamSkills__Auth__BootstrapApiKey"] = AppFactory.ApiKey,
            ["TeamSkills__Jobs__RunServer"] = "false",
        };
        _a = await AppProcess.StartAsync("a", shared);
        _b = await AppProcess.StartAsync("b", new Dictionary<string, string>(shared) { ["TeamSkills__Database__MigrateOnStart"] = "false" });
    }

    private async Task StartRedisAsync()
    {
        _redis = Process.Start(new ProcessStartInfo("/usr/bin/redis-server",
            ["--bind", "127.0.0.1", "--port", _redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--dir", _redisDir])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _redisPort);
                return;
            }
            catch (System.Net.Sockets.SocketException) { await Task.Delay(50); }
        }
        throw new InvalidOperationException("redis-server did not start");
    }

    /// <summary>What Redis says is subscribed (redis-cli PUBSUB CHANNELS), for the test output.</summary>
    private Task<string> RedisChannelsAsync() => RedisCliAsync("PUBSUB", "CHANNELS");

    private async Task<string> RedisCliAsync(params string[] command)
    {
        var cli = Process.Start(new ProcessStartInfo("redis-cli", ["-p", _redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture), .. command])
        { RedirectStandardOutput = true })!;
        var text = await cli.StandardOutput.ReadToEndAsync();
        await cli.WaitForExitAsync();
        return string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    private async Task StopRedisAsync()
    {
        _redis!.Kill();
        await _redis.WaitForExitAsync();
        _redis.Dispose();
        _redis = null;
    }

    public async Task DisposeAsync()
    {
        if (_a is not null) await _a.DisposeAsync();
        if (_b is not null) await _b.DisposeAsync();
        if (_redis is not null) await StopRedisAsync();
        if (_database.Length > 0) TestDatabases.DropPostgreSql(_database);
        if (_redisDir.Length > 0) Directory.Delete(_redisDir, recursive: true);
    }

    /// <summary>A SignalR client on the instance with the bootstrap key, collecting gapSummaryUpdated.</summary>
    internal static async Task<(HubConnection Hub, Channel<JsonElement> Updates)> ListenAsync(AppProcess app)
    {
        var updates = Channel.CreateUnbounded<JsonElement>();
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(app.BaseAddress, "/hubs/gaps"), o =>
            {
                o.Headers["X-Api-Key"] = AppFactory.ApiKey;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .Build();
        hub.On<JsonElement>("gapSummaryUpdated", m => updates.Writer.TryWrite(m));
        await hub.StartAsync();
        // StartAsync returns at the handshake, before the server has put the connection in its groups (OnConnectedAsync,
        // which subscribes on Redis); the server answers invocations only after that, so this waits for it.
        await hub.InvokeAsync<JsonElement>("GetSummaries");
        return (hub, updates);
    }

    private static void Drain(Channel<JsonElement> updates)
    {
        while (updates.Reader.TryRead(out _)) { }
    }

    /// <summary>Waits for an update whose team has the given engineer count; false on timeout.</summary>
    private static async Task<bool> ReceivesAsync(Channel<JsonElement> updates, string team, int engineers, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            while (true)
            {
                var m = await updates.Reader.ReadAsync(timeout.Token);
                if (m.GetProperty("teamName").GetString() == team && m.GetProperty("engineerCount").GetInt32() == engineers) return true;
            }
        }
        catch (OperationCanceledException) { return false; }
    }

    [SkippableFact]
    public async Task RedisDown_EachInstanceServesItsOwnClients_AndKeepsServingWhenItReturns()
    {
        Assert.Equal(HttpStatusCode.OK, (await _a.Api().UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var (hubA, onA) = await ListenAsync(_a);
        var (hubB, onB) = await ListenAsync(_b);
        await using var _ha = hubA;
        await using var _hb = hubB;
        output.WriteLine($"Redis channels before the outage: {await RedisChannelsAsync()}");

        await StopRedisAsync();
        // An import through A while Redis is down: committed, A's own client hears it, B keeps serving the new data.
        var withE6 = Data.Roster("E6,Fay Ford,fay@example.com,Data,max@example.com,Data Engineer");
        Assert.Equal(HttpStatusCode.OK, (await _a.Api().UploadCsv("/api/imports/roster", withE6)).StatusCode);
        Assert.True(await ReceivesAsync(onA, "Data", 3, TimeSpan.FromSeconds(10)), "A's own client heard nothing while Redis was down");
        var dataOnB = (await (await _b.Api().GetAsync("/api/teams")).JsonOf()).EnumerateArray().Single(t => t.GetProperty("name").GetString() == "Data");
        Assert.Equal(3, dataOnB.GetProperty("engineerCount").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await new HttpClient().GetAsync(new Uri(_b.BaseAddress, "/health"))).StatusCode);

        // Redis back on the same port: both instances keep serving, and the backplane reconnects by itself. An import
        // through A every 3 s (one more Data engineer each time) until B's client, connected before the outage,
        // hears one: messages published while an instance is still reconnecting are lost (Redis pub/sub keeps
        // nothing), so the first import after the restart may go unheard; later ones must not.
        await StartRedisAsync();
        var extra = new List<string> { "E6,Fay Ford,fay@example.com,Data,max@example.com,Data Engineer" };
        var clock = Stopwatch.StartNew();
        var heardOnB = -1;
        while (heardOnB < 0 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var n = extra.Count + 1;
            extra.Add($"E{n + 5},Gus Gray {n},gus{n}@example.com,Data,max@example.com,Data Engineer");
            Assert.Equal(HttpStatusCode.OK, (await _a.Api().UploadCsv("/api/imports/roster", Data.Roster([.. extra]))).StatusCode);
            var count = 2 + extra.Count;
            Assert.True(await ReceivesAsync(onA, "Data", count, TimeSpan.FromSeconds(15)), $"A's own client did not hear Data={count} after Redis returned");
            if (await ReceivesAsync(onB, "Data", count, TimeSpan.FromSeconds(3))) heardOnB = count;
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s after the restart: Data={count}, B heard it: {heardOnB == count}");
        }
        if (heardOnB < 0)
        {
            output.WriteLine($"hub A {hubA.State}, hub B {hubB.State}; Redis channels: {await RedisChannelsAsync()}");
            output.WriteLine("B's output:\n" + _b.Output);
        }
        Assert.Equal(HubConnectionState.Connected, hubB.State);
        Assert.True(heardOnB > 0, "B's client heard none of A's imports within 60 s of Redis returning");

        // From then on, every import through A reaches B's client at once.
        extra.Add("E99,Hal Hart,hal@example.com,Data,max@example.com,Data Engineer");
        Assert.Equal(HttpStatusCode.OK, (await _a.Api().UploadCsv("/api/imports/roster", Data.Roster([.. extra]))).StatusCode);
        Assert.True(await ReceivesAsync(onB, "Data", 2 + extra.Count, TimeSpan.FromSeconds(5)), "B's client missed an import made after the backplane was back");
        var afterOnB = (await (await _b.Api().GetAsync("/api/teams")).JsonOf()).EnumerateArray().Single(t => t.GetProperty("name").GetString() == "Data");
        Assert.Equal(2 + extra.Count, afterOnB.GetProperty("engineerCount").GetInt32());
    }
}

/// <summary>TeamSkills:Redis set but nothing listening: the app still starts and serves (README: Redis down at start).</summary>
public sealed class RedisDownAtStartTests
{
    [Fact]
    public async Task RedisUnreachableAtStart_TheAppStartsAndServes_AndAnImportStillApplies()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop(); // nothing listens there now
        await using var app = new AppFactory().With("TeamSkills:Redis", $"127.0.0.1:{closed},connectTimeout=500");
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        Assert.Equal(2, (await (await api.GetAsync("/api/teams")).JsonOf()).GetArrayLength()); // Platform and Data
    }
}
