using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// Faults a real deployment meets: the process killed mid-import, the database cut off or locked, the disk full.
/// Each checks that nothing is half-applied, that the client gets a clear answer, and that the app recovers by itself.
/// </summary>
public sealed class FaultTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SkippableTheory, DatabaseData]
    public async Task AKillDuringA100kRowImport_LeavesNothingApplied_AndTheSameImportThenSucceeds(DatabaseProvider provider)
    {
        var csv = LargeRoster(100_000, prefix: "K");
        var data = Path.Combine(Path.GetTempPath(), "teamskills-tests", $"kill-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        string? database = null;
        var env = new Dictionary<string, string>
        {
            // The same data directory for both processes (AppProcess's own is per start).
            ["TeamSkills__DataDirectory"] = data,
            ["TeamSkills__Auth__BootstrapApiKey"] = AppFactory.ApiKey,
            // No job server: the import is the only writer, so "a transaction is writing" means the import's.
            ["TeamSkills__Jobs__RunServer"] = "false",
        };
        if (provider == DatabaseProvider.PostgreSql)
        {
            database = TestDatabases.CreatePostgreSql();
            env["TeamSkills__Database__Provider"] = "PostgreSql";
            env["ConnectionStrings__TeamSkills"] = TestDatabases.PostgreSqlConnection(database);
        }
        AppProcess? first = null, second = null;
        try
        {
            var clock = Stopwatch.StartNew();
            first = await AppProcess.StartAsync("kill-a", env);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: first process up");
            Func<Task<bool>> writing = provider == DatabaseProvider.Sqlite
                ? WalGrowing(Path.Combine(data, "teamskills.db-wal"))
                : await PostgreSqlWritingAsync(database!);
            using var http = first.Api();
            http.Timeout = TimeSpan.FromMinutes(2);
            var upload = http.Upload("/api/imports/roster", csv, "roster-100k.csv");

            // Killed once the import's transaction is writing rows and has not committed.
            var watch = Stopwatch.StartNew();
            while (!await writing())
            {
                Assert.False(upload.IsCompleted, $"the import finished before it was seen writing: {await Describe(upload)}");
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(45), "the import was never seen writing");
                await Task.Delay(5);
            }
            Assert.False(upload.IsCompleted, $"the import finished before the kill: {await Describe(upload)}");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: writing seen {watch.Elapsed.TotalSeconds:F1} s after the upload began; killing");
            await first.DisposeAsync(); // Process.Kill: SIGKILL, no shutdown hooks
            first = null;
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => upload);

            second = await AppProcess.StartAsync("kill-b", env);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: second process up");
            var api = second.Api();
            api.Timeout = TimeSpan.FromMinutes(2);
            var teams = await api.GetAsync("/api/teams");
            Assert.Equal(HttpStatusCode.OK, teams.StatusCode);
            Assert.Equal(0, (await teams.JsonOf()).GetArrayLength());
            await using (var db = Open(provider, data, database))
            {
                Assert.Equal(0L, Count(db, "SELECT COUNT(*) FROM engineers"));
                Assert.Equal(0L, Count(db, "SELECT COUNT(*) FROM teams"));
                Assert.Equal(0L, Count(db, "SELECT COUNT(*) FROM imports"));
                Assert.Equal(0L, Count(db, "SELECT COUNT(*) FROM import_files"));
                if (provider == DatabaseProvider.Sqlite) Assert.Equal("ok", Text(db, "PRAGMA integrity_check"));
            }

            var again = await api.Upload("/api/imports/roster", csv, "roster-100k.csv");
            var body = await again.Content.ReadAsStringAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: the same import answered {(int)again.StatusCode}");
            Assert.True(again.StatusCode == HttpStatusCode.OK, $"{again.StatusCode}: {body}");
            var result = JsonDocument.Parse(body).RootElement;
            Assert.Equal(100_000, result.GetProperty("created").GetInt32());
            Assert.True(result.GetProperty("applied").GetBoolean());
            await using (var db = Open(provider, data, database))
            {
                Assert.Equal(100_000L, Count(db, "SELECT COUNT(*) FROM engineers"));
                Assert.Equal(1L, Count(db, "SELECT COUNT(*) FROM imports"));
            }
        }
        finally
        {
            if (first is not null) await first.DisposeAsync();
            if (second is not null) await second.DisposeAsync();
            SqliteConnection.ClearAllPools();
            if (database is not null) TestDatabases.DropPostgreSql(database);
            try { Directory.Delete(data, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [SkippableFact]
    public async Task ADatabaseCutOff_Answers503WithRetryAfter_AndRecoversWithoutARestart()
    {
        await using var app = new AppFactory(DatabaseProvider.PostgreSql);
        var direct = new Npgsql.NpgsqlConnectionStringBuilder(app.ConnectionString);
        await using var proxy = new TcpForwarder(direct.Host!, direct.Port);
        app.With("ConnectionStrings:TeamSkills", new Npgsql.NpgsqlConnectionStringBuilder(direct.ConnectionString)
        {
            Host = "127.0.0.1", Port = proxy.Port, Timeout = 5,
        }.ConnectionString);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var browser = await app.SignedInAdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/teams")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
        // Several requests at once leave several idle connections in the pool: each is a dead socket after the cut.
        var burst = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => api.GetAsync("/api/teams/1/gaps")));
        Assert.All(burst, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.True(proxy.Connections > 1, $"the app opened {proxy.Connections} connection(s) through the forwarder");

        proxy.Cut();
        var teams = await api.GetAsync("/api/teams");
        await AssertUnavailable(teams);
        var problem = await teams.JsonOf();
        Assert.Equal("Database unavailable", problem.GetProperty("title").GetString());
        Assert.Contains("Retry", problem.GetProperty("detail").GetString());
        var health = await api.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.NotNull(health.Headers.RetryAfter);
        // A page, and a write: the same answer, and the write changed nothing.
        await AssertUnavailable(await browser.GetAsync("/"));
        await AssertUnavailable(await api.UploadCsv("/api/imports/roster",
            Data.Roster("E6,Fay Fox,fay@example.com,Data,max@example.com,Data Engineer")));

        proxy.Restore();
        // The very next requests succeed: no restart, and no dead pooled connection left to fail on.
        var after = await api.GetAsync("/api/teams");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, (await after.JsonOf()).GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
        Assert.Equal(5L, app.Scalar("SELECT COUNT(*) FROM engineers"));
        var retried = await api.UploadCsv("/api/imports/roster", Data.Roster("E6,Fay Fox,fay@example.com,Data,max@example.com,Data Engineer"));
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(1, (await retried.JsonOf()).GetProperty("created").GetInt32());
    }

    [Fact]
    public async Task AWriteWhileTheSqliteFileIsLocked_Answers503WithRetryAfter_AndSucceedsOnceReleased()
    {
        await using var app = new AppFactory().With("TeamSkills:Database:BusyTimeoutSeconds", "1");
        var api = app.Api();
        api.Timeout = TimeSpan.FromSeconds(20); // a write waiting on the default 30 s would fail the test here
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var roster = Data.Roster("E6,Fay Fox,fay@example.com,Data,max@example.com,Data Engineer");
        var completion = new { employeeId = "E1", certification = "aiops-foundation", earnedOn = "2026-01-15" };

        await using (var holder = new SqliteConnection($"Data Source={app.DatabasePath};Pooling=False"))
        {
            await holder.OpenAsync();
            await using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                await begin.ExecuteNonQueryAsync();
            }
            var import = await api.UploadCsv("/api/imports/roster", roster);
            await AssertUnavailable(import);
            Assert.Equal("Database unavailable", (await import.JsonOf()).GetProperty("title").GetString());
            await AssertUnavailable(await api.PostAsJsonAsync("/api/completions", completion));
            // Reads carry on (WAL): only writers wait for the lock.
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/teams")).StatusCode);
            await using var rollback = holder.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }

        Assert.Equal(5L, app.Scalar("SELECT COUNT(*) FROM engineers"));
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM completions"));
        Assert.Equal(1L, app.Scalar("SELECT COUNT(*) FROM imports"));
        var retried = await api.UploadCsv("/api/imports/roster", roster);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(1, (await retried.JsonOf()).GetProperty("created").GetInt32());
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/completions", completion)).StatusCode);
        Assert.Equal(6L, app.Scalar("SELECT COUNT(*) FROM engineers"));
        Assert.Equal(1L, app.Scalar("SELECT COUNT(*) FROM completions"));
    }

    [SkippableFact]
    public async Task AFullDisk_DuringAnImportOrAnExport_Answers507_AndCorruptsNothing()
    {
        var data = Path.Combine(Path.GetTempPath(), "teamskills-tests", $"full-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var mount = Run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", data);
        var why = $"cannot mount a tmpfs for the data directory (needs root or CAP_SYS_ADMIN): {mount.Output}";
        if (mount.ExitCode != 0)
        {
            Directory.Delete(data);
            Assert.False(TestDatabases.InCi, why);
            Skip.If(true, why);
        }
        AppProcess? app = null;
        try
        {
            app = await AppProcess.StartAsync("full", new Dictionary<string, string>
            {
                ["TeamSkills__DataDirectory"] = data,
                ["TeamSkills__Auth__BootstrapApiKey"] = AppFactory.ApiKey,
                ["TeamSkills__Jobs__RunServer"] = "false",
            });
            var api = app.Api();
            var before = await api.Upload("/api/imports/roster", LargeRoster(5_000, prefix: "A"), "roster-5k.csv");
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            var bigger = LargeRoster(30_000, prefix: "B");
            var exports = Path.Combine(data, "exports");

            // Everything but 64 KB of the volume taken: the file the space went to, and what the database had.
            var filler = Path.Combine(data, "filler.bin");
            Fill(filler, leave: 64 * 1024);

            var import = await api.Upload("/api/imports/roster?mode=partial", bigger, "roster-30k.csv");
            await AssertDiskFull(import);
            await AssertDiskFull(await api.GetAsync("/api/reports/org.xlsx"));
            var job = await api.PostAsync("/api/reports/org.xlsx/jobs", null);
            Assert.Equal(HttpStatusCode.Accepted, job.StatusCode);
            var status = await FinishedAsync(api, (await job.JsonOf()).GetProperty("statusUrl").GetString()!);
            Assert.Equal("failed", status.GetProperty("phase").GetString());
            Assert.Contains("disk is full", status.GetProperty("error").GetString());
            // No partial workbook left behind holding space.
            Assert.Empty(Directory.Exists(exports) ? Directory.GetFiles(exports) : []);

            using (var db = OpenSqlite(data))
            {
                Assert.Equal("ok", Text(db, "PRAGMA integrity_check"));
                Assert.Equal(5_000L, Count(db, "SELECT COUNT(*) FROM engineers"));
                Assert.Equal(1L, Count(db, "SELECT COUNT(*) FROM imports"));
            }
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health")).StatusCode);

            File.Delete(filler);
            var retried = await api.Upload("/api/imports/roster?mode=partial", bigger, "roster-30k.csv");
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
            Assert.Equal(30_000, (await retried.JsonOf()).GetProperty("created").GetInt32());
            var workbook = await api.GetAsync("/api/reports/org.xlsx");
            Assert.Equal(HttpStatusCode.OK, workbook.StatusCode);
            Assert.True((await workbook.Content.ReadAsByteArrayAsync()).Length > 64 * 1024);
            using (var db = OpenSqlite(data))
            {
                Assert.Equal("ok", Text(db, "PRAGMA integrity_check"));
                Assert.Equal(35_000L, Count(db, "SELECT COUNT(*) FROM engineers"));
            }
        }
        finally
        {
            if (app is not null) await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            if (mount.ExitCode == 0) Run("umount", "-l", data);
            try { Directory.Delete(data, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task AssertUnavailable(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task AssertDiskFull(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.InsufficientStorage, $"{(int)response.StatusCode}: {body}");
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("Insufficient storage", problem.GetProperty("title").GetString());
        Assert.Contains("disk is full", problem.GetProperty("detail").GetString());
    }

    private static async Task<JsonElement> FinishedAsync(HttpClient api, string statusUrl)
    {
        JsonElement status = default;
        for (var i = 0; i < 300; i++)
        {
            status = await (await api.GetAsync(statusUrl)).JsonOf();
            if (status.GetProperty("phase").GetString() is "done" or "failed") break;
            await Task.Delay(50);
        }
        return status;
    }

    private static async Task<string> Describe(Task<HttpResponseMessage> upload) =>
        upload.IsCompletedSuccessfully ? $"{(int)upload.Result.StatusCode} {await upload.Result.Content.ReadAsStringAsync()}" : upload.Exception?.Message ?? "";

    /// <summary>SQLite: the import's uncommitted pages spill into the WAL as it inserts; 1 MB past where it stood is mid-write.</summary>
    private static Func<Task<bool>> WalGrowing(string wal)
    {
        var start = File.Exists(wal) ? new FileInfo(wal).Length : 0;
        return () => Task.FromResult(File.Exists(wal) && new FileInfo(wal).Length > start + (1 << 20));
    }

    /// <summary>PostgreSQL: the import's transaction has a transaction id (it has written teams or engineers) and is still open.</summary>
    private static async Task<Func<Task<bool>>> PostgreSqlWritingAsync(string database)
    {
        var conn = new Npgsql.NpgsqlConnection(TestDatabases.PostgreSqlConnection(database) + ";Pooling=false");
        await conn.OpenAsync();
        return async () =>
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() " +
                              "AND backend_xid IS NOT NULL AND query ~* '\\m(teams|engineers)\\M'";
            var writing = (long)(await cmd.ExecuteScalarAsync())! > 0;
            if (writing) await conn.DisposeAsync();
            return writing;
        };
    }

    private static System.Data.Common.DbConnection Open(DatabaseProvider provider, string data, string? database)
    {
        if (provider == DatabaseProvider.Sqlite) return OpenSqlite(data);
        var conn = new Npgsql.NpgsqlConnection(TestDatabases.PostgreSqlConnection(database!) + ";Pooling=false");
        conn.Open();
        return conn;
    }

    private static SqliteConnection OpenSqlite(string data)
    {
        var conn = new SqliteConnection($"Data Source={Path.Combine(data, "teamskills.db")};Mode=ReadWrite;Pooling=False");
        conn.Open();
        return conn;
    }

    private static long Count(System.Data.Common.DbConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static string? Text(System.Data.Common.DbConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar()?.ToString();
    }

    /// <summary>Writes <paramref name="path"/> until the volume is full, then gives back <paramref name="leave"/> bytes.</summary>
    private static void Fill(string path, long leave)
    {
        var chunk = new byte[1 << 20];
        Random.Shared.NextBytes(chunk);
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        for (var size = chunk.Length; size >= 4096; size /= 2)
        {
            try
            {
                while (true) file.Write(chunk, 0, size);
            }
            catch (IOException ex) when ((ex.HResult & 0xFFFF) == 28)
            {
                // ENOSPC: a smaller piece may still fit.
            }
        }
        file.SetLength(Math.Max(0, file.Length - leave));
    }

    private static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output.Trim());
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }

    /// <summary>
    /// A realistic roster of <paramref name="engineers"/> rows (as tests/TeamSkills.Benchmarks/DataGenerator.cs makes
    /// them: 50 per team, mapped titles and a few unmapped), ids and emails prefixed so two rosters do not collide.
    /// </summary>
    internal static byte[] LargeRoster(int engineers, string prefix)
    {
        string[] titles =
        [
            "Senior Site Reliability Engineer", "Site Reliability Engineer", "Platform Engineer", "Staff Platform Engineer",
            "DevOps Engineer II", "DevOps Engineer", "Data Engineer", "Cloud Engineer", "Senior Cloud Engineer",
            "Security Engineer", "FinOps Analyst", "Engineering Manager", "Technical Writer", "QA Analyst",
        ];
        string[] first = ["Alex", "Sam", "Priya", "Chen", "Maria", "Jonas", "Aisha", "Lukas", "Emma", "Noah", "Yuki", "Omar"];
        string[] last = ["Smith", "Garcia", "Patel", "Wang", "Muller", "Silva", "Khan", "Novak", "Rossi", "Berg", "Tanaka", "Lee"];
        string[] areas = ["Payments", "Search", "Checkout", "Identity", "Observability", "Storage", "Networking", "Mobile"];
        var rng = new Random(engineers);
        var teams = Math.Max(1, engineers / 50);
        var id = prefix.ToLowerInvariant();
        var csv = new StringBuilder(engineers * 120);
        csv.Append(Data.RosterHeader).Append('\n');
        for (var i = 1; i <= engineers; i++)
        {
            var team = rng.Next(teams);
            var (f, l) = (first[rng.Next(first.Length)], last[rng.Next(last.Length)]);
            csv.Append(CultureInfo.InvariantCulture,
                $"{prefix}{i:D6},{f} {l},{f.ToLowerInvariant()}.{l.ToLowerInvariant()}.{id}{i}@example.com,{areas[team % areas.Length]} {prefix}{team:D4},lead.{id}{team}@example.com,{titles[rng.Next(titles.Length)]}\n");
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }
}

/// <summary>
/// A TCP forwarder on a loopback port standing between the app and its database: <see cref="Cut"/> resets every
/// forwarded connection and refuses new ones, as a dropped network or a restarting server would; <see cref="Restore"/>
/// forwards again.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly string _host;
    private readonly int _port;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, Socket> _open = new();
    private readonly Task _accepting;
    private volatile bool _refusing;
    private int _connections;

    public TcpForwarder(string host, int port)
    {
        (_host, _port) = (host, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Connections forwarded so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public void Cut()
    {
        _refusing = true;
        foreach (var (client, server) in _open)
        {
            Reset(client);
            Reset(server);
        }
        _open.Clear();
    }

    public void Restore() => _refusing = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            if (_refusing)
            {
                Reset(client);
                continue;
            }
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try { await server.ConnectAsync(_host, _port, _stop.Token); }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                Reset(client);
                server.Dispose();
                continue;
            }
            Interlocked.Increment(ref _connections);
            _open[client] = server;
            _ = PumpAsync(client, server);
            _ = PumpAsync(server, client);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0) break;
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0); // close with RST, as a dead peer or a firewall would
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting;
        _stop.Dispose();
    }
}
