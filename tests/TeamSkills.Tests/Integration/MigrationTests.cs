using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

public sealed class MigrationTests
{
    [SkippableTheory, DatabaseData]
    public async Task Migrations_CoverTheModel_AndApplyToAFreshDatabase(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider);
        _ = app.Api(); // starts the host: migrations run at start
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TeamSkillsDbContext>();
        Assert.False(db.Database.HasPendingModelChanges(), $"The model changed without a migration for {provider}: run migrations/add.sh.");
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        if (provider == DatabaseProvider.Sqlite) Assert.True(File.Exists(app.DatabasePath));
        Assert.Equal(12, app.Scalar("SELECT COUNT(*) FROM certifications"));
        Assert.Equal(8, app.Scalar("SELECT COUNT(*) FROM roles"));
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM engineers")); // no demo unless asked
    }
}

public sealed class DemoTests
{
    [SkippableTheory, DatabaseData]
    public async Task DemoMode_LoadsTheDemoOrganisation_ThroughTheImportPipeline(DatabaseProvider provider)
    {
        await using var app = new AppFactory(provider).With("TeamSkills:Demo", "true");
        var api = app.Api();
        var teams = await (await api.GetAsync("/api/teams")).JsonOf();
        Assert.True(teams.GetArrayLength() >= 8);
        var statuses = new HashSet<string>();
        foreach (var team in teams.EnumerateArray())
        {
            var gaps = await (await api.GetAsync($"/api/teams/{team.GetProperty("id").GetInt32()}/gaps")).JsonOf();
            foreach (var e in gaps.GetProperty("engineers").EnumerateArray())
                foreach (var c in e.GetProperty("certifications").EnumerateArray())
                    statuses.Add(c.GetProperty("status").GetString()!);
        }
        Assert.Equal(["expired", "expiring", "missing", "valid"], statuses.Order());
        Assert.Equal(2, (await (await api.GetAsync("/api/roles/unmapped")).JsonOf()).GetArrayLength());
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM imports WHERE imported_by = 'demo' AND outcome = 'Applied'"));
    }
}
