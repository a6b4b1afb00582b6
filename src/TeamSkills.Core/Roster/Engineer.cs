namespace TeamSkills.Core.Roster;

public sealed class Engineer
{
    public int Id { get; set; }
    public required string EmployeeId { get; set; }
    public required string Name { get; set; }
    public required string Email { get; set; }
    /// <summary>The HR title as imported.</summary>
    public string Title { get; set; } = "";
    /// <summary>The title after <see cref="Catalog.TitleNormalizer"/>: the key aliases map.</summary>
    public string NormalizedTitle { get; set; } = "";
    /// <summary>Null when the title is unmapped.</summary>
    public string? RoleId { get; set; }
    public int TeamId { get; set; }
    public string? ManagerEmail { get; set; }
    public bool Active { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
