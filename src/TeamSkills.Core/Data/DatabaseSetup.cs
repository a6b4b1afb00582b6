using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

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
                builder.UseNpgsql(connectionString, o => o.MigrationsAssembly(MigrationsAssembly(provider)));
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
