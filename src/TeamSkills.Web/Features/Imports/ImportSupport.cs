using System.Data.Common;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Platform;
using TeamSkills.Core.Imports;

namespace TeamSkills.Web.Features.Imports;

internal static class ImportSupport
{
    public static TabularLimits Limits(ImportOptions o) =>
        new() { MaxInflatedBytes = o.MaxInflatedBytes, MaxColumns = o.MaxColumns };

    // The per-row checks below run 100,000 times in one request: optimised from the first call, since tiering
    // would run most of a first big import in unoptimised code.
    /// <summary>A deliberately plain check: one '@', something on both sides, a dot in the domain, no spaces.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static bool IsValidEmail(string value)
    {
        if (value.Length is < 3 or > 320) return false;
        var at = value.IndexOf('@');
        if (at <= 0 || at != value.LastIndexOf('@') || at == value.Length - 1) return false;
        var domain = value.AsSpan(at + 1);
        if (domain.IndexOf('.') <= 0 || domain[^1] == '.' || domain.Contains("..", StringComparison.Ordinal)) return false;
        foreach (var ch in value)
        {
            if (char.IsWhiteSpace(ch) || char.IsControl(ch) || ch is '<' or '>' or '(' or ')' or ',' or ';' or ':' or '"' or '[' or ']' or '\\') return false;
        }
        return true;
    }

    /// <summary>
    /// Text in Unicode's composed form (NFC): a Mac export writes 'Chloé' as 'e' + U+0301, which compares unequal to the
    /// 'é' a Windows export writes, so one engineer or team would become two. Runs on several fields of every row: ASCII
    /// (most cells) and text already composed pass through without a copy.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static string Nfc(string value) =>
        System.Text.Ascii.IsValid(value) || value.IsNormalized(System.Text.NormalizationForm.FormC)
            ? value : value.Normalize(System.Text.NormalizationForm.FormC);

    /// <summary>Null when the text fits; otherwise why not.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static string? CheckText(string value, int maxLength)
    {
        if (value.Length > maxLength) return $"is {value.Length} characters long; at most {maxLength} are allowed";
        foreach (var ch in value)
        {
            if (char.IsControl(ch)) return "contains a control character";
        }
        // A spreadsheet's error value (a broken formula, a failed lookup) exported as text, or read from an error cell.
        if (value.Length is >= 4 and <= 13 && value[0] == '#' && ExcelErrors.Contains(value.Trim()))
            return $"is the spreadsheet error {value.Trim()}, not a value: fix the formula in the source file";
        return null;
    }

    private static readonly HashSet<string> ExcelErrors = new(StringComparer.OrdinalIgnoreCase)
    {
        "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!",
    };

    /// <summary>
    /// For a key (employee_id): besides <see cref="CheckText"/>, no invisible character (zero-width space, byte-order mark,
    /// direction marks: Unicode's format characters), which would make "E1035" and "E1035​" two people who look alike.
    /// </summary>
    public static string? CheckKey(string value, int maxLength)
    {
        if (CheckText(value, maxLength) is { } why) return why;
        for (var i = 0; i < value.Length; i++)
        {
            if (char.GetUnicodeCategory(value[i]) == System.Globalization.UnicodeCategory.Format)
                return $"contains an invisible character (U+{(int)value[i]:X4}) at position {i + 1}";
        }
        return null;
    }

    public static ImportOutcomeResult FileRejected(FileProblem problem, string mode, bool dryRun, long? importId) =>
        new(problem.StatusCode, new ImportResponse(importId, false, dryRun, mode, "", 0, 0, 0, 0, 0,
            [new ImportError(problem.Line, problem.Column, problem.Message)], problem.Message));

