using System.Data;
using Microsoft.Data.SqlClient;
using Npgsql;

namespace TeamSkills.Web.Features.Imports;

/// <summary>
/// PostgreSQL's bulk path: binary COPY on the connection (and so inside the transaction) EF Core opened. Each value
/// is written as its CLR type's PostgreSQL type, which must be the column's: string → text, int → integer,
/// long → bigint, bool → boolean, DateOnly → date.
/// </summary>
internal static class PostgreSqlBulk
{
    /// <summary>From this many rows, a load into a table that holds no more rows than it adds rebuilds the table's
    /// secondary indexes and foreign keys around the COPY (see <see cref="DeferIndexesAsync"/>).</summary>
    public const int LargeLoadRows = 10_000;

    /// <summary>How long a large load waits for the table locks that rebuilding needs before it loads the usual way.</summary>
    public const string LargeLoadLockTimeout = "2s";

    public static async Task CopyAsync<T>(NpgsqlConnection connection, string table, string[] columns, IReadOnlyList<T> rows,
        Action<T, object?[]> fill, IReadOnlyDictionary<string, object> constants, ILogger? log, CancellationToken ct)
    {
        var load = rows.Count >= LargeLoadRows ? await DeferIndexesAsync(connection, table, columns, rows.Count, log, ct) : null;
        await CopyRowsAsync(connection, table, columns, rows, fill, constants, load?.Keys, ct);
        if (load is not null) await load.Restore(ct);
    }

    /// <summary>A large load's plan: what re-creates the dropped indexes and keys, and, when the primary key was
    /// dropped too, the block of key values the rows take (reserved from the key's identity sequence).</summary>
    private sealed record LargeLoad(Func<CancellationToken, Task> Restore, KeyBlock? Keys);

    /// <summary>Key values <see cref="First"/>, First + 1, ... for the rows in order, in <see cref="Column"/>.</summary>
    private sealed record KeyBlock(string Column, long First, bool Bigint);

