using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace TeamSkills.Web.Features.Platform;

public enum OutageKind { None, DatabaseUnavailable, DiskFull }

/// <summary>
/// Which failures are outages rather than bugs: the database is unreachable, busy or out of connections (retry
/// later), or the disk is full (free space first). Looks through the wrappers EF Core and the providers add.
/// </summary>
public static class Outages
{
    /// <summary>What a client is told to wait before retrying a request refused for an unavailable database.</summary>
    public const int RetryAfterSeconds = 5;

    private const int SqliteBusy = 5, SqliteLocked = 6, SqliteFull = 13;

    public static OutageKind Classify(Exception exception)
    {
        var unavailable = false;
        foreach (var ex in Chain(exception))
        {
            if (IsDiskFull(ex)) return OutageKind.DiskFull;
            unavailable |= IsUnavailable(ex);
        }
        return unavailable ? OutageKind.DatabaseUnavailable : OutageKind.None;
    }

    private static bool IsDiskFull(Exception ex) => ex switch
    {
        // ENOSPC is errno 28 on Linux and macOS (.NET puts the raw errno in HResult); ERROR_DISK_FULL and
        // ERROR_HANDLE_DISK_FULL as HRESULTs on Windows.
        IOException io => io.HResult is 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027),
        SqliteException sqlite => sqlite.SqliteErrorCode == SqliteFull,
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.DiskFull,
        // SQL Server: 1105 (filegroup full), 9002 (transaction log full).
        Microsoft.Data.SqlClient.SqlException sql => sql.Number is 1105 or 9002,
        _ => false,
    };

    private static bool IsUnavailable(Exception ex) => ex switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode is SqliteBusy or SqliteLocked,
        // Classes 08 (connection), 53 (insufficient resources: too many connections, out of memory), 57P (shutdown,
        // crash recovery, cannot connect now).
        Npgsql.PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
                                       || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
                                       || pg.SqlState.StartsWith("57P", StringComparison.Ordinal),
        // Socket and stream failures, timeouts, an exhausted pool: Npgsql marks them transient.
        Npgsql.NpgsqlException npgsql => npgsql.IsTransient,
        // SQL Server: timeout (-2), connection broken or refused (20, 64, 233, 10053, 10054, 10060, 11001), database
        // not available yet (4060), Azure SQL throttling and failover (10928, 10929, 40197, 40501, 40613, 49918-49920).
        Microsoft.Data.SqlClient.SqlException sql => sql.IsTransient || sql.Number is -2 or 20 or 64 or 233 or 4060 or 10053 or 10054
            or 10060 or 11001 or 10928 or 10929 or 40197 or 40501 or 40613 or 49918 or 49919 or 49920,
        DbException db => db.IsTransient,
        Microsoft.EntityFrameworkCore.Storage.RetryLimitExceededException => true,
        // A pool that hands out no connection in time (SqlClient throws it as InvalidOperationException, Npgsql wraps it).
        TimeoutException timeout => IsDataLayer(timeout.Source),
        InvalidOperationException op => IsDataLayer(op.Source)
                                        && op.Message.Contains("obtaining a connection from the pool", StringComparison.Ordinal),
        _ => false,
    };

    private static bool IsDataLayer(string? source) => source is not null
        && (source.StartsWith("Npgsql", StringComparison.Ordinal) || source.StartsWith("Microsoft.Data.", StringComparison.Ordinal)
            || source.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        var pending = new Stack<Exception>([exception]);
        var seen = 0;
        while (pending.Count > 0 && seen++ < 32)
        {
            var ex = pending.Pop();
            yield return ex;
            if (ex is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions) pending.Push(inner);
            }
            else if (ex.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
    }

    public static ProblemDetails Problem(OutageKind kind) => kind switch
    {
        OutageKind.DiskFull => new ProblemDetails
        {
            Status = StatusCodes.Status507InsufficientStorage,
            Title = "Insufficient storage",
            Detail = "The server's disk is full, so the change could not be saved; nothing was applied. " +
                     "Free space in the data directory (or the database's volume) and try again.",
        },
        _ => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Database unavailable",
            Detail = $"The database is unreachable or busy right now; nothing was applied. Retry in {RetryAfterSeconds} seconds.",
        },
    };
}

/// <summary>Answers an outage with 503 + Retry-After (database unavailable) or 507 (disk full) instead of a 500.</summary>
internal sealed class OutageExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        var kind = Outages.Classify(exception);
        if (kind == OutageKind.None) return false;
        var problem = Outages.Problem(kind);
        // No pool clearing here: Npgsql and SqlClient drop every idle connection of a pool themselves once one of its
        // connections breaks, so the first request after recovery gets a fresh one (FaultTests checks it).
        if (kind == OutageKind.DatabaseUnavailable)
            http.Response.Headers.RetryAfter = Outages.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.StatusCode = problem.Status!.Value;
        if (await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception }))
            return true;
        // A client that accepts neither JSON nor */*: the status and a line of text.
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync($"{problem.Title}: {problem.Detail}", ct);
        return true;
    }
}
