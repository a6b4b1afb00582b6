namespace TeamSkills.Core.Catalog;

/// <summary>How a missing expiry date is derived from a completion.</summary>
public enum RenewalBase
{
    /// <summary>expires = earned + validity (the seeds' default).</summary>
    CompletionDate = 0,
    /// <summary>A renewal earned before the previous record expired extends from that expiry.</summary>
    PreviousExpiry = 1,
}

public sealed class Certification
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public required string Program { get; set; }
    public required string Level { get; set; }
    public int RecommendedOrder { get; set; }
    /// <summary>Position in the catalog: the tie-breaker after <see cref="RecommendedOrder"/>.</summary>
    public int CatalogOrder { get; set; }
    public string? HardPrerequisiteId { get; set; }
    public string Track { get; set; } = "";
    public string WhoFor { get; set; } = "";
    public string ExperiencePrerequisites { get; set; } = "";
    public string Skills { get; set; } = "";
    public int PreparationDays { get; set; }
    public string PreparationNote { get; set; } = "";
    public int ValidityMonths { get; set; } = 36;
    public int RenewalWindowDays { get; set; } = 90;
    public RenewalBase RenewalBase { get; set; } = RenewalBase.CompletionDate;
    /// <summary>Other spellings accepted in imports (the seeds' long forms), separated by '|'.</summary>
    public string Aliases { get; set; } = "";
}
