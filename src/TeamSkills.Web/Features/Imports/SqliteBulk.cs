using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace TeamSkills.Web.Features.Imports;

/// <summary>
/// SQLite's bulk path: multi-row INSERTs with "?" parameters bound by position through SQLitePCL, on the
/// connection (and so inside the transaction) that EF Core opened. Values are stored exactly as EF Core's SQLite
/// provider stores them: DateOnly as 'yyyy-MM-dd' text, bool as 0/1.
/// </summary>
internal static class SqliteBulk
{
    private const int RowsPerStatement = 32;

    // Runs once per import over every row: optimise at first call instead of starting in tier-0 code.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Insert<T>(SqliteConnection connection, string table, string[] columns, IReadOnlyList<T> rows, Action<T, object?[]> fill,
        IReadOnlyDictionary<string, long> constants)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        var values = new object?[columns.Length];
        sqlite3_stmt? full = null;
        try
        {
            for (var start = 0; start < rows.Count; start += RowsPerStatement)
            {
                var count = Math.Min(RowsPerStatement, rows.Count - start);
                var stmt = count == RowsPerStatement ? full ??= Prepare(db, table, columns, constants, RowsPerStatement) : Prepare(db, table, columns, constants, count);
                try
                {
                    var index = 1;
                    for (var r = 0; r < count; r++)
                    {
                        fill(rows[start + r], values);
                        foreach (var value in values) Bind(db, stmt, index++, value);
                    }
                    Check(db, raw.sqlite3_step(stmt), raw.SQLITE_DONE);
                    Check(db, raw.sqlite3_reset(stmt), raw.SQLITE_OK);
                }
                finally
                {
                    if (!ReferenceEquals(stmt, full)) stmt.Dispose();
                }
            }
        }
        finally
        {
            full?.Dispose();
        }
    }

    private static sqlite3_stmt Prepare(sqlite3 db, string table, string[] columns, IReadOnlyDictionary<string, long> constants, int rows)
    {
        var literals = constants.Values.Select(v => v.ToString(CultureInfo.InvariantCulture));
        var tuple = "(" + string.Join(", ", Enumerable.Repeat("?", columns.Length).Concat(literals)) + ")";
        var sql = $"INSERT INTO {table} ({string.Join(", ", columns.Concat(constants.Keys))}) VALUES {string.Join(", ", Enumerable.Repeat(tuple, rows))}";
        Check(db, raw.sqlite3_prepare_v2(db, sql, out var stmt), raw.SQLITE_OK);
        return stmt;
    }

    [ThreadStatic] private static byte[]? _utf8;

    private static void Bind(sqlite3 db, sqlite3_stmt stmt, int index, object? value)
    {
        var rc = value switch
        {
            null => raw.sqlite3_bind_null(stmt, index),
            string s => BindText(stmt, index, s),
            int i => raw.sqlite3_bind_int64(stmt, index, i),
            long l => raw.sqlite3_bind_int64(stmt, index, l),
            bool b => raw.sqlite3_bind_int64(stmt, index, b ? 1 : 0),
            DateOnly d => raw.sqlite3_bind_text(stmt, index, d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            _ => throw new NotSupportedException($"Cannot bind {value.GetType().Name} in a bulk insert."),
        };
        Check(db, rc, raw.SQLITE_OK);
    }

    /// <summary>UTF-8 through one reused buffer (SQLite copies it): no byte[] per value.</summary>
    private static int BindText(sqlite3_stmt stmt, int index, string text)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_utf8 is null || _utf8.Length < max) _utf8 = new byte[Math.Max(max, 1024)];
        var n = System.Text.Encoding.UTF8.GetBytes(text, _utf8);
        return raw.sqlite3_bind_text(stmt, index, new ReadOnlySpan<byte>(_utf8, 0, n));
    }

    /// <summary>
    /// For a load that is large against the table (the first import of an org), secondary indexes are dropped and
    /// built again after the rows are in, inside the same transaction: building an index from sorted data is far
    /// cheaper than maintaining it row by row. A rollback brings the indexes back with everything else.
    /// </summary>
    public static async Task<T> WithoutIndexesAsync<T>(SqliteConnection connection, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx,
        string table, int rowsToInsert, Func<Task<T>> insert)
    {
        var dbTx = (SqliteTransaction)Microsoft.EntityFrameworkCore.Storage.DbContextTransactionExtensions.GetDbTransaction(tx);
        long existing;
        await using (var count = connection.CreateCommand())
        {
            count.Transaction = dbTx;
            count.CommandText = $"SELECT COUNT(*) FROM {table}";
            existing = (long)(await count.ExecuteScalarAsync())!;
        }
        if (rowsToInsert < 10_000 || rowsToInsert < existing) return await insert();

        var indexes = new List<(string Name, string Sql)>();
        await using (var list = connection.CreateCommand())
        {
            list.Transaction = dbTx;
            list.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $t AND sql IS NOT NULL";
            list.Parameters.AddWithValue("$t", table);
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync()) indexes.Add((reader.GetString(0), reader.GetString(1)));
        }
        // Index builds sort every row: give the sorter memory (64 MB page cache, temp in RAM) for this
        // connection while it works, so the sort does not spill to temp files.
        await Exec(connection, dbTx, "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;");
        await Exec(connection, dbTx, string.Concat(indexes.Select(i => $"DROP INDEX \"{i.Name}\";")));
        var result = await insert();
        await Exec(connection, dbTx, string.Concat(indexes.Select(i => i.Sql + ";")));
        await Exec(connection, dbTx, "PRAGMA cache_size=-2000; PRAGMA temp_store=DEFAULT;");
        return result;
    }

    private static async Task Exec(SqliteConnection connection, SqliteTransaction tx, string sql)
    {
        if (sql.Length == 0) return;
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    private static void Check(sqlite3 db, int rc, int expected)
    {
        if (rc != expected) throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
    }
}