    /// <summary>
    /// PostgreSQL's advice for populating a table ("Populating a Database": remove indexes and foreign keys, load,
    /// re-create them): a foreign key checked once by a join, and an index built once by a sort, cost a fraction of
    /// checking and inserting row by row (100,000 engineers: 1.7 s → 0.4 s here). Used only when the table holds no
    /// more rows than the load adds, so rebuilding costs at most about what the load does.
    /// <para>It is all inside the caller's transaction: a failure anywhere rolls the DDL back with the rows, and
    /// other sessions never see the table without its keys. The price: from the drop to the commit, the table and the
    /// tables its foreign keys point at are locked (ACCESS EXCLUSIVE), so their readers wait for the import's write
    /// phase instead of reading the old rows. If those locks are not granted within <see cref="LargeLoadLockTimeout"/>
    /// (a long report holding them), the load goes row by row as usual. The primary key stays (other tables'
    /// foreign keys point at it), and so do indexes that back constraints, unless the table is empty.</para>
    /// <para>Into an empty table, the primary key goes too, with the foreign keys of other tables that point at it, when
    /// those tables are empty as well (re-checking them then costs nothing; they are locked too until the commit): the
    /// rows take a block of key values reserved from the key's identity sequence, written by the COPY, instead of a
    /// nextval and a B-tree insert each (100,000 engineers: 0.44 s → 0.33 s of the database's time here). Only for a
    /// single-column identity key that the load does not write itself, whose sequence counts by one and caches
    /// nothing (a range another session has cached could fall inside the block). A rolled-back load leaves the block
    /// unused, as rolled-back inserts leave their values.</para>
    /// </summary>
    /// <returns>What re-creates the indexes and foreign keys after the load, and the rows' key block if the primary key was
    /// dropped; null when the load should go the usual way.</returns>
    private static async Task<LargeLoad?> DeferIndexesAsync(NpgsqlConnection connection, string table, string[] columns, int adding,
        ILogger? log, CancellationToken ct)
    {
        // Bounded count: never reads more than adding + 1 rows, however large the table.
        var present = Convert.ToInt64(await ScalarAsync(connection, $"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {adding + 1}) AS t", ct));
        if (present > adding) return null;

        var foreignKeys = await NamesAndDefinitionsAsync(connection, table,
            "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = @table::regclass AND contype = 'f' ORDER BY conname", ct);
        var indexes = await NamesAndDefinitionsAsync(connection, table,
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname), pg_get_indexdef(i.oid) FROM pg_index x " +
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace " +
            "WHERE x.indrelid = @table::regclass AND NOT x.indisprimary " +
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname", ct);
        var key = present == 0 ? await IdentityKeyAsync(connection, table, columns, ct) : null;
        var pointing = key is null ? [] : await ReferencesAsync(connection, table, ct);
        // Only when every table pointing at the key is empty too: re-checking a filled one would scan it all.
        foreach (var (other, _, _) in pointing)
        {
            if (await ScalarAsync(connection, $"SELECT EXISTS (SELECT 1 FROM {other})", ct) is true) { key = null; pointing = []; break; }
        }
        if (foreignKeys.Count == 0 && indexes.Count == 0 && key is null) return null;

        KeyBlock? keys = null;
        await ExecuteAsync(connection, $"SAVEPOINT bulk_load; SET LOCAL lock_timeout = '{LargeLoadLockTimeout}'", ct);
        try
        {
            foreach (var (other, name, _) in pointing) await ExecuteAsync(connection, $"ALTER TABLE {other} DROP CONSTRAINT {name}", ct);
            foreach (var (name, _) in foreignKeys) await ExecuteAsync(connection, $"ALTER TABLE {table} DROP CONSTRAINT {name}", ct);
            foreach (var (name, _) in indexes) await ExecuteAsync(connection, $"DROP INDEX {name}", ct);
            if (key is not null)
            {
                await ExecuteAsync(connection, $"ALTER TABLE {table} DROP CONSTRAINT {key.Name}", ct);
                // The table is locked against other writers until the commit; a rolled-back load leaves a gap in the
                // sequence, as a rolled-back insert does.
                var first = Convert.ToInt64(await ScalarAsync(connection,
                    $"SELECT setval('{key.Sequence}', nextval('{key.Sequence}') + {adding - 1}) - {adding - 1}", ct));
                keys = new KeyBlock(key.Column, first, key.Bigint);
            }
            await ExecuteAsync(connection, "SET LOCAL lock_timeout TO DEFAULT; RELEASE SAVEPOINT bulk_load", ct);
        }
        // Not granted in time, or PostgreSQL chose this session to break a lock cycle with a reader; or a schema this does
        // not expect (a view that needs the key, a key inherited from a partitioned table): only the savepoint is rolled
        // back, and the rows go in the usual way.
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected
                                              or PostgresErrorCodes.DependentObjectsStillExist or PostgresErrorCodes.InvalidTableDefinition)
        {
            await ExecuteAsync(connection, "ROLLBACK TO SAVEPOINT bulk_load; SET LOCAL lock_timeout TO DEFAULT; RELEASE SAVEPOINT bulk_load", ct);
            var reason = e.SqlState switch
            {
                PostgresErrorCodes.LockNotAvailable => $"its locks were not granted within {LargeLoadLockTimeout}",
                PostgresErrorCodes.DeadlockDetected => "its locks were given up to a reader (deadlock)",
                _ => $"the schema does not allow it: {e.MessageText}",
            };
            log?.LogInformation("Bulk load into {Table}: indexes and keys not rebuilt around the load ({Reason}); " +
                "loading row by row with its indexes in place.", table, reason);
            return null;
        }

