using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TeamSkills.Core.Catalog;
using TeamSkills.Core.Completions;
using TeamSkills.Core.Imports;
using TeamSkills.Core.Roster;

namespace TeamSkills.Core.Data.Configurations;

/// <summary>Field lengths shared by the entities and the import validation.</summary>
public static class FieldLimits
{
    public const int EmployeeId = 64;
    public const int Name = 200;
    public const int Email = 320;
    public const int Title = 200;
    public const int Team = 200;
}

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> b)
    {
        b.ToTable("teams");
        b.HasKey(x => x.Id);
        b.Property(x => x.Name).HasMaxLength(FieldLimits.Team).IsRequired();
        b.Property(x => x.ManagerEmail).HasMaxLength(FieldLimits.Email);
        b.HasIndex(x => x.Name).IsUnique();
        b.HasIndex(x => x.ManagerEmail);
    }
}

internal sealed class EngineerConfiguration : IEntityTypeConfiguration<Engineer>
{
    public void Configure(EntityTypeBuilder<Engineer> b)
    {
        b.ToTable("engineers");
        b.HasKey(x => x.Id);
        b.Property(x => x.EmployeeId).HasMaxLength(FieldLimits.EmployeeId).IsRequired();
        b.Property(x => x.Name).HasMaxLength(FieldLimits.Name).IsRequired();
        b.Property(x => x.Email).HasMaxLength(FieldLimits.Email).IsRequired();
        b.Property(x => x.Title).HasMaxLength(FieldLimits.Title);
        b.Property(x => x.NormalizedTitle).HasMaxLength(FieldLimits.Title);
        b.Property(x => x.RoleId).HasMaxLength(64);
        b.Property(x => x.ManagerEmail).HasMaxLength(FieldLimits.Email);
        // One index on purpose: each index costs every bulk import, and reads by team, role or email run over the
        // in-memory gap index or are rare admin actions. The foreign keys keep integrity; their conventional
        // indexes only speed up deleting a team or role, which the app never does.
        b.HasIndex(x => x.EmployeeId).IsUnique();
        b.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Role>().WithMany().HasForeignKey(x => x.RoleId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class CompletionConfiguration : IEntityTypeConfiguration<Completion>
{
    public void Configure(EntityTypeBuilder<Completion> b)
    {
        b.ToTable("completions");
        b.HasKey(x => x.Id);
        b.Property(x => x.CertificationId).HasMaxLength(64).IsRequired();
        b.Property(x => x.RecordedBy).HasMaxLength(320);
        // History is kept; one record per engineer, certification and completion date.
        b.HasIndex(x => new { x.EngineerId, x.CertificationId, x.EarnedOn }).IsUnique();
        b.HasOne<Engineer>().WithMany().HasForeignKey(x => x.EngineerId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Certification>().WithMany().HasForeignKey(x => x.CertificationId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<ImportRecord>().WithMany().HasForeignKey(x => x.ImportId).OnDelete(DeleteBehavior.SetNull);
        // No index for certification_id or import_id: certifications and imports are never deleted, so those
        // indexes would only slow every import (see ConfigureConventions).
    }
}

internal sealed class ImportRecordConfiguration : IEntityTypeConfiguration<ImportRecord>
{
    public void Configure(EntityTypeBuilder<ImportRecord> b)
    {
        b.ToTable("imports");
        b.HasKey(x => x.Id);
        b.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Mode).HasMaxLength(16);
        b.Property(x => x.FileName).HasMaxLength(260);
        b.Property(x => x.ContentType).HasMaxLength(128);
        b.Property(x => x.Format).HasMaxLength(8);
        b.Property(x => x.ImportedBy).HasMaxLength(320);
        b.HasIndex(x => x.ImportedAt);
        b.HasOne(x => x.File).WithOne().HasForeignKey<ImportFile>(x => x.ImportId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ImportFileConfiguration : IEntityTypeConfiguration<ImportFile>
{
    public void Configure(EntityTypeBuilder<ImportFile> b)
    {
        b.ToTable("import_files");
        b.HasKey(x => x.ImportId);
        b.Property(x => x.Gzip).IsRequired();
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<Audit.AuditEntry>
{
    public void Configure(EntityTypeBuilder<Audit.AuditEntry> b)
    {
        b.ToTable("audit_entries");
        b.HasKey(x => x.Id);
        b.Property(x => x.Actor).HasMaxLength(320).IsRequired();
        b.Property(x => x.Action).HasMaxLength(64).IsRequired();
        b.Property(x => x.Target).HasMaxLength(400);
        b.Property(x => x.Outcome).HasMaxLength(32);
        b.Property(x => x.Details).HasMaxLength(8000);
        b.Property(x => x.Ip).HasMaxLength(64);
        b.HasIndex(x => x.At);
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<Access.ApiKey>
{
    public void Configure(EntityTypeBuilder<Access.ApiKey> b)
    {
        b.ToTable("api_keys");
        b.HasKey(x => x.Id);
        b.Property(x => x.UserId).HasMaxLength(450).IsRequired();
        b.Property(x => x.Prefix).HasMaxLength(16).IsRequired();
        b.Property(x => x.Hash).HasMaxLength(64).IsRequired();
        b.HasIndex(x => x.Hash).IsUnique();
        b.HasIndex(x => x.UserId);
        b.HasOne<Access.AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AppStateConfiguration : IEntityTypeConfiguration<AppState>
{
    public void Configure(EntityTypeBuilder<AppState> b)
    {
        b.ToTable("app_state");
        b.HasKey(x => x.Key);
        b.Property(x => x.Key).HasMaxLength(64);
        b.HasData(new AppState { Key = AppState.DataVersion, Value = 1 });
    }
}
