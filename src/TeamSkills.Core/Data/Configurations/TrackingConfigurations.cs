using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TeamSkills.Core.Tracking;

namespace TeamSkills.Core.Data.Configurations;

internal sealed class StatusEventConfiguration : IEntityTypeConfiguration<StatusEvent>
{
    public void Configure(EntityTypeBuilder<StatusEvent> b)
    {
        b.ToTable("status_events");
        b.HasKey(x => x.Id);
        b.Property(x => x.CertificationId).HasMaxLength(64).IsRequired();
        b.Property(x => x.FromStatus).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.ToStatus).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(x => new { x.EngineerId, x.CertificationId, x.ExpiresOn, x.ToStatus }).IsUnique();
        b.HasIndex(x => x.OnDate);
    }
}

internal sealed class SentMessageConfiguration : IEntityTypeConfiguration<SentMessage>
{
    public void Configure(EntityTypeBuilder<SentMessage> b)
    {
        b.ToTable("sent_messages");
        b.HasKey(x => x.Id);
        b.Property(x => x.Recipient).HasMaxLength(320).IsRequired();
        b.Property(x => x.Kind).HasMaxLength(32).IsRequired();
        b.Property(x => x.Period).HasMaxLength(200).IsRequired();
        b.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Detail).HasMaxLength(1000);
        b.HasIndex(x => new { x.Recipient, x.Kind, x.Period }).IsUnique();
    }
}

internal sealed class CoverageSnapshotConfiguration : IEntityTypeConfiguration<CoverageSnapshot>
{
    public void Configure(EntityTypeBuilder<CoverageSnapshot> b)
    {
        b.ToTable("coverage_snapshots");
        b.HasKey(x => new { x.Date, x.TeamId });
    }
}

internal sealed class DigestPreferenceConfiguration : IEntityTypeConfiguration<DigestPreference>
{
    public void Configure(EntityTypeBuilder<DigestPreference> b)
    {
        b.ToTable("digest_preferences");
        b.HasKey(x => x.ManagerEmail);
        b.Property(x => x.ManagerEmail).HasMaxLength(320);
        b.Property(x => x.Frequency).HasConversion<string>().HasMaxLength(16);
    }
}

internal sealed class JobScheduleConfiguration : IEntityTypeConfiguration<JobSchedule>
{
    public void Configure(EntityTypeBuilder<JobSchedule> b)
    {
        b.ToTable("job_schedules");
        b.HasKey(x => x.JobId);
        b.Property(x => x.JobId).HasMaxLength(64);
        b.Property(x => x.Cron).HasMaxLength(100).IsRequired();
        b.Property(x => x.TimeZone).HasMaxLength(100).IsRequired();
        b.Property(x => x.UpdatedBy).HasMaxLength(320).IsRequired();
    }
}