        return new LargeLoad(async token =>
        {
            if (key is not null) await ExecuteAsync(connection, $"ALTER TABLE {table} ADD CONSTRAINT {key.Name} {key.Definition}", token);
            foreach (var (_, definition) in indexes) await ExecuteAsync(connection, definition, token);
            foreach (var (name, definition) in foreignKeys) await ExecuteAsync(connection, $"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}", token);
            foreach (var (other, name, definition) in pointing) await ExecuteAsync(connection, $"ALTER TABLE {other} ADD CONSTRAINT {name} {definition}", token);
        }, keys);
    }

    /// <summary>The table's primary key, when it is one identity column the load does not write and its sequence counts by one.</summary>
    private sealed record IdentityKey(string Name, string Definition, string Column, string Sequence, bool Bigint);

    private static async Task<IdentityKey?> IdentityKeyAsync(NpgsqlConnection connection, string table, string[] columns, CancellationToken ct)
    {
        var found = await CatalogAsync(connection, table,
            "SELECT quote_ident(k.conname), pg_get_constraintdef(k.oid), a.attname, pg_get_serial_sequence(@table, a.attname), " +
            "(a.atttypid = 'int8'::regtype)::text FROM pg_constraint k " +
            "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] " +
            "JOIN pg_sequence s ON s.seqrelid = pg_get_serial_sequence(@table, a.attname)::regclass " +
            "WHERE k.conrelid = @table::regclass AND k.contype = 'p' AND cardinality(k.conkey) = 1 AND a.attidentity <> '' " +
            "AND a.atttypid IN ('int4'::regtype, 'int8'::regtype) AND s.seqincrement = 1 AND s.seqcache = 1", ct);
        if (found is not [[var name, var definition, var column, var sequence, var bigint]] || columns.Contains(column, StringComparer.Ordinal)) return null;
        return new IdentityKey(name, definition, "\"" + column.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"",
            sequence.Replace("'", "''", StringComparison.Ordinal), bigint == "true");
    }

    /// <summary>Other tables' foreign keys that point at the table's primary key: (table, name, definition).</summary>
    private static async Task<List<(string Table, string Name, string Definition)>> ReferencesAsync(NpgsqlConnection connection, string table,
        CancellationToken ct) =>
        [.. (await CatalogAsync(connection, table,
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(k.conname), pg_get_constraintdef(k.oid) " +
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE k.confrelid = @table::regclass AND k.contype = 'f' AND k.conrelid <> k.confrelid AND k.conparentid = 0 " +
            "AND k.conindid = (SELECT p.conindid FROM pg_constraint p WHERE p.conrelid = @table::regclass AND p.contype = 'p') " +
            "ORDER BY 1, 2", ct)).Select(r => (r[0], r[1], r[2]))];

    /// <summary>(name, definition) rows of a catalog query over <paramref name="table"/> (bound as @table).</summary>
    private static async Task<List<(string Name, string Definition)>> NamesAndDefinitionsAsync(NpgsqlConnection connection, string table,
        string sql, CancellationToken ct) =>
        [.. (await CatalogAsync(connection, table, sql, ct)).Select(r => (r[0], r[1]))];

    /// <summary>The rows of a catalog query over <paramref name="table"/> (bound as @table), every column as text.</summary>
    private static async Task<List<string[]>> CatalogAsync(NpgsqlConnection connection, string table, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        cmd.Parameters.AddWithValue("table", table);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<string[]>();
        while (await reader.ReadAsync(ct))
        {
            var row = new string[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.GetString(i);
            rows.Add(row);
        }
        return rows;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        return await cmd.ExecuteScalarAsync(ct);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The rows as PostgreSQL's binary COPY format, encoded here into one buffer and sent as raw COPY data: Npgsql's
    /// importer binds a parameter per value, which made the app, not the server, the slow side of the COPY
    /// (100,000 engineers: 120-300 ms of the app's CPU against 150 ms of the server's).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static async Task CopyRowsAsync<T>(NpgsqlConnection connection, string table, string[] columns, IReadOnlyList<T> rows,
        Action<T, object?[]> fill, IReadOnlyDictionary<string, object> constants, KeyBlock? keys, CancellationToken ct)
    {
        var names = string.Join(", ", (keys is null ? [] : new[] { keys.Column }).Concat(columns).Concat(constants.Keys));
        var fieldCount = (short)((keys is null ? 0 : 1) + columns.Length + constants.Count);
        var values = new object?[columns.Length];
        // The constants are the same bytes in every row: encoded once.
        var shared = new BinaryCopyBuffer(256);
        foreach (var value in constants.Values) shared.Field(value);
        var next = keys?.First ?? 0;

        var copy = await connection.BeginRawBinaryCopyAsync($"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)", ct);
        try
        {
            var buffer = new BinaryCopyBuffer(1 << 16);
            buffer.Header();
            foreach (var row in rows)
            {
                fill(row, values);
                buffer.Int16(fieldCount);
                if (keys is not null)
                {
                    if (keys.Bigint) buffer.Field(next++);
                    else buffer.Field(checked((int)next++));
                }
                foreach (var value in values) buffer.Field(value);
                buffer.Bytes(shared.Written);
                // Synchronous writes, a buffer at a time: an await per row would cost more than the encoding.
                if (buffer.Length >= 1 << 15)
                {
                    ct.ThrowIfCancellationRequested();
                    buffer.DrainTo(copy);
                }
            }
            buffer.Int16(-1); // the trailer
            buffer.DrainTo(copy);
        }
        catch
        {
            // Ends the COPY without its rows; on a broken connection that fails too, and the first error is the one to report.
            try { await copy.CancelAsync(); } catch (Exception cancel) when (cancel is NpgsqlException or ObjectDisposedException or InvalidOperationException) { }
            throw;
        }
        await copy.DisposeAsync(); // ends the COPY; the server's error, if any, is thrown here
    }
}

