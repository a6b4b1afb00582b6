using TeamSkills.Core.Gaps;

namespace TeamSkills.Core.Tracking;

/// <summary>
/// One status transition of one held certification (valid → expiring → expired), recorded once by the expiry
/// sweep: unique per engineer, certification, expiry date and new status.
/// </summary>
public sealed class StatusEvent
{
    public long Id { get; set; }
    public int EngineerId { get; set; }
    public string CertificationId { get; set; } = "";
    public DateOnly ExpiresOn { get; set; }
    public CertStatus FromStatus { get; set; }
    public CertStatus ToStatus { get; set; }
    /// <summary>The organisation's date on which the transition took effect.</summary>
    public DateOnly OnDate { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>
/// Every message a job sent (or gave up on), keyed by (recipient, kind, period): a job checks it before sending and
/// writes it right after, so a retried job never sends twice.
/// </summary>
public sealed class SentMessage
{
    public long Id { get; set; }
    public string Recipient { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Period { get; set; } = "";
    public SendOutcome Outcome { get; set; }
    public string? Detail { get; set; }
    public DateTimeOffset SentAt { get; set; }
}

public enum SendOutcome
{
    Sent = 0,
    /// <summary>The server refused the address: not retried, so it cannot block the others.</summary>
    Rejected = 1,
    /// <summary>A digest with nothing new, skipped on purpose (still counts as this period's digest).</summary>
    Skipped = 2,
    /// <summary>Claimed by a run that is sending it now; becomes Sent or Rejected, or is removed if the send fails.</summary>
    Pending = 3,
}

/// <summary>One team's numbers on one date, written daily by the coverage-snapshot job for trend charts.</summary>
public sealed class CoverageSnapshot
{
    public DateOnly Date { get; set; }
    public int TeamId { get; set; }
    public int EngineerCount { get; set; }
    public int RecommendedCount { get; set; }
    public int HeldCount { get; set; }
    public int GapCount { get; set; }
    public int ExpiringSoonCount { get; set; }
    public int ExpiredCount { get; set; }
    public int UnmappedCount { get; set; }
    public double CoveragePercent { get; set; }
}

public enum DigestFrequency
{
    Weekly = 0,
    Monthly = 1,
    Off = 2,
}

/// <summary>A manager's digest choice; a manager without a row gets the default (weekly).</summary>
public sealed class DigestPreference
{
    public string ManagerEmail { get; set; } = "";
    public DigestFrequency Frequency { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>An Admin's override of a recurring job's schedule (configuration holds the defaults).</summary>
public sealed class JobSchedule
{
    public string JobId { get; set; } = "";
    public string Cron { get; set; } = "";
    public string TimeZone { get; set; } = "";
    public string UpdatedBy { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
}
