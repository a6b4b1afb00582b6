using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace TeamSkills.Core.Data;

public enum DatabaseProvider { Sqlite, PostgreSql, SqlServer }

public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    public bool MigrateOnStart { get; set; } = true;
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
                builder.UseSqlite(connectionString, o => o.MigrationsAssembly(MigrationsAssembly(provider)));
                break;
            default:
                throw new NotSupportedException(
                    $"Database provider {provider} is not available in this build yet; use Sqlite (TeamSkills:Database:Provider).");
        }
        return builder;
    }

    /// <summary>The SQLite connection string for a file in the data directory, with a busy timeout for concurrent writers.</summary>
    public static string SqliteFileConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        DefaultTimeout = 30,
        Pooling = true,
    }.ToString();
}
