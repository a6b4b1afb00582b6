using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using TeamSkills.Core.Data;

namespace TeamSkills.Migrations.SqlServer;

/// <summary>Lets `dotnet ef` build the model for SQL Server without starting the web host (no server is needed to
/// add a migration; TEAMSKILLS_DESIGN_CONNECTION points `dotnet ef database update` at a real one).</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<TeamSkillsDbContext>
{
    public TeamSkillsDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<TeamSkillsDbContext>();
        DatabaseSetup.Configure(builder, DatabaseProvider.SqlServer,
            Environment.GetEnvironmentVariable("TEAMSKILLS_DESIGN_CONNECTION") ?? "Server=localhost;Database=TeamSkills;TrustServerCertificate=True");
        return new TeamSkillsDbContext(builder.Options);
    }
}
