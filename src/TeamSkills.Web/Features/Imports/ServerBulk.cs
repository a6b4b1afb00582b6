using System.Data;
using Microsoft.Data.SqlClient;
using Npgsql;
using NpgsqlTypes;

namespace TeamSkills.Web.Features.Imports;

/// <summary>
/// PostgreSQL's bulk path: binary COPY on the connection (and so inside the transaction) EF Core opened. Each value
/// is written as its CLR type's PostgreSQL type, which must be the column's: string → text, int → integer,
/// long → bigint, bool → boolean, DateOnly → date.
/// </summary>
internal static class PostgreSqlBulk
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static async Task CopyAsync<T>(NpgsqlConnection connection, string table, string[] columns, IReadOnlyList<T> rows,
        Action<T, object?[]> fill, IReadOnlyDictionary<string, object> constants, CancellationToken ct)
    {
        var names = string.Join(", ", columns.Concat(constants.Keys));
        var shared = constants.Values.ToArray();
        var values = new object?[columns.Length];
        await using var writer = await connection.BeginBinaryImportAsync($"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var row in rows)
        {
            fill(row, values);
            // Synchronous writes: they fill Npgsql's buffer and only flush when it is full; an await per value
            // would cost more than the copy itself.
            writer.StartRow();
            foreach (var value in values) Write(writer, value);
            foreach (var value in shared) Write(writer, value);
        }
        await writer.CompleteAsync(ct);
    }

    private static void Write(NpgsqlBinaryImporter writer, object? value)
    {
        switch (value)
        {
            case null or DBNull: writer.WriteNull(); break;
            case string s: writer.Write(s, NpgsqlDbType.Text); break;
            case int i: writer.Write(i, NpgsqlDbType.Integer); break;
            case long l: writer.Write(l, NpgsqlDbType.Bigint); break;
            case bool b: writer.Write(b, NpgsqlDbType.Boolean); break;
            case DateOnly d: writer.Write(d, NpgsqlDbType.Date); break;
            default: throw new NotSupportedException($"No COPY mapping for {value.GetType().Name}.");
        }
    }
}

/// <summary>
/// SQL Server's bulk path: SqlBulkCopy inside the caller's transaction, streaming rows from a reader over the list
/// (no DataTable copy of the data). Constraints and unique indexes are checked as for INSERT.
/// </summary>
internal static class SqlServerBulk
{
    public static async Task CopyAsync<T>(SqlConnection connection, SqlTransaction transaction, string table, string[] columns,
        IReadOnlyList<T> rows, Action<T, object?[]> fill, IReadOnlyDictionary<string, object> constants, CancellationToken ct)
    {
        using var copy = new SqlBulkCopy(connection, SqlBulkCopyOptions.CheckConstraints, transaction)
        {
            DestinationTableName = table,
            BatchSize = 10_000,
            BulkCopyTimeout = 0,
            EnableStreaming = true,
        };
        var names = columns.Concat(constants.Keys).ToArray();
        foreach (var name in names) copy.ColumnMappings.Add(name, name);
        using var reader = new RowReader<T>(names, columns.Length, rows, fill, constants.Values.ToArray());
        await copy.WriteToServerAsync(reader, ct);
    }

    /// <summary>The rows as a forward-only reader, filled one row at a time. DateOnly goes as DateTime (date columns).</summary>
    private sealed class RowReader<T>(string[] names, int filled, IReadOnlyList<T> rows, Action<T, object?[]> fill, object[] shared) : IDataReader
    {
        private readonly object?[] _values = new object?[filled];
        private int _index = -1;

        public bool Read()
        {
            if (++_index >= rows.Count) return false;
            fill(rows[_index], _values);
            return true;
        }

        public object GetValue(int i)
        {
            var v = i < filled ? _values[i] : shared[i - filled];
            return v switch { null => DBNull.Value, DateOnly d => d.ToDateTime(TimeOnly.MinValue), _ => v };
        }

        public int FieldCount => names.Length;
        public string GetName(int i) => names[i];
        public int GetOrdinal(string name) => Array.IndexOf(names, name);
        public bool IsDBNull(int i) => GetValue(i) is DBNull;
        public int GetValues(object[] values)
        {
            var n = Math.Min(values.Length, names.Length);
            for (var i = 0; i < n; i++) values[i] = GetValue(i);
            return n;
        }
        public object this[int i] => GetValue(i);
        public object this[string name] => GetValue(GetOrdinal(name));
        public int Depth => 0;
        public bool IsClosed => _index >= rows.Count;
        public int RecordsAffected => -1;
        public bool NextResult() => false;
        public void Close() { }
        public void Dispose() { }
        public DataTable? GetSchemaTable() => null;
        public Type GetFieldType(int i) => GetValue(i).GetType();
        public string GetDataTypeName(int i) => GetFieldType(i).Name;
        public bool GetBoolean(int i) => (bool)GetValue(i);
        public byte GetByte(int i) => (byte)GetValue(i);
        public long GetBytes(int i, long fieldOffset, byte[]? buffer, int bufferoffset, int length) => throw new NotSupportedException();
        public char GetChar(int i) => (char)GetValue(i);
        public long GetChars(int i, long fieldoffset, char[]? buffer, int bufferoffset, int length) => throw new NotSupportedException();
        public IDataReader GetData(int i) => throw new NotSupportedException();
        public DateTime GetDateTime(int i) => (DateTime)GetValue(i);
        public decimal GetDecimal(int i) => (decimal)GetValue(i);
        public double GetDouble(int i) => (double)GetValue(i);
        public float GetFloat(int i) => (float)GetValue(i);
        public Guid GetGuid(int i) => (Guid)GetValue(i);
        public short GetInt16(int i) => (short)GetValue(i);
        public int GetInt32(int i) => (int)GetValue(i);
        public long GetInt64(int i) => (long)GetValue(i);
        public string GetString(int i) => (string)GetValue(i);
    }
}
