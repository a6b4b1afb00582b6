using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using TeamSkills.Core.Data;

namespace TeamSkills.Migrations.Sqlite;

/// <summary>Lets `dotnet ef` build the model for SQLite without starting the web host.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<TeamSkillsDbContext>
{
    public TeamSkillsDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<TeamSkillsDbContext>();
        DatabaseSetup.Configure(builder, DatabaseProvider.Sqlite, "Data Source=design-time.db");
        return new TeamSkillsDbContext(builder.Options);
    }
}
