namespace TeamSkills.Core.Catalog;

public sealed class Role
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public List<RoleCertification> Certifications { get; set; } = [];
}

public sealed class RoleCertification
{
    public required string RoleId { get; set; }
    public required string CertificationId { get; set; }
    /// <summary>"Security focus", "DataOps focus": the seeds recommend one certification with a focus.</summary>
    public string? Focus { get; set; }
}

/// <summary>A normalised job title mapped to a role, seeded with the obvious synonyms and extended by admins.</summary>
public sealed class RoleAlias
{
    public required string NormalizedTitle { get; set; }
    public required string RoleId { get; set; }
    public bool BuiltIn { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}
