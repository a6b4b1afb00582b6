using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;

namespace TeamSkills.Core.Data;

public enum DatabaseProvider { Sqlite, PostgreSql, SqlServer }

public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    public bool MigrateOnStart { get; set; } = true;

    public const int DefaultBusyTimeoutSeconds = 30;

    /// <summary>SQLite: how long a write waits for another writer's lock before it fails (and the request gets a 503).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 600)]
    public int BusyTimeoutSeconds { get; set; } = DefaultBusyTimeoutSeconds;
}

/// <summary>The one switch that picks the provider and the migrations assembly that goes with it.</summary>
public static class DatabaseSetup
{
    public static string MigrationsAssembly(DatabaseProvider provider) => $"TeamSkills.Migrations.{provider}";

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder, DatabaseProvider provider, string connectionString)
    {
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                builder.UseSqlite(connectionString, o => o.MigrationsAssembly(MigrationsAssembly(provider)))
                    .AddInterceptors(SqlitePragmas.Instance);
                break;
            case DatabaseProvider.PostgreSql:
                builder.UseNpgsql(connectionString, o => o.MigrationsAssembly(MigrationsAssembly(provider)))
                    .ReplaceService<IHistoryRepository, PostgreSqlHistoryRepository>();
                break;
            case DatabaseProvider.SqlServer:
                builder.UseSqlServer(connectionString, o => o.MigrationsAssembly(MigrationsAssembly(provider)));
                break;
            default:
                throw new NotSupportedException(
                    $"TeamSkills:Database:Provider {provider} is not one of Sqlite, PostgreSql, SqlServer.");
        }
        return builder;
    }

    /// <summary>The SQLite connection string for a file in the data directory, with a busy timeout for concurrent writers (TeamSkills:Database:BusyTimeoutSeconds).</summary>
    public static string SqliteFileConnectionString(string path, int busyTimeoutSeconds = DatabaseOptions.DefaultBusyTimeoutSeconds) =>
        new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = busyTimeoutSeconds,
            Pooling = true,
        }.ToString();
}

/// <summary>
/// Per-connection SQLite settings: in WAL mode synchronous=NORMAL is the documented safe choice (a commit is
/// durable once checkpointed and the file never corrupts), and it spares an fsync on every commit.
/// </summary>
internal sealed class SqlitePragmas : Microsoft.EntityFrameworkCore.Diagnostics.DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    public override void ConnectionOpened(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData) =>
        Apply(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(System.Data.Common.DbConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
        cmd.ExecuteNonQuery();
    }
}

#pragma warning disable EF1001 // NpgsqlHistoryRepository is the provider's internal API; InstanceTests checks it after an upgrade.
/// <summary>
/// Migrations on PostgreSQL under one lock for the whole run, so instances starting at once on one database migrate
/// one after the other (each reads what is applied only once it holds the lock). Npgsql's own lock is LOCK TABLE on
/// the history table, released at each migration's commit: a second instance then applied a migration the first had
/// just applied ("relation already exists"). This one is a session advisory lock on a connection of its own, outside
/// the pool, so closing it always releases the lock, whatever EF does with its connection meanwhile.
/// </summary>
internal sealed class PostgreSqlHistoryRepository(HistoryRepositoryDependencies dependencies)
    : Npgsql.EntityFrameworkCore.PostgreSQL.Migrations.Internal.NpgsqlHistoryRepository(dependencies)
{
    /// <summary>pg_advisory_lock's key: "TSMIGRAT" in ASCII, so it is recognisable in pg_locks.</summary>
    private const long LockKey = 0x54534D4947524154;

    public override LockReleaseBehavior LockReleaseBehavior =>
        LockReleaseBehavior.Explicit;

    /// <summary>
    /// Whether the history table exists, asked of the catalog. Npgsql finds out by reading the table and catching
    /// "relation does not exist", which EF logs at error level (dotnet/efcore#37328): a red "fail" on every first start
    /// against a new database.
    /// </summary>
    public override bool Exists() =>
        Dependencies.DatabaseCreator.Exists() && Dependencies.RawSqlCommandBuilder.Build(CatalogExistsSql).ExecuteScalar(ExistsParameters()) is true;

    public override async Task<bool> ExistsAsync(CancellationToken cancellationToken = default) =>
        await Dependencies.DatabaseCreator.ExistsAsync(cancellationToken)
        && await Dependencies.RawSqlCommandBuilder.Build(CatalogExistsSql).ExecuteScalarAsync(ExistsParameters(), cancellationToken) is true;

    private string CatalogExistsSql =>
        "SELECT to_regclass(" + Dependencies.TypeMappingSource.GetMapping(typeof(string))
            .GenerateSqlLiteral(Dependencies.SqlGenerationHelper.DelimitIdentifier(TableName, TableSchema)) + ") IS NOT NULL";

    private RelationalCommandParameterObject ExistsParameters() =>
        new(Dependencies.Connection, null, null, Dependencies.CurrentContext.Context, Dependencies.CommandLogger, Microsoft.EntityFrameworkCore.Diagnostics.CommandSource.Migrations);

    public override IMigrationsDatabaseLock AcquireDatabaseLock() =>
        AcquireDatabaseLockAsync().GetAwaiter().GetResult();

    public override async Task<IMigrationsDatabaseLock> AcquireDatabaseLockAsync(
        CancellationToken cancellationToken = default)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(Dependencies.Connection.ConnectionString) { Pooling = false };
        var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_lock({LockKey})", connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new SessionLock(this, connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Held while its connection is open; disposing closes the session, which releases the lock.</summary>
    private sealed class SessionLock(IHistoryRepository repository, Npgsql.NpgsqlConnection connection)
        : IMigrationsDatabaseLock
    {
        IHistoryRepository IMigrationsDatabaseLock.HistoryRepository => repository;

        public void Dispose() => connection.Dispose();

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
#pragma warning restore EF1001
