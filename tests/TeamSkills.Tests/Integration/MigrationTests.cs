using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

public sealed class MigrationTests
{
    [Fact]
    public async Task SqliteMigrations_CoverTheModel_AndApplyToAFreshFile()
    {
        await using var app = new AppFactory();
        _ = app.Api(); // starts the host: migrations run at start
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TeamSkillsDbContext>();
        Assert.False(db.Database.HasPendingModelChanges(), "The model changed without a migration: run `dotnet ef migrations add` for SQLite.");
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.True(File.Exists(app.DatabasePath));
        Assert.Equal(12, app.Scalar("SELECT COUNT(*) FROM certifications"));
        Assert.Equal(8, app.Scalar("SELECT COUNT(*) FROM roles"));
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM engineers")); // no demo unless asked
    }
}

public sealed class DemoTests
{
    [Fact]
    public async Task DemoMode_LoadsTheDemoOrganisation_ThroughTheImportPipeline()
    {
        await using var app = new AppFactory().With("TeamSkills:Demo", "true");
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
