using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Tests.Unit;

public sealed class OutagesTests
{
    public static TheoryData<string, Exception, OutageKind> Cases() => new()
    {
        { "SQLite busy", new SqliteException("database is locked", 5), OutageKind.DatabaseUnavailable },
        { "SQLite locked (table)", new SqliteException("database table is locked", 6), OutageKind.DatabaseUnavailable },
        { "SQLite busy inside EF's DbUpdateException", new DbUpdateException("save failed", new SqliteException("database is locked", 5)), OutageKind.DatabaseUnavailable },
        { "SQLite full", new SqliteException("database or disk is full", 13), OutageKind.DiskFull },
        { "SQLite constraint", new SqliteException("UNIQUE constraint failed", 19), OutageKind.None },
        { "SQLite corrupt", new SqliteException("database disk image is malformed", 11), OutageKind.None },
        { "PostgreSQL too many connections", Pg("53300"), OutageKind.DatabaseUnavailable },
        { "PostgreSQL admin shutdown", Pg("57P01"), OutageKind.DatabaseUnavailable },
        { "PostgreSQL cannot connect now (starting)", Pg("57P03"), OutageKind.DatabaseUnavailable },
        { "PostgreSQL connection failure", Pg("08006"), OutageKind.DatabaseUnavailable },
        { "PostgreSQL disk full", Pg("53100"), OutageKind.DiskFull },
        { "PostgreSQL unique violation", Pg("23505"), OutageKind.None },
        { "PostgreSQL serialization failure (a conflict, not an outage)", Pg("40001"), OutageKind.None },
        { "PostgreSQL syntax error", Pg("42601"), OutageKind.None },
        { "Npgsql socket error", new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)), OutageKind.DatabaseUnavailable },
        { "Npgsql stream read failure", new NpgsqlException("Exception while reading from stream", new EndOfStreamException()), OutageKind.DatabaseUnavailable },
        { "Npgsql exhausted pool", new NpgsqlException("The connection pool has been exhausted", new TimeoutException()), OutageKind.DatabaseUnavailable },
        { "Npgsql misuse", new NpgsqlException("Something else"), OutageKind.None },
        {
            "EF's transient-failure InvalidOperationException around Npgsql",
            new InvalidOperationException("An exception has been raised that is likely due to a transient failure.",
                new NpgsqlException("Exception while reading from stream", new IOException("Connection reset by peer"))),
            OutageKind.DatabaseUnavailable
        },
        { "EF retries exhausted", new Microsoft.EntityFrameworkCore.Storage.RetryLimitExceededException("retries", new TimeoutException()), OutageKind.DatabaseUnavailable },
        { "pool timeout thrown by a data provider", new TimeoutException("pool") { Source = "Npgsql" }, OutageKind.DatabaseUnavailable },
        { "a timeout from elsewhere (mail, HTTP)", new TimeoutException("smtp") { Source = "MailKit" }, OutageKind.None },
        { "SqlClient pool timeout", new InvalidOperationException("Timeout expired. The timeout period elapsed prior to obtaining a connection from the pool.") { Source = "Microsoft.Data.SqlClient" }, OutageKind.DatabaseUnavailable },
        { "ENOSPC (Linux, macOS)", new IOException("No space left on device", 28), OutageKind.DiskFull },
        { "ERROR_DISK_FULL (Windows)", new IOException("There is not enough space on the disk.", unchecked((int)0x80070070)), OutageKind.DiskFull },
        { "ENOSPC under a wrapper", new InvalidOperationException("export failed", new IOException("No space left on device", 28)), OutageKind.DiskFull },
        { "another I/O error", new IOException("Permission denied", 13), OutageKind.None },
        { "busy inside an AggregateException", new AggregateException(new ArgumentException("x"), new SqliteException("database is locked", 5)), OutageKind.DatabaseUnavailable },
        { "a bug", new NullReferenceException(), OutageKind.None },
        { "a plain InvalidOperationException", new InvalidOperationException("Sequence contains no elements"), OutageKind.None },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classify_TellsOutagesFromBugs(string what, Exception exception, OutageKind expected) =>
        Assert.True(expected == Outages.Classify(exception), $"{what}: {Outages.Classify(exception)}, expected {expected}");

    [Fact]
    public void DiskFull_WinsOverUnavailable_WhenBothAppear() =>
        Assert.Equal(OutageKind.DiskFull, Outages.Classify(
            new AggregateException(new SqliteException("database is locked", 5), new IOException("No space left on device", 28))));

    [Fact]
    public void Problems_SayWhatHappenedAndWhatToDo()
    {
        var unavailable = Outages.Problem(OutageKind.DatabaseUnavailable);
        Assert.Equal(503, unavailable.Status);
        Assert.Equal("Database unavailable", unavailable.Title);
        Assert.Contains("Retry in 5 seconds", unavailable.Detail);
        var full = Outages.Problem(OutageKind.DiskFull);
        Assert.Equal(507, full.Status);
        Assert.Contains("disk is full", full.Detail);
        Assert.Contains("nothing was applied", full.Detail);
    }

    private static PostgresException Pg(string sqlState) => new("message", "ERROR", "ERROR", sqlState);
}
