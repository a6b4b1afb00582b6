using System.Reflection;
using TeamSkills.Core.Data;
using Xunit.Sdk;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// Runs a test once per database provider that can run here (after bitwarden's <c>[DatabaseData]</c>): SQLite, and
/// PostgreSQL on the server tests/run.sh started. Use with <c>[SkippableTheory]</c> and a <see cref="DatabaseProvider"/>
/// first parameter, and start the app with <c>new AppFactory(provider)</c>. Without that server the PostgreSQL case
/// fails under CI=true and skips, visibly, elsewhere. SQL Server cannot run on these machines; its migrations are
/// checked for drift in <see cref="Unit.MigrationConsistencyTests"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DatabaseDataAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
    [
        [DatabaseProvider.Sqlite],
        [DatabaseProvider.PostgreSql],
    ];
}

/// <summary>Databases on the test PostgreSQL server: one fresh database per app, dropped with it.</summary>
public static class TestDatabases
{
    public const string PostgresVariable = "TEAMSKILLS_TEST_POSTGRES";
    public const string RedisVariable = "TEAMSKILLS_TEST_REDIS";

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The server tests/run.sh started, or a skip (a failure under CI=true) saying how to get one.</summary>
    public static string RequireServer(string variable, string what)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(value)) return value;
        var message = $"{what} is not running: {variable} is not set. tests/run.sh starts it (tests/services.sh).";
        if (InCi) throw new InvalidOperationException(message);
        Skip.If(true, message);
        return "";
    }

    public static string PostgreSqlConnection(string database) =>
        new Npgsql.NpgsqlConnectionStringBuilder(RequireServer(PostgresVariable, "PostgreSQL")) { Database = database }.ConnectionString;

    public static string CreatePostgreSql()
    {
        var name = "ts_" + Guid.NewGuid().ToString("N")[..16];
        Admin($"CREATE DATABASE {name}");
        return name;
    }

    public static void DropPostgreSql(string name)
    {
        using (var pooled = new Npgsql.NpgsqlConnection(PostgreSqlConnection(name))) Npgsql.NpgsqlConnection.ClearPool(pooled);
        Admin($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    private static void Admin(string sql)
    {
        using var conn = new Npgsql.NpgsqlConnection(RequireServer(PostgresVariable, "PostgreSQL"));
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
