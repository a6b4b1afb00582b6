namespace TeamSkills.Core.Roster;

public sealed class Team
{
    public int Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The most common manager_email among the team's active members.</summary>
    public string? ManagerEmail { get; set; }
}
