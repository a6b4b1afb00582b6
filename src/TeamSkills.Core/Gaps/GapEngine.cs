namespace TeamSkills.Core.Gaps;

public enum CertStatus { Valid, Expiring, Expired, Missing }

/// <summary>What the rules need to know of a certification.</summary>
public sealed record CertRule(
    string Id, string Name, string Level, int RecommendedOrder, int CatalogOrder,
    string? HardPrerequisiteId, int PreparationDays, int RenewalWindowDays);

/// <summary>One completion record, as far as the rules care.</summary>
public readonly record struct Holding(DateOnly EarnedOn, DateOnly ExpiresOn);

public sealed record PlanStep(
    string Id, string Name, string Level, int RecommendedOrder, CertStatus Status,
    string? PrerequisiteId, string Reason, int PreparationDays, int CumulativePreparationDays);

/// <summary>
/// The business answers, as of a date D, with no I/O: status of a certification, the next step and
/// the plan of an engineer, and team aggregates.
/// </summary>
public static class GapEngine
{
    /// <summary>
    /// valid: expires &gt; D + window; expiring: D &lt; expires ≤ D + window; expired: expires ≤ D; missing: no record.
    /// </summary>
    public static CertStatus Classify(DateOnly? expiresOn, DateOnly asOf, int renewalWindowDays)
    {
        if (expiresOn is not { } expires) return CertStatus.Missing;
        if (expires <= asOf) return CertStatus.Expired;
        return expires <= asOf.AddDays(renewalWindowDays) ? CertStatus.Expiring : CertStatus.Valid;
    }

    public static bool IsHeld(CertStatus status) => status is CertStatus.Valid or CertStatus.Expiring;

    public static bool IsGap(CertStatus status) => status is CertStatus.Missing or CertStatus.Expired;

    /// <summary>
    /// The record that counts on D: among those already earned on D, the one with the latest expiry.
    /// A completion earned after D did not exist yet, so a past as-of date shows the past.
    /// </summary>
    public static Holding? Best(ReadOnlySpan<Holding> records, DateOnly asOf)
    {
        Holding? best = null;
        foreach (var r in records)
        {
            if (r.EarnedOn > asOf) continue;
            if (best is null || r.ExpiresOn > best.Value.ExpiresOn) best = r;
        }
        return best;
    }

    /// <summary>
    /// Among the recommended certifications not held, the smallest recommended order (ties by catalog order);
    /// when its hard prerequisite is not held, that prerequisite instead, recursively.
    /// </summary>
    public static CertRule? NextStep(
        IEnumerable<string> recommended, Func<string, bool> isHeld, IReadOnlyDictionary<string, CertRule> catalog) =>
        NextStepAndTarget(recommended, isHeld, catalog)?.Step;

    /// <summary>
    /// <see cref="NextStep"/> with the recommended certification it leads to: the same one, or the one whose chain of
    /// hard prerequisites it starts (a prerequisite the role does not itself recommend needs saying why it is next).
    /// </summary>
    public static (CertRule Step, CertRule Target)? NextStepAndTarget(
        IEnumerable<string> recommended, Func<string, bool> isHeld, IReadOnlyDictionary<string, CertRule> catalog)
    {
        var first = recommended
            .Where(id => !isHeld(id) && catalog.ContainsKey(id))
            .Select(id => catalog[id])
            .OrderBy(c => c.RecommendedOrder).ThenBy(c => c.CatalogOrder)
            .FirstOrDefault();
        if (first is null) return null;

        var visited = new HashSet<string>(StringComparer.Ordinal) { first.Id };
        var current = first;
        while (current.HardPrerequisiteId is { } pre
               && !isHeld(pre)
               && catalog.TryGetValue(pre, out var prerequisite)
               && visited.Add(pre))
        {
            current = prerequisite;
        }
        return (current, first);
    }

    /// <summary>
    /// The remaining recommended certifications in the order to take them, each preceded by any hard
    /// prerequisite not yet held, with preparation days and their running total.
    /// </summary>
    public static IReadOnlyList<PlanStep> Plan(
        IEnumerable<string> recommended, Func<string, CertStatus> statusOf, IReadOnlyDictionary<string, CertRule> catalog)
    {
        var targets = recommended
            .Where(id => catalog.ContainsKey(id) && !IsHeld(statusOf(id)))
            .Select(id => catalog[id])
            .OrderBy(c => c.RecommendedOrder).ThenBy(c => c.CatalogOrder)
            .ToList();

        var steps = new List<PlanStep>();
        var planned = new HashSet<string>(StringComparer.Ordinal);
        var total = 0;

        void Add(CertRule cert, string reason, HashSet<string> chain)
        {
            if (planned.Contains(cert.Id) || !chain.Add(cert.Id)) return;
            if (cert.HardPrerequisiteId is { } pre
                && catalog.TryGetValue(pre, out var prerequisite)
                && !IsHeld(statusOf(pre)))
            {
                Add(prerequisite, $"prerequisite of {cert.Name}", chain);
            }
            planned.Add(cert.Id);
            total += cert.PreparationDays;
            steps.Add(new PlanStep(cert.Id, cert.Name, cert.Level, cert.RecommendedOrder, statusOf(cert.Id),
                cert.HardPrerequisiteId, reason, cert.PreparationDays, total));
        }

        foreach (var target in targets)
        {
            Add(target, "recommended for the role", new HashSet<string>(StringComparer.Ordinal));
        }
        return steps;
    }
}

/// <summary>Team aggregates; add each active engineer's statuses, then read the totals.</summary>
public sealed class TeamTally
{
    public int EngineerCount { get; private set; }
    public int RecommendedCount { get; private set; }
    public int HeldCount { get; private set; }
    public int GapCount { get; private set; }
    public int ExpiringSoonCount { get; private set; }
    public int ExpiredCount { get; private set; }
    public int UnmappedCount { get; private set; }

    public void AddEngineer(bool mapped)
    {
        EngineerCount++;
        if (!mapped) UnmappedCount++;
    }

    public void AddStatus(CertStatus status)
    {
        RecommendedCount++;
        switch (status)
        {
            case CertStatus.Valid: HeldCount++; break;
            case CertStatus.Expiring: HeldCount++; ExpiringSoonCount++; break;
            case CertStatus.Expired: GapCount++; ExpiredCount++; break;
            case CertStatus.Missing: GapCount++; break;
        }
    }

    /// <summary>round(100 · held / recommended, 1), 0 when nothing is recommended.</summary>
    public double CoveragePercent => CoverageOf(HeldCount, RecommendedCount);

    public static double CoverageOf(int held, int recommended) =>
        recommended == 0 ? 0 : Math.Round(100.0 * held / recommended, 1, MidpointRounding.AwayFromZero);
}
