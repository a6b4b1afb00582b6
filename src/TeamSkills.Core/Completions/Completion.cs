namespace TeamSkills.Core.Completions;

public sealed class Completion
{
    public long Id { get; set; }
    public int EngineerId { get; set; }
    public required string CertificationId { get; set; }
    public DateOnly EarnedOn { get; set; }
    public DateOnly ExpiresOn { get; set; }
    /// <summary>True when expires_on was derived from the catalog's validity rather than given.</summary>
    public bool ExpiryDerived { get; set; }
    /// <summary>The import that brought it, or null for a single record through the API.</summary>
    public long? ImportId { get; set; }
    public string RecordedBy { get; set; } = "";
    public DateTimeOffset RecordedAt { get; set; }
}