    /// <summary>A file refused as a whole (not CSV/XLSX, damaged, zip bomb...): recorded and audited, nothing else changes.</summary>
    public static async Task<ImportOutcomeResult> RejectFileAsync(TeamSkillsDbContext db, Audit.AuditLog audit, ImportKind kind,
        ImportRequest req, FileProblem problem, Task<ImportFile> file, DateTimeOffset now, CancellationToken ct)
    {
        var record = NewRecord(kind, req, "", now, await file);
        var result = FileRejected(problem, req.Mode, req.DryRun, null);
        Fill(record, ImportOutcome.Rejected, result.Response);
        var id = await RecordOnlyAsync(db, record, audit, ct);
        return result with { Response = result.Response with { ImportId = id } };
    }

    public static string RejectedMessage(int errorCount) =>
        $"{errorCount} error{(errorCount == 1 ? "" : "s")} found; nothing was applied. Fix what is listed (by line and column) and upload the file again.";

    /// <summary>Compresses the upload on the other core while the import parses and validates it.</summary>
    public static Task<ImportFile> CompressInBackground(ImportRequest req) => Task.Run(() => ImportFile.From(Bytes(req.Content)));

    public static ImportRecord NewRecord(ImportKind kind, ImportRequest req, string format, DateTimeOffset now, ImportFile? file) => new()
    {
        Kind = kind, Mode = req.Mode, DryRun = req.DryRun, FileName = SafeFileName(req.FileName),
        ContentType = req.ContentType.Length > 128 ? req.ContentType[..128] : req.ContentType,
        FileSize = req.Content.Length, Format = format, ImportedBy = req.ImportedBy, ImportedAt = now,
        File = file,
    };

    public static void Fill(ImportRecord record, ImportOutcome outcome, ImportResponse response)
    {
        record.Outcome = outcome;
        record.Rows = response.Rows;
        record.Created = response.Created;
        record.Updated = response.Updated;
        record.Deactivated = response.Deactivated;
        record.Unchanged = response.Unchanged;
        record.ErrorCount = response.Errors.Count;
        record.ErrorsJson = JsonSerializer.Serialize(response.Errors.Take(200), JsonSerializerOptions.Web);
    }

    /// <summary>Records an import that changed nothing (rejected, dry run, unchanged) in its own short transaction.</summary>
    public static async Task<long> RecordOnlyAsync(TeamSkillsDbContext db, ImportRecord record, Audit.AuditLog audit, CancellationToken ct)
    {
        var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        try
        {
            db.Imports.Add(record);
            await db.SaveChangesAsync(ct);
            audit.Import(record);
            await db.SaveChangesAsync(ct);
            await db.Database.CurrentTransaction!.CommitAsync(ct);
        }
        finally
        {
            if (own is not null) await own.DisposeAsync();
        }
        db.ChangeTracker.Clear();
        return record.Id;
    }

    public static string SafeFileName(string name)
    {
        var file = Path.GetFileName(name.Replace('\\', '/'));
        var clean = new string(file.Where(ch => !char.IsControl(ch) && ch is not '"' and not '/' and not '\\').ToArray()).Trim();
        if (clean.Length > 200) clean = clean[..200];
        return clean.Length == 0 ? "upload" : clean;
    }

