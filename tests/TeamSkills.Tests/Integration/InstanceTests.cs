using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

/// <summary>Two app instances on one database, as a deployment behind a load balancer runs them.</summary>
public sealed class InstanceTests
{
    [SkippableTheory, DatabaseData]
    public async Task TwoInstances_StartingAtOnceOnAnEmptyDatabase_BothComeUp_AndSeedOnce(DatabaseProvider provider)
    {
        await using var first = new AppFactory(provider);
        await using var second = provider == DatabaseProvider.Sqlite
            ? new AppFactory(provider).With("TeamSkills:DataDirectory", first.DataDirectory)
            : new AppFactory(provider).With("ConnectionStrings:TeamSkills", first.ConnectionString);
        // Each start migrates the database, seeds the catalog and the sign-in roles, and lays down its key ring.
        await Task.WhenAll(Task.Run(() => first.Api()), Task.Run(() => second.Api()));
        Assert.Equal(HttpStatusCode.OK, (await first.Api().GetAsync("/api/catalog/roles")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second.Api().GetAsync("/api/catalog/roles")).StatusCode);
        Assert.Equal(12, first.Scalar("SELECT COUNT(*) FROM certifications"));
        Assert.Equal(8, first.Scalar("SELECT COUNT(*) FROM roles"));
        Assert.Equal(first.Scalar("SELECT COUNT(DISTINCT normalized_name) FROM \"AspNetRoles\""), first.Scalar("SELECT COUNT(*) FROM \"AspNetRoles\""));
    }

    /// <summary>A first start migrates an empty database without a word at error level: an operator reads a red "fail" in
    /// the first start's log as a broken install (EF logged one for its probe of the missing history table on PostgreSQL).</summary>
    [SkippableTheory, DatabaseData]
    public async Task FirstStart_OnAnEmptyDatabase_LogsNoError(DatabaseProvider provider)
    {
        var logs = new LogRecorder();
        await using var app = new AppFactory(provider) { TestServices = s => s.AddSingleton<ILoggerProvider>(logs) };
        Assert.Equal(HttpStatusCode.OK, (await app.Api().GetAsync("/health")).StatusCode);
        Assert.Equal(8, app.Scalar("SELECT COUNT(*) FROM roles"));
        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message}").ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