/// <summary>
/// A growing buffer of PostgreSQL binary COPY data: big-endian integers, each field its length then its bytes. Each
/// value is written as its CLR type's PostgreSQL type, which must be the column's: string → text (UTF-8), int →
/// integer, long → bigint, bool → boolean, DateOnly → date (days from 2000-01-01); null → NULL.
/// </summary>
internal sealed class BinaryCopyBuffer(int capacity)
{
    private static readonly int PostgresEpoch = new DateOnly(2000, 1, 1).DayNumber;
    private byte[] _bytes = new byte[capacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, Length);

    /// <summary>The signature, then no flags and no header extension.</summary>
    public void Header()
    {
        Bytes([(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0]);
        Int32(0);
        Int32(0);
    }

    public void Field(object? value)
    {
        switch (value)
        {
            case null or DBNull: Int32(-1); break;
            case string s: Field(s); break;
            case int i: Field(i); break;
            case long l: Field(l); break;
            case bool b: Int32(1); Span(1)[0] = b ? (byte)1 : (byte)0; break;
            case DateOnly d: Field(d.DayNumber - PostgresEpoch); break;
            default: throw new NotSupportedException($"No COPY mapping for {value.GetType().Name}.");
        }
    }

    public void Field(string s)
    {
        var lengthAt = Length;
        Int32(0);
        var written = System.Text.Encoding.UTF8.GetBytes(s, Span(System.Text.Encoding.UTF8.GetMaxByteCount(s.Length)));
        Length = lengthAt + 4 + written;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(_bytes.AsSpan(lengthAt), written);
    }

    public void Field(int i)
    {
        Int32(4);
        Int32(i);
    }

    public void Field(long l)
    {
        Int32(8);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(Span(8), l);
    }

    public void Int16(short value) => System.Buffers.Binary.BinaryPrimitives.WriteInt16BigEndian(Span(2), value);

    public void Int32(int value) => System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(Span(4), value);

    public void Bytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Span(bytes.Length));

    /// <summary>Writes what is buffered to <paramref name="stream"/> and empties the buffer.</summary>
    public void DrainTo(Stream stream)
    {
        stream.Write(_bytes, 0, Length);
        Length = 0;
    }

    /// <summary>The next <paramref name="size"/> bytes (growing the buffer if needed), counted as written.</summary>
    private Span<byte> Span(int size)
    {
        if (Length + size > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + size));
        var span = _bytes.AsSpan(Length, size);
        Length += size;
        return span;
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
