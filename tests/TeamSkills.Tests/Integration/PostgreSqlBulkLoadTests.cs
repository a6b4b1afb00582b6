using System.Diagnostics;
using System.Net;
using Npgsql;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Imports;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// PostgreSQL's large-load path: an import at least as large as the table drops the table's secondary indexes and
/// foreign keys, COPYs, and re-creates them in the same transaction. These check that the schema comes back exactly
/// as it was and still enforces what it enforced, that a load that cannot get its locks goes row by row instead,
/// and that a load into a larger table never rebuilds it.
/// </summary>
public sealed class PostgreSqlBulkLoadTests
{
    private const int Large = 12_000; // above the 10,000-row threshold

    [SkippableFact]
    public async Task ALargeImportIntoAnEmptyRoster_RebuildsTheIndexesAndForeignKeysExactlyAsTheyWere()
    {
        await using var app = new AppFactory(DatabaseProvider.PostgreSql);
        using var api = app.Api();
        var before = Schema(app);
        Assert.Contains(before, d => d.Contains("UNIQUE INDEX", StringComparison.Ordinal)); // the employee_id index
        Assert.Equal(2, before.Count(d => d.Contains("FOREIGN KEY", StringComparison.Ordinal)));
        var oids = Oids(app);
        // Into an empty table the primary key is rebuilt too, with completions' foreign key that points at it.
        var completionsBefore = Schema(app, "completions");
        Assert.Contains(completionsBefore, d => d.Contains("REFERENCES engineers(id)", StringComparison.Ordinal));
        var primaryKey = app.Scalar("SELECT indexrelid::bigint FROM pg_index WHERE indrelid = 'engineers'::regclass AND indisprimary");
        var pointing = app.Scalar("SELECT oid::bigint FROM pg_constraint WHERE confrelid = 'engineers'::regclass AND conrelid = 'completions'::regclass");

        var response = await api.Upload("/api/imports/roster", FaultTests.LargeRoster(Large, "B"), "roster.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.JsonOf();
        Assert.Equal(Large, json.GetProperty("created").GetInt32());
        Assert.Equal(Large / 50, json.GetProperty("newTeamCount").GetInt32());
        Assert.Equal("Checkout B0002", json.GetProperty("newTeams")[0].GetString());
        Assert.Equal(Large, app.Scalar("SELECT COUNT(*) FROM engineers"));
        // Every new team has its manager: every engineer of team N names lead.bN.
        Assert.Equal(Large / 50, app.Scalar("SELECT COUNT(*) FROM teams WHERE name LIKE '% B____'"));
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM teams t WHERE t.name LIKE '% B____' AND t.manager_email IS DISTINCT FROM " +
            "'lead.b' || CAST(right(t.name, 4) AS integer) || '@example.com'"));
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM engineers e JOIN teams t ON t.id = e.team_id WHERE e.manager_email <> t.manager_email"));

