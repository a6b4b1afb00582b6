using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using TeamSkills.Core.Data;

namespace TeamSkills.Migrations.PostgreSql;

/// <summary>Lets `dotnet ef` build the model for PostgreSQL without starting the web host (no server is needed to
/// add a migration; TEAMSKILLS_DESIGN_CONNECTION points `dotnet ef database update` at a real one).</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<TeamSkillsDbContext>
{
    public TeamSkillsDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<TeamSkillsDbContext>();
        DatabaseSetup.Configure(builder, DatabaseProvider.PostgreSql,
            Environment.GetEnvironmentVariable("TEAMSKILLS_DESIGN_CONNECTION") ?? "Host=localhost;Database=teamskills_design");
        return new TeamSkillsDbContext(builder.Options);
    }
}
