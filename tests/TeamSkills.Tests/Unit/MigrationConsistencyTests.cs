using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Unit;

/// <summary>
/// The three migration sets (migrations/TeamSkills.Migrations.{Sqlite,PostgreSql,SqlServer}) against the model and each
/// other, without a database server: SQL Server cannot run here, so this is its check.
/// </summary>
public sealed class MigrationConsistencyTests
{
    /// <summary>
    /// SQLite had three migrations before PostgreSQL and SQL Server existed; their sets start with one Initial that
    /// equals those three. From then on every migration is added to all three by migrations/add.sh, under one name.
    /// </summary>
    private static readonly string[] SqliteOnlyHistory = ["Initial", "ImportPreviewTracking", "JobsAndTracking"];

    public static TheoryData<DatabaseProvider> Providers => [DatabaseProvider.Sqlite, DatabaseProvider.PostgreSql, DatabaseProvider.SqlServer];

    private static TeamSkillsDbContext DesignTimeContext(DatabaseProvider provider)
    {
        var assembly = Assembly.Load(DatabaseSetup.MigrationsAssembly(provider));
        var factory = assembly.GetTypes().Single(t => typeof(IDesignTimeDbContextFactory<TeamSkillsDbContext>).IsAssignableFrom(t));
        return ((IDesignTimeDbContextFactory<TeamSkillsDbContext>)Activator.CreateInstance(factory)!).CreateDbContext([]);
    }

    private static List<string> Names(DatabaseProvider provider)
    {
        using var db = DesignTimeContext(provider);
        return db.GetService<IMigrationsAssembly>().Migrations.Keys.Order(StringComparer.Ordinal)
            .Select(id => id[(id.IndexOf('_') + 1)..]).ToList();
    }

    [Theory, MemberData(nameof(Providers))]
    public void EachSet_HasEveryModelChange(DatabaseProvider provider)
    {
        using var db = DesignTimeContext(provider);
        Assert.Equal(provider switch
        {
            DatabaseProvider.Sqlite => "Microsoft.EntityFrameworkCore.Sqlite",
            DatabaseProvider.PostgreSql => "Npgsql.EntityFrameworkCore.PostgreSQL",
            _ => "Microsoft.EntityFrameworkCore.SqlServer",
        }, db.Database.ProviderName);
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The model has changes that the {provider} migrations lack: run migrations/add.sh <Name> (it adds the migration to all three sets).");
    }

    [Fact]
    public void TheThreeSets_HaveTheSameMigrations_InTheSameOrder()
    {
        var sqlite = Names(DatabaseProvider.Sqlite);
        var postgres = Names(DatabaseProvider.PostgreSql);
        var sqlServer = Names(DatabaseProvider.SqlServer);
        Assert.Equal(SqliteOnlyHistory, sqlite.Take(SqliteOnlyHistory.Length));
        var shared = new[] { "Initial" }.Concat(sqlite.Skip(SqliteOnlyHistory.Length)).ToList();
        Assert.Equal(shared, postgres);
        Assert.Equal(shared, sqlServer);
        Assert.Contains("SharedKeyRing", shared);
    }

    [Fact]
    public void TheSqlServerSet_CreatesEveryTableOfTheModel()
    {
        // No SQL Server here: its migrations are rendered to SQL and checked against the model instead.
        using var db = DesignTimeContext(DatabaseProvider.SqlServer);
        var script = db.GetService<IMigrator>().GenerateScript();
        foreach (var table in db.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Distinct())
            Assert.Contains($"CREATE TABLE [{table}]", script);
        Assert.Contains("CREATE UNIQUE INDEX", script);
        // Employee ids compare ordinally, as the app matches them: SQL Server's default collation ignores case.
        Assert.Contains("ALTER COLUMN [employee_id] nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL", script);
    }
}
