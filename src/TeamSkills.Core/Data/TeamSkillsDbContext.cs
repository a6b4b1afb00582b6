using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using TeamSkills.Core.Catalog;
using TeamSkills.Core.Completions;
using TeamSkills.Core.Imports;
using TeamSkills.Core.Roster;

namespace TeamSkills.Core.Data;

public sealed class TeamSkillsDbContext(DbContextOptions<TeamSkillsDbContext> options)
    : Microsoft.AspNetCore.Identity.EntityFrameworkCore.IdentityDbContext<Access.AppUser>(options),
      Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.IDataProtectionKeyContext
{
    /// <summary>The data-protection key ring, shared by every app instance on this database (sign-in cookies,
    /// antiforgery and digest links made by one instance open on the others).</summary>
    public DbSet<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey> DataProtectionKeys =>
        Set<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey>();

    public DbSet<Certification> Certifications => Set<Certification>();
    public DbSet<Role> JobRoles => Set<Role>();
    public DbSet<RoleCertification> RoleCertifications => Set<RoleCertification>();
    public DbSet<RoleAlias> RoleAliases => Set<RoleAlias>();
    public DbSet<Team> Teams => Set<Team>();
    public DbSet<Engineer> Engineers => Set<Engineer>();
    public DbSet<Completion> Completions => Set<Completion>();
    public DbSet<ImportRecord> Imports => Set<ImportRecord>();
    public DbSet<ImportFile> ImportFiles => Set<ImportFile>();
    public DbSet<AppState> AppState => Set<AppState>();
    public DbSet<Audit.AuditEntry> AuditEntries => Set<Audit.AuditEntry>();
    public DbSet<Access.ApiKey> ApiKeys => Set<Access.ApiKey>();
    public DbSet<Tracking.StatusEvent> StatusEvents => Set<Tracking.StatusEvent>();
    public DbSet<Tracking.SentMessage> SentMessages => Set<Tracking.SentMessage>();
    public DbSet<Tracking.CoverageSnapshot> CoverageSnapshots => Set<Tracking.CoverageSnapshot>();
    public DbSet<Tracking.DigestPreference> DigestPreferences => Set<Tracking.DigestPreference>();
    public DbSet<Tracking.JobSchedule> JobSchedules => Set<Tracking.JobSchedule>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder); // Identity's tables
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(TeamSkillsDbContext).Assembly);
        modelBuilder.Entity<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey>().ToTable("data_protection_keys");
        // snake_case columns: raw bulk SQL stays identical on SQLite, PostgreSQL and SQL Server, unquoted.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
            }
        }
        // Employee ids are matched ordinally by the app (imports, the API): "E1" and "e1" are two engineers. The column
        // compares the same way on every provider: SQLite's default BINARY already does; SQL Server's default
        // collation ignores case (its unique index would refuse a file the app accepted), and PostgreSQL's default
        // goes through the locale (slower sorts when its unique index is built, ordering unlike the app's).
        var ordinal = Database.ProviderName switch
        {
            "Npgsql.EntityFrameworkCore.PostgreSQL" => "C",
            "Microsoft.EntityFrameworkCore.SqlServer" => "Latin1_General_100_BIN2",
            _ => null,
        };
        if (ordinal is not null) modelBuilder.Entity<Roster.Engineer>().Property(e => e.EmployeeId).UseCollation(ordinal);
    }

    public static string SnakeCase(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var ch = name[i];
            if (char.IsUpper(ch) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order or compare DateTimeOffset; ticks in UTC sort correctly on every provider.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToUtcTicks>();
        // Indexes are declared where a query needs them, never added for every foreign key by convention: each
        // index costs every bulk import, and parents (teams, roles, certifications, imports) are never deleted.
        configurationBuilder.Conventions.Remove(typeof(Microsoft.EntityFrameworkCore.Metadata.Conventions.ForeignKeyIndexConvention));
    }

    /// <summary>
    /// Begins a write transaction that holds the database's one writer lock from its first statement, so what it reads
    /// is what it writes over, with writers in other app instances too. SQLite: BEGIN IMMEDIATE (Microsoft.Data.Sqlite's
    /// default) takes the file's write lock. PostgreSQL and SQL Server run READ COMMITTED, where two such transactions
    /// read the same rows and then collide on a unique key or overwrite each other: there the transaction first takes
    /// an application lock (pg_advisory_xact_lock, sp_getapplock) held until it ends, so writers queue as on SQLite and
    /// each statement after the lock sees what the writer before committed. Readers never wait for it.
    /// </summary>
    public async Task<IDbContextTransaction> BeginWriteTransactionAsync(CancellationToken ct)
    {
        var tx = await Database.BeginTransactionAsync(ct);
        try
        {
            if (Database.IsNpgsql()) await Database.ExecuteSqlRawAsync(PostgreSqlWriterLock, ct);
            else if (Database.IsSqlServer()) await Database.ExecuteSqlRawAsync(SqlServerWriterLock, ct);
            return tx;
        }
        catch
        {
            await tx.DisposeAsync();
            throw;
        }
    }

    // The key is "TSWRITER" in ASCII, recognisable in pg_locks.
    private const string PostgreSqlWriterLock = "SELECT pg_advisory_xact_lock(6076296333182125394)";
    private const string SqlServerWriterLock =
        "EXEC sp_getapplock @Resource = N'teamskills-writer', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = -1";

    /// <summary>Bumps the data version inside the caller's transaction; see <see cref="Data.AppState"/>.</summary>
    /// <returns>The new version, as this transaction sees it.</returns>
    public async Task<long> BumpDataVersionAsync(CancellationToken ct)
    {
        await AppState.Where(s => s.Key == Data.AppState.DataVersion)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Value, x => x.Value + 1), ct);
        return await DataVersionAsync(ct);
    }

    public Task<long> DataVersionAsync(CancellationToken ct) =>
        AppState.Where(s => s.Key == Data.AppState.DataVersion).Select(s => s.Value).FirstOrDefaultAsync(ct);
}

internal sealed class DateTimeOffsetToUtcTicks() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTimeOffset, long>(
    v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
