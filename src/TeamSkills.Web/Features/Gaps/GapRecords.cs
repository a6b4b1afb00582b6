using TeamSkills.Core.Gaps;

namespace TeamSkills.Web.Features.Gaps;

public sealed record TeamSummary(
    int Id, string Name, string? ManagerEmail, int EngineerCount, int RecommendedCount, int HeldCount, int GapCount,
    int ExpiringSoonCount, int ExpiredCount, int UnmappedCount, double CoveragePercent)
{
    public static TeamSummary From(TeamInfo team, TeamTally t) => new(team.Id, team.Name, team.ManagerEmail, t.EngineerCount,
        t.RecommendedCount, t.HeldCount, t.GapCount, t.ExpiringSoonCount, t.ExpiredCount, t.UnmappedCount, t.CoveragePercent);
}

public sealed record CertRef(string Id, string Name);

/// <summary>The certification to take next, and when it is a hard prerequisite on the way to another (which the role
/// may not recommend itself), the one it leads to. <see cref="Label"/> says both.</summary>
public sealed record NextStep(string Id, string Name, string? PrerequisiteOf)
{
    public string Label => PrerequisiteOf is null ? Name : $"{Name} (prerequisite of {PrerequisiteOf})";

    public static NextStep? From((CertRule Step, CertRule Target)? next) => next is not { } n ? null
        : new NextStep(n.Step.Id, n.Step.Name, n.Step.Id == n.Target.Id ? null : n.Target.Name);
}

public sealed record TeamRef(int Id, string Name);

public sealed record CertificationStatus(string Id, string Name, CertStatus Status, DateOnly? EarnedOn, DateOnly? ExpiresOn);

public sealed record EngineerGaps(
    string EmployeeId, string Name, string Email, string Title, string? Role, string? RoleId,
    IReadOnlyList<CertificationStatus> Certifications, NextStep? Next);

public sealed record TeamGaps(
    int Id, string Name, string? ManagerEmail, DateOnly AsOf, int EngineerCount, int RecommendedCount, int HeldCount, int GapCount,
    int ExpiringSoonCount, int ExpiredCount, int UnmappedCount, double CoveragePercent, IReadOnlyList<EngineerGaps> Engineers);

public sealed record EngineerCertification(
    string Id, string Name, CertStatus Status, DateOnly? EarnedOn, DateOnly? ExpiresOn, string? Focus, string? Explanation);

public sealed record CompletionRecord(long Id, string CertificationId, string CertificationName, DateOnly EarnedOn, DateOnly ExpiresOn,
    bool ExpiryDerived, string Explanation);

public sealed record EngineerDetail(
    string EmployeeId, string Name, string Email, string Title, string? Role, string? RoleId, bool Active,
    TeamRef Team, string? ManagerEmail, DateOnly AsOf,
    IReadOnlyList<EngineerCertification> Certifications, NextStep? Next, IReadOnlyList<PlanStep> Plan,
    int RemainingPreparationDays, IReadOnlyList<CompletionRecord> History);

public sealed record TrendPoint(DateOnly Date, double CoveragePercent);

/// <summary>An engineer found by a search: enough to pick the right one.</summary>
public sealed record EngineerHit(string EmployeeId, string Name, string Email, string Team, string Title);
