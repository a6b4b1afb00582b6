using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TeamSkills.Core.Catalog;

namespace TeamSkills.Core.Data.Configurations;

internal sealed class CertificationConfiguration : IEntityTypeConfiguration<Certification>
{
    public void Configure(EntityTypeBuilder<Certification> b)
    {
        b.ToTable("certifications");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(64);
        b.Property(x => x.Name).HasMaxLength(128).IsRequired();
        b.Property(x => x.Program).HasMaxLength(64).IsRequired();
        b.Property(x => x.Level).HasMaxLength(32).IsRequired();
        b.Property(x => x.HardPrerequisiteId).HasMaxLength(64);
        b.Property(x => x.Track).HasMaxLength(128);
        b.Property(x => x.WhoFor).HasMaxLength(512);
        b.Property(x => x.ExperiencePrerequisites).HasMaxLength(512);
        b.Property(x => x.Skills).HasMaxLength(1024);
        b.Property(x => x.PreparationNote).HasMaxLength(512);
        b.Property(x => x.Aliases).HasMaxLength(2048);
        b.Property(x => x.RenewalBase).HasConversion<string>().HasMaxLength(32);
        b.HasOne<Certification>().WithMany().HasForeignKey(x => x.HardPrerequisiteId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(x => x.CatalogOrder);
    }
}

internal sealed class RoleConfiguration : IEntityTypeConfiguration<Role>
{
    public void Configure(EntityTypeBuilder<Role> b)
    {
        b.ToTable("roles");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(64);
        b.Property(x => x.Name).HasMaxLength(128).IsRequired();
        b.HasIndex(x => x.Name).IsUnique();
        b.HasMany(x => x.Certifications).WithOne().HasForeignKey(x => x.RoleId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RoleCertificationConfiguration : IEntityTypeConfiguration<RoleCertification>
{
    public void Configure(EntityTypeBuilder<RoleCertification> b)
    {
        b.ToTable("role_certifications");
        b.HasKey(x => new { x.RoleId, x.CertificationId });
        b.Property(x => x.RoleId).HasMaxLength(64);
        b.Property(x => x.CertificationId).HasMaxLength(64);
        b.Property(x => x.Focus).HasMaxLength(128);
        b.HasOne<Certification>().WithMany().HasForeignKey(x => x.CertificationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RoleAliasConfiguration : IEntityTypeConfiguration<RoleAlias>
{
    public void Configure(EntityTypeBuilder<RoleAlias> b)
    {
        b.ToTable("role_aliases");
        b.HasKey(x => x.NormalizedTitle);
        b.Property(x => x.NormalizedTitle).HasMaxLength(256);
        b.Property(x => x.RoleId).HasMaxLength(64).IsRequired();
        b.Property(x => x.CreatedBy).HasMaxLength(320);
        b.HasOne<Role>().WithMany().HasForeignKey(x => x.RoleId).OnDelete(DeleteBehavior.Cascade);
    }
}