    public static DbCommand Command(IDbContextTransaction tx, string sql, params string[] parameters)
    {
        var dbTx = tx.GetDbTransaction();
        var cmd = dbTx.Connection!.CreateCommand();
        cmd.Transaction = dbTx;
        cmd.CommandText = sql;
        foreach (var name in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@" + name;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    public static object Db(string? value) => value is null ? DBNull.Value : value;

    /// <summary>
    /// Inserts rows inside the caller's transaction through the provider's bulk path:
    /// <list type="bullet">
    /// <item>SQLite: multi-row INSERT statements prepared once with positional parameters, through SQLitePCL directly
    /// (Microsoft.Data.Sqlite binds every parameter by name on every execution, which was most of a 100k-row import);</item>
    /// <item>PostgreSQL: binary COPY (<see cref="PostgreSqlBulk"/>); a large load into a table no larger than the load
    /// rebuilds its secondary indexes and foreign keys around the COPY;</item>
    /// <item>SQL Server: SqlBulkCopy (<see cref="SqlServerBulk"/>);</item>
    /// <item>anything else: one prepared INSERT per row.</item>
    /// </list>
    /// </summary>
    /// <param name="constants">Values shared by every row (flags, timestamps, ids), by column: on SQLite written into
    /// the statement once instead of bound per row. Give them their column's CLR type (bool for a flag, int for an
    /// int key, long for a timestamp in ticks): PostgreSQL's binary COPY writes exactly that type.</param>
    public static async Task BulkInsertAsync<T>(IDbContextTransaction tx, string table, string[] columns, IReadOnlyList<T> rows,
        Action<T, object?[]> fill, IReadOnlyDictionary<string, object>? constants = null, CancellationToken ct = default, ILogger? log = null)
    {
        if (rows.Count == 0) return;
        constants ??= new Dictionary<string, object>();
        var dbTx = tx.GetDbTransaction();
        switch (dbTx.Connection)
        {
            case Microsoft.Data.Sqlite.SqliteConnection sqlite:
                SqliteBulk.Insert(sqlite, table, columns, rows, fill, constants.ToDictionary(c => c.Key, c => c.Value switch
                {
                    bool b => b ? 1L : 0L,
                    var v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture),
                }));
                return;
            case Npgsql.NpgsqlConnection npgsql:
                await PostgreSqlBulk.CopyAsync(npgsql, table, columns, rows, fill, constants, log, ct);
                return;
            case Microsoft.Data.SqlClient.SqlConnection sql:
                await SqlServerBulk.CopyAsync(sql, (Microsoft.Data.SqlClient.SqlTransaction)dbTx, table, columns, rows, fill, constants, ct);
                return;
        }
        var all = columns.Concat(constants.Keys).ToArray();
        var values = new object?[columns.Length];
        await using var cmd = Command(tx, $"INSERT INTO {table} ({string.Join(", ", all)}) VALUES ({string.Join(", ", all.Select(c => "@" + c))})", all);
        foreach (var row in rows)
        {
            fill(row, values);
            var i = 0;
            foreach (var v in values) cmd.Parameters[i++].Value = v ?? DBNull.Value;
            foreach (var c in constants.Values) cmd.Parameters[i++].Value = c;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Prepares a statement reused for many rows where that pays and is safe before values are bound
    /// (SQLite); Npgsql and SqlClient want every parameter's type at Prepare, and Npgsql prepares repeated
    /// statements itself.</summary>
    public static void Prepare(DbCommand cmd)
    {
        if (cmd is Microsoft.Data.Sqlite.SqliteCommand) cmd.Prepare();
    }

    /// <summary>The upload's bytes without another copy when they already are a whole array.</summary>
    public static byte[] Bytes(ReadOnlyMemory<byte> content) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(content, out var segment)
        && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : content.ToArray();
}

/// <summary>Where an import spent its time, for the log line: "read 120 ms, validate 80 ms, ...".</summary>
internal sealed class Phases
{
    private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
    private readonly List<string> _marks = [];
    private TimeSpan _last;
    private int _gc0 = GC.CollectionCount(0), _gc2 = GC.CollectionCount(2);

    public void Mark(string phase)
    {
        var now = _watch.Elapsed;
        int gc0 = GC.CollectionCount(0), gc2 = GC.CollectionCount(2);
        var gcs = gc0 > _gc0 ? $" ({gc0 - _gc0} GCs, {gc2 - _gc2} full)" : "";
        _marks.Add($"{phase} {(now - _last).TotalMilliseconds:F0} ms{gcs}");
        (_last, _gc0, _gc2, _allocatedAtLast) = (now, gc0, gc2, GC.GetTotalAllocatedBytes());
    }

    /// <summary>Allocated by the whole process from the first phase to the last (this import's threads, and whatever
    /// else ran meanwhile).</summary>
    public override string ToString() => $"{string.Join(", ", _marks)}; {(_allocatedAtLast - _allocated) / (1024 * 1024)} MB allocated in the process";

    private readonly long _allocated = GC.GetTotalAllocatedBytes();
    private long _allocatedAtLast = GC.GetTotalAllocatedBytes();
}
