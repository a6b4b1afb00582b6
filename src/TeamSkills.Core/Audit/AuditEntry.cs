namespace TeamSkills.Core.Audit;

/// <summary>
/// Who did what and when. Append-only: the app never updates or deletes these rows, and on SQLite triggers
/// refuse it at the database too.
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Actor { get; set; }
    /// <summary>"import.roster", "completion.added", "signin.failure", ...</summary>
    public required string Action { get; set; }
    public string Target { get; set; } = "";
    public string Outcome { get; set; } = "";
    /// <summary>JSON with the facts worth keeping (counts, ids, old and new values).</summary>
    public string Details { get; set; } = "{}";
    public string? Ip { get; set; }
}
