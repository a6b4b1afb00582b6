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

    private static void Bind(sqlite3 db, sqlite3_stmt stmt, int index, object? value)
    {
        var rc = value switch
        {
            null => raw.sqlite3_bind_null(stmt, index),
            // UTF-16 straight from the string: SQLite converts it, no encoding or copy on this side.
            string s => raw.sqlite3_bind_text16(stmt, index, s.AsSpan()),
            int i => raw.sqlite3_bind_int64(stmt, index, i),
            long l => raw.sqlite3_bind_int64(stmt, index, l),
            bool b => raw.sqlite3_bind_int64(stmt, index, b ? 1 : 0),
            DateOnly d => raw.sqlite3_bind_text(stmt, index, d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            _ => throw new NotSupportedException($"Cannot bind {value.GetType().Name} in a bulk insert."),
        };
        Check(db, rc, raw.SQLITE_OK);
    }

    private static void Check(sqlite3 db, int rc, int expected)
    {
        if (rc != expected) throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
    }
}