        Assert.Equal(before, Schema(app));
        Assert.Equal(completionsBefore, Schema(app, "completions"));
        // Re-created, not left alone: every secondary index and foreign key has a new object id.
        Assert.Empty(Oids(app).Intersect(oids));
        Assert.NotEqual(primaryKey, app.Scalar("SELECT indexrelid::bigint FROM pg_index WHERE indrelid = 'engineers'::regclass AND indisprimary"));
        Assert.NotEqual(pointing, app.Scalar("SELECT oid::bigint FROM pg_constraint WHERE confrelid = 'engineers'::regclass AND conrelid = 'completions'::regclass"));
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM pg_constraint WHERE conrelid = 'completions'::regclass AND NOT convalidated"));
        // The rows took one block of keys from the identity sequence, in employee id order, and the sequence goes on after it.
        Assert.Equal(Large, app.Scalar("SELECT max(id) - min(id) + 1 FROM engineers"));
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM (SELECT id, employee_id, lag(employee_id) OVER (ORDER BY id) AS before FROM engineers) AS k " +
            "WHERE k.before >= k.employee_id"));
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM pg_constraint WHERE conrelid = 'engineers'::regclass AND NOT convalidated"));
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM pg_index WHERE indrelid = 'engineers'::regclass AND NOT (indisvalid AND indisready)"));

        // Still enforced: a second row with an existing employee_id or key, a row pointing at no team, and a completion
        // pointing at no engineer, are refused.
        await using var conn = (NpgsqlConnection)app.OpenConnection();
        const string engineer = "INSERT INTO engineers (employee_id, name, email, title, normalized_title, team_id, active, created_at, updated_at) ";
        await AssertRefusedAsync(conn, PostgresErrorCodes.UniqueViolation,
            engineer + "SELECT employee_id, name, 'other@example.com', title, normalized_title, team_id, true, 0, 0 FROM engineers LIMIT 1");
        await AssertRefusedAsync(conn, PostgresErrorCodes.ForeignKeyViolation, engineer + "VALUES ('NEW-1', 'N', 'n@example.com', 't', 't', 2147483647, true, 0, 0)");
        await AssertRefusedAsync(conn, PostgresErrorCodes.ForeignKeyViolation,
            "INSERT INTO completions (engineer_id, certification_id, earned_on, expires_on, expiry_derived, recorded_by, recorded_at) " +
            "SELECT max(e.id) + 1, (SELECT min(id) FROM certifications), DATE '2026-01-01', DATE '2029-01-01', false, 'test', 0 FROM engineers e");
        await AssertRefusedAsync(conn, PostgresErrorCodes.UniqueViolation,
            engineer.Replace("(employee_id", "(id, employee_id", StringComparison.Ordinal) +
            "SELECT id, 'NEW-2', 'N', 'n2@example.com', title, normalized_title, team_id, true, 0, 0 FROM engineers LIMIT 1");
        // A new engineer the usual way takes the key after the block.
        await Execute(conn, engineer + "SELECT 'NEW-3', 'N', 'n3@example.com', title, normalized_title, team_id, true, 0, 0 FROM engineers LIMIT 1");
        Assert.Equal(1L, app.Scalar("SELECT COUNT(*) FROM engineers WHERE employee_id = 'NEW-3' AND id = (SELECT max(id) FROM engineers)"));
    }

    [SkippableFact]
    public async Task ALargeFirstLoad_KeepsThePrimaryKey_WhenItsSequenceCachesValues()
    {
        // A sequence that caches values can hand another session a range inside the block the load would reserve: the
        // primary key then stays, and the rows take their keys one by one (the secondary index and keys are still rebuilt).
        await using var app = new AppFactory(DatabaseProvider.PostgreSql);
        using var api = app.Api();
        await using (var conn = (NpgsqlConnection)app.OpenConnection()) await Execute(conn, "ALTER TABLE engineers ALTER COLUMN id SET CACHE 20");
        var primaryKey = app.Scalar("SELECT indexrelid::bigint FROM pg_index WHERE indrelid = 'engineers'::regclass AND indisprimary");
        var oids = Oids(app);

        var response = await api.Upload("/api/imports/roster", FaultTests.LargeRoster(Large, "Q"), "roster.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Large, app.Scalar("SELECT COUNT(*) FROM engineers"));
        Assert.Equal(primaryKey, app.Scalar("SELECT indexrelid::bigint FROM pg_index WHERE indrelid = 'engineers'::regclass AND indisprimary"));
        Assert.Empty(Oids(app).Intersect(oids));
    }

    [SkippableFact]
    public async Task ALargeFirstRoster_WithBadRowsAtItsEnd_LeavesNothing_AndTheErrorsNameTheirLines()
    {
        await using var app = new AppFactory(DatabaseProvider.PostgreSql);
        using var api = app.Api();
        var before = Schema(app);
        var oids = Oids(app);
        var teams = app.Scalar("SELECT COUNT(*) FROM teams");
        var imports = app.Scalar("SELECT COUNT(*) FROM imports");

        // 12,000 good rows, then the first row's employee_id again, and a bad email.
        var good = FaultTests.LargeRoster(Large, "F");
        var bad = System.Text.Encoding.UTF8.GetBytes(
            "F000001,Someone Else,someone.else@example.com,Payments F9999,lead@example.com,Platform Engineer\n" +
            "F999999,No Email,not-an-email,Payments F9999,lead@example.com,Platform Engineer\n");
        var response = await api.Upload("/api/imports/roster", [.. good, .. bad], "roster.csv");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await response.JsonOf()).GetProperty("errors").EnumerateArray()
            .Select(e => (Line: e.GetProperty("line").GetInt32(), Message: e.GetProperty("message").GetString()!)).ToList();
        Assert.Equal([Large + 2, Large + 3], errors.Select(e => e.Line));
        Assert.Contains("Duplicate employee_id 'F000001' (first on line 2)", errors[0].Message);
        Assert.Contains("not-an-email", errors[1].Message);

        // Nothing stays: no engineer, none of the 240 teams, the indexes and keys as the same objects; the rejection is recorded.
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM engineers"));
        Assert.Equal(teams, app.Scalar("SELECT COUNT(*) FROM teams"));
        Assert.Equal(before, Schema(app));
        Assert.Equal(oids, Oids(app));
        Assert.Equal(imports + 1, app.Scalar("SELECT COUNT(*) FROM imports"));
        Assert.Equal(1L, app.Scalar("SELECT COUNT(*) FROM imports WHERE outcome = 'Rejected' AND error_count = 2"));

        // And the good rows alone then go in.
        response = await api.Upload("/api/imports/roster", good, "roster.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Large, (await response.JsonOf()).GetProperty("created").GetInt32());
        Assert.Equal(Large, app.Scalar("SELECT COUNT(*) FROM engineers"));
    }

    [SkippableFact]
    public async Task ALargeImportWhileAReportReadsTheRoster_WaitsTwoSecondsThenLoadsRowByRow_AndTheReaderIsNotDisturbed()
    {
        await using var app = new AppFactory(DatabaseProvider.PostgreSql);
        using var api = app.Api();
        var before = Schema(app);
        var oids = Oids(app);

        // A long read holds ACCESS SHARE on engineers: the rebuild's ACCESS EXCLUSIVE cannot be granted.
        await using var reader = (NpgsqlConnection)app.OpenConnection();
        await using var tx = await reader.BeginTransactionAsync();
        await Execute(reader, "SELECT COUNT(*) FROM engineers");

        var clock = Stopwatch.StartNew();
        var response = await api.Upload("/api/imports/roster", FaultTests.LargeRoster(Large, "W"), "roster.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), $"the import did not wait for the locks first ({clock.Elapsed.TotalSeconds:F1} s)");
        Assert.Equal(Large, app.Scalar("SELECT COUNT(*) FROM engineers"));
        Assert.Equal(before, Schema(app));
        Assert.Equal(oids, Oids(app)); // nothing was dropped: the rows went in with the indexes in place

        // The reader's transaction is intact and still sees its snapshot's table.
        await Execute(reader, "SELECT COUNT(*) FROM engineers");
        await tx.CommitAsync();
    }

    [SkippableFact]
    public async Task AnImportSmallerThanTheTable_KeepsTheIndexesInPlace()
    {
        await using var app = new AppFactory(DatabaseProvider.PostgreSql);
        using var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.Upload("/api/imports/roster", FaultTests.LargeRoster(Large + 1_000, "S"), "roster.csv")).StatusCode);
        var before = Schema(app);

        var oids = Oids(app);

        // Partial mode: 12,000 new engineers into a table of 13,000 (the first file's "S" rows stay).
        var response = await api.Upload("/api/imports/roster?mode=partial", FaultTests.LargeRoster(Large, "T"), "roster.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Large, (await response.JsonOf()).GetProperty("created").GetInt32());
        Assert.Equal(before, Schema(app));
        Assert.Equal(oids, Oids(app)); // the same index and constraint objects: nothing was rebuilt
    }

    [SkippableFact]
    public async Task ALargeCompletionImport_RebuildsTheCompletionsIndexesAndKeys_AndTheyStillHold()
    {
        await using var app = new AppFactory(DatabaseProvider.PostgreSql);
        using var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.Upload("/api/imports/roster", FaultTests.LargeRoster(Large, "C"), "roster.csv")).StatusCode);
        var before = Schema(app, "completions");
        var oids = Oids(app, "completions", expected: null);

        var csv = new System.Text.StringBuilder("employee_id,certification,earned_on,expires_on\n");
        for (var i = 1; i <= Large; i++) csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"C{i:D6},aiops-professional,2025-0{1 + i % 9}-1{i % 10},\n");
        var response = await api.Upload("/api/imports/completions", System.Text.Encoding.UTF8.GetBytes(csv.ToString()), "completions.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Large, (await response.JsonOf()).GetProperty("created").GetInt32());
        Assert.Equal(Large, app.Scalar("SELECT COUNT(*) FROM completions"));

        Assert.Equal(before, Schema(app, "completions"));
        Assert.Empty(Oids(app, "completions", expected: null).Intersect(oids));
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM pg_constraint WHERE conrelid = 'completions'::regclass AND NOT convalidated"));
        // The unique (engineer, certification, earned_on) index holds: the same completion again is refused.
        await using var conn = (NpgsqlConnection)app.OpenConnection();
        await AssertRefusedAsync(conn, PostgresErrorCodes.UniqueViolation,
            "INSERT INTO completions (engineer_id, certification_id, earned_on, expires_on, expiry_derived, recorded_by, recorded_at, import_id) " +
            "SELECT engineer_id, certification_id, earned_on, expires_on, expiry_derived, recorded_by, recorded_at, import_id FROM completions LIMIT 1");
    }

    [SkippableFact]
    public async Task TheCopyEncoding_RoundTripsEveryTypeItWrites()
    {
        // The app encodes PostgreSQL's binary COPY format itself: each type, NULL, the empty string and multi-byte UTF-8
        // (2, 3 and 4 bytes), in a field and in the constants every row shares, read back as written.
        await using var app = new AppFactory(DatabaseProvider.PostgreSql);
        await using var conn = (NpgsqlConnection)app.OpenConnection();
        await Execute(conn, "CREATE TABLE copy_check (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, t text, n integer, " +
            "l bigint, b boolean, d date, shared_t text, shared_d date)");
        (string? T, int? N, long? L, bool? B, DateOnly? D)[] rows =
        [
            ("García Chloé", 0, long.MinValue, true, new DateOnly(2000, 1, 1)),
            ("", -1, long.MaxValue, false, new DateOnly(1999, 12, 31)),
            ("日本語 🙂 \"quoted\", comma\nnewline\ttab \\", int.MaxValue, 1, null, new DateOnly(9999, 12, 31)),
            (null, null, null, null, new DateOnly(1, 1, 1)),
            (new string('x', 70_000), int.MinValue, 0, true, null), // longer than the writer's buffer
        ];
        var constants = new Dictionary<string, object> { ["shared_t"] = "Überall", ["shared_d"] = new DateOnly(2026, 11, 29) };
        await PostgreSqlBulk.CopyAsync(conn, "copy_check", ["t", "n", "l", "b", "d"], rows, (r, v) =>
        {
            v[0] = r.T; v[1] = r.N; v[2] = r.L; v[3] = r.B; v[4] = r.D;
        }, constants, null, CancellationToken.None);

        await using var cmd = new NpgsqlCommand("SELECT t, n, l, b, d, shared_t, shared_d FROM copy_check ORDER BY id", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var i = 0;
        while (await reader.ReadAsync())
        {
            var expected = rows[i++];
            Assert.Equal(expected.T, reader.IsDBNull(0) ? null : reader.GetString(0));
            Assert.Equal(expected.N, reader.IsDBNull(1) ? null : reader.GetInt32(1));
            Assert.Equal(expected.L, reader.IsDBNull(2) ? null : reader.GetInt64(2));
            Assert.Equal(expected.B, reader.IsDBNull(3) ? null : reader.GetBoolean(3));
            Assert.Equal(expected.D, reader.IsDBNull(4) ? null : reader.GetFieldValue<DateOnly>(4));
            Assert.Equal("Überall", reader.GetString(5));
            Assert.Equal(new DateOnly(2026, 11, 29), reader.GetFieldValue<DateOnly>(6));
        }
        Assert.Equal(rows.Length, i);
    }

    /// <summary>engineers' secondary indexes and constraints as PostgreSQL prints them, in a stable order.</summary>
    private static List<string> Schema(AppFactory app, string table = "engineers")
    {
        using var conn = (NpgsqlConnection)app.OpenConnection();
        using var cmd = new NpgsqlCommand(
            $"SELECT indexdef FROM pg_indexes WHERE tablename = '{table}' " +
            $"UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '{table}'::regclass " +
            "ORDER BY 1", conn);
        using var reader = cmd.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add(reader.GetString(0));
        return rows;
    }

    /// <summary>The object ids of engineers' secondary indexes and foreign keys: re-creating one gives it a new id.</summary>
    private static List<long> Oids(AppFactory app, string table = "engineers", int? expected = 3)
    {
        using var conn = (NpgsqlConnection)app.OpenConnection();
        using var cmd = new NpgsqlCommand(
            $"SELECT indexrelid::bigint FROM pg_index WHERE indrelid = '{table}'::regclass AND NOT indisprimary " +
            $"UNION ALL SELECT oid::bigint FROM pg_constraint WHERE conrelid = '{table}'::regclass AND contype = 'f' ORDER BY 1", conn);
        using var reader = cmd.ExecuteReader();
        var oids = new List<long>();
        while (reader.Read()) oids.Add(reader.GetInt64(0));
        if (expected is { } n) Assert.Equal(n, oids.Count); // engineers: the employee_id index and the two foreign keys
        else Assert.NotEmpty(oids);
        return oids;
    }

    /// <summary>The statement fails with the given SQLSTATE: the constraint it breaks is in force.</summary>
    private static async Task AssertRefusedAsync(NpgsqlConnection conn, string sqlState, string sql)
    {
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Execute(conn, sql));
        Assert.Equal(sqlState, refused.SqlState);
    }

    private static async Task Execute(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
