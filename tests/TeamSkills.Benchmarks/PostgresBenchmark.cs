using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Imports;

namespace TeamSkills.Benchmarks;

/// <summary>
/// A roster import on PostgreSQL through the app's handler (binary COPY inside the import's transaction) against
/// `psql \copy` of the same CSV into a bare table of text columns, in the same run, on the server tests/services.sh
/// started (TEAMSKILLS_TEST_POSTGRES). Usage: tests/bench.sh --postgres [--engineers N]
/// </summary>
internal static class PostgresBenchmark
{
    private const double RatioTarget = 3.0;
    private const int Rounds = 5;

    public static async Task<int> RunAsync(int engineers)
    {
        var server = Environment.GetEnvironmentVariable("TEAMSKILLS_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
        {
            Console.Error.WriteLine("TEAMSKILLS_TEST_POSTGRES is not set: run through tests/bench.sh, which starts PostgreSQL.");
            return 2;
        }
        var tmp = Directory.CreateTempSubdirectory("teamskills-bench-pg-").FullName;
        var databases = new List<string>();
        try
        {
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var data = DataGenerator.Write(tmp, engineers, 1, today);
            var version = await ScalarAsync(server, "SHOW server_version");

            string NewDatabase()
            {
                var name = "bench_" + Guid.NewGuid().ToString("N")[..12];
                Admin(server, $"CREATE DATABASE {name}");
                databases.Add(name);
                return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
            }

            // The app runs as on a server that has been up: one host (migrated and seeded at build), warmed by one import of
            // the same size (cold JIT, GC heap growth, the same code paths: a large load rebuilds indexes, a small one does
            // not). A host built for each round would run its start-up code again, and the runtime would still be
            // recompiling that code in the background during the measured import.
            var appDb = NewDatabase();
            await using var host = await BenchHost.BuildAsync(Path.Combine(tmp, "app"), appDb);
            await Benchmark.ImportAsync<RosterImport>(host, data.RosterPath, "full", (h, r, ct) => h.ExecuteAsync(r, ct));

            var app = new List<TimeSpan>();
            var copy = new List<TimeSpan>();
            var floor = new List<TimeSpan>();
            var rebuilt = new List<TimeSpan>();
            var backToBack = new List<TimeSpan>();
            for (var round = 0; round < Rounds; round++)
            {
                // Baseline: psql \copy into a bare table (no keys, no indexes, no validation), the whole psql process timed.
                var bare = NewDatabase();
                var header = File.ReadLines(data.RosterPath).First().Split(',');
                await ExecAsync(bare, $"CREATE TABLE roster ({string.Join(", ", header.Select(h => h + " text"))})");
                await QuietAsync(server);
                copy.Add(await PsqlCopyAsync(bare, data.RosterPath, engineers));

                // The app: the roster emptied (TRUNCATE: the tables as new, the identity sequences restarted), so each round
                // is a first load, the same as into a fresh database; the handler's ExecuteAsync timed. Twice:
                // - right after the previous round's import, with nothing collected between: the garbage of that import
                //   (100,000 parsed rows) is still on the heap and this one pays for collecting it (the worst case);
                // - then with the heap settled first (a full collection), as on a server where other requests have
                //   allocated, and so collected, since its last large import; psql's copy starts in a fresh process.
                async Task<TimeSpan> ImportAsync()
                {
                    await ExecAsync(appDb, "TRUNCATE engineers, teams RESTART IDENTITY CASCADE");
                    await QuietAsync(server);
                    var (response, elapsed) = await Benchmark.ImportAsync<RosterImport>(host, data.RosterPath, "full", (h, r, ct) => h.ExecuteAsync(r, ct));
                    Benchmark.Expect(response.Created == engineers, $"roster import created all {engineers} engineers: {response.Message}");
                    Benchmark.Expect(await CountAsync(appDb, "SELECT COUNT(*) FROM engineers") == engineers, "every engineer is in the database");
                    return elapsed;
                }
                backToBack.Add(await ImportAsync());
                Memory.SettleHeap();
                app.Add(await ImportAsync());

                // The schema row by row: the rows the app wrote, copied by psql into a twin of the engineers table (identity
                // key, unique employee_id, the same foreign keys to teams and roles); only the \copy is timed.
                var rows = Path.Combine(tmp, "engineers.csv");
                const string columns = "employee_id, name, email, title, normalized_title, role_id, team_id, manager_email, active, created_at, updated_at";
                await PsqlAsync(appDb, $"\\copy (SELECT {columns} FROM engineers ORDER BY employee_id) TO '{rows}' WITH (FORMAT csv)",
                    "CREATE TABLE engineers_floor (LIKE engineers INCLUDING ALL)",
                    "ALTER TABLE engineers_floor ADD FOREIGN KEY (team_id) REFERENCES teams (id), ADD FOREIGN KEY (role_id) REFERENCES roles (id)");
                await QuietAsync(server);
                floor.Add(await PsqlAsync(appDb, $"\\copy engineers_floor ({columns}) FROM '{rows}' WITH (FORMAT csv)"));

                // The database's share of the app's strategy, without the app: the same rows with their keys copied by psql
                // into a twin with no key or index, then the primary key, the unique index and both foreign keys built after,
                // in one transaction.
                var keyed = Path.Combine(tmp, "engineers-keyed.csv");
                await PsqlAsync(appDb, $"\\copy (SELECT id, {columns} FROM engineers ORDER BY id) TO '{keyed}' WITH (FORMAT csv)");
                await ExecAsync(appDb, "CREATE TABLE engineers_rebuilt (LIKE engineers INCLUDING DEFAULTS INCLUDING IDENTITY)");
                await QuietAsync(server);
                rebuilt.Add(await PsqlAsync(appDb, "BEGIN", $"\\copy engineers_rebuilt (id, {columns}) FROM '{keyed}' WITH (FORMAT csv)",
                    "ALTER TABLE engineers_rebuilt ADD PRIMARY KEY (id)",
                    "CREATE UNIQUE INDEX ON engineers_rebuilt (employee_id)",
                    "ALTER TABLE engineers_rebuilt ADD FOREIGN KEY (team_id) REFERENCES teams (id), ADD FOREIGN KEY (role_id) REFERENCES roles (id)",
                    "COMMIT"));

                // Nothing of this round left for autovacuum to work on during the next.
                await ExecAsync(appDb, "DROP TABLE engineers_floor, engineers_rebuilt");
                Admin(server, $"DROP DATABASE {new NpgsqlConnectionStringBuilder(bare).Database} WITH (FORCE)");
            }

            var floorMedian = Memory.Median(floor);
            var rebuiltMedian = Memory.Median(rebuilt);
            var appMedian = Memory.Median(app);
            var copyMedian = Memory.Median(copy);
            var backToBackMedian = Memory.Median(backToBack);
            var ratio = appMedian / copyMedian;
            Results.Emit("Import", $"Roster import, PostgreSQL (mode=full, heap settled, median of {Rounds})", engineers, appMedian.TotalSeconds, copyMedian.TotalSeconds, "s",
                "psql \\copy", $"{engineers / appMedian.TotalSeconds:N0} rows/s; PostgreSQL {version}");
            Console.WriteLine();
            Console.WriteLine($"## PostgreSQL roster import: {engineers:N0} engineers ({Memory.Mb(new FileInfo(data.RosterPath).Length)} CSV), median of {Rounds}");
            Console.WriteLine();
            Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version} ({Machine.Gc()}), PostgreSQL {version} on loopback (tests/services.sh: fsync off); each timed step starts after a CHECKPOINT with no autovacuum worker busy; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
            Console.WriteLine();
            Console.WriteLine("| Measure | TeamSkills | Baseline | Ratio | Target | Result |");
            Console.WriteLine("|---|---|---|---|---|---|");
            Console.WriteLine($"| Roster import, mode=full, {engineers:N0} rows, heap settled before it (binary COPY in the import's transaction; from 10,000 rows into a table no larger, indexes and foreign keys rebuilt around it; into an empty table, the primary key too) | {Benchmark.Rate(appMedian, engineers)} | psql \\copy into a bare table: {Benchmark.Rate(copyMedian, engineers)} | {ratio:N2}x | ≤ {RatioTarget:N0}x | {(ratio <= RatioTarget ? "met" : "NOT MET")} |");
            Console.WriteLine($"| The same import started right after the previous one, nothing collected between (its 100,000 parsed rows still on the heap) | {Benchmark.Rate(backToBackMedian, engineers)} | psql \\copy into a bare table | {backToBackMedian / copyMedian:N2}x | none | the worst case |");
            Console.WriteLine($"| Same rows, psql \\copy into a twin of the engineers table (identity key, unique index, foreign keys checked row by row) | {Benchmark.Rate(floorMedian, engineers)} | psql \\copy into a bare table | {floorMedian / copyMedian:N2}x | none | the schema, row by row |");
            Console.WriteLine($"| App over that | {appMedian / floorMedian:N2}x | | | | info |");
            Console.WriteLine($"| Same rows with their keys, psql \\copy into a twin with no key or index, then its primary key, unique index and foreign keys built after, one transaction (the app's strategy for a load into an empty table, database work alone) | {Benchmark.Rate(rebuiltMedian, engineers)} | psql \\copy into a bare table | {rebuiltMedian / copyMedian:N2}x | none | the database's share |");
            Console.WriteLine($"| App over that (parse, validate, diff, teams, audit, stored file) | {appMedian / rebuiltMedian:N2}x, +{(appMedian - rebuiltMedian).TotalSeconds:N2} s | | | | info |");
            Console.WriteLine($"| Each round: app / bare / floor / rebuilt / back-to-back | {string.Join(", ", app.Select((a, i) => $"{a.TotalSeconds:N2} / {copy[i].TotalSeconds:N2} / {floor[i].TotalSeconds:N2} / {rebuilt[i].TotalSeconds:N2} / {backToBack[i].TotalSeconds:N2} s"))} | | | | info |");
            Console.WriteLine();
            Console.WriteLine("The app's time is the handler's ExecuteAsync: parse, validate every row, resolve titles to roles, diff against the");
            Console.WriteLine("existing roster, COPY teams and engineers (dropping the engineers table's secondary indexes and foreign keys first");
            Console.WriteLine("and re-creating them after, when the load is at least as large as the table; the primary key too, and the keys");
            Console.WriteLine("pointing at it, when the table is empty), update managers, audit, commit.");
            Console.WriteLine("psql's is the whole process (start, connect, \\copy, exit) into a table with no keys or indexes. The app's");
            Console.WriteLine("main figure starts with its heap settled (a full collection before the import, like a server whose other");
            Console.WriteLine("requests have allocated since its last large import); the back-to-back row is the same import right after another.");
            return 0;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"BENCHMARK FAILED: {ex}");
            return 1;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            foreach (var db in databases) Admin(server, $"DROP DATABASE IF EXISTS {db} WITH (FORCE)");
            Directory.Delete(tmp, recursive: true);
        }
    }

    /// <summary>
    /// Before each timed step, the same conditions for all: a checkpoint (no dirty pages of earlier steps left to write),
    /// then no autovacuum worker busy (the tables earlier steps loaded trigger them), waiting up to 30 s.
    /// </summary>
    private static async Task QuietAsync(string server)
    {
        Admin(server, "CHECKPOINT");
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(30)
               && await CountAsync(server, "SELECT COUNT(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'") > 0)
            await Task.Delay(100);
    }

    private static async Task<TimeSpan> PsqlCopyAsync(string connection, string csv, int expectedRows)
    {
        var elapsed = await PsqlAsync(connection, $"\\copy roster FROM '{csv}' WITH (FORMAT csv, HEADER true)");
        Benchmark.Expect(await CountAsync(connection, "SELECT COUNT(*) FROM roster") == expectedRows, "psql copied every row");
        return elapsed;
    }

    /// <summary>psql with each command as its own -c, in one session; the whole process timed.</summary>
    private static async Task<TimeSpan> PsqlAsync(string connection, params string[] commands)
    {
        var b = new NpgsqlConnectionStringBuilder(connection);
        var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-h", b.Host!, "-p", b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", b.Username!, "-d", b.Database!, "-v", "ON_ERROR_STOP=1" })
            start.ArgumentList.Add(arg);
        foreach (var c in commands) { start.ArgumentList.Add("-c"); start.ArgumentList.Add(c); }
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        watch.Stop();
        if (process.ExitCode != 0) throw new InvalidOperationException($"psql failed: {await error}");
        return watch.Elapsed;
    }

    private static void Admin(string server, string sql)
    {
        using var conn = new NpgsqlConnection(server);
        conn.Open();
        using var cmd = new NpgsqlCommand(sql, conn);
        cmd.ExecuteNonQuery();
    }

    private static async Task ExecAsync(string connection, string sql)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(string connection, string sql) => Convert.ToInt64(await ScalarAsync(connection, sql));

    private static async Task<object?> ScalarAsync(string connection, string sql)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }
}
