using TeamSkills.Core.Catalog;

namespace TeamSkills.Core.Completions;

public static class ExpiryRules
{
    /// <summary>
    /// The expiry of a completion that came without one. With <see cref="RenewalBase.PreviousExpiry"/>, a renewal
    /// earned while an earlier record was still valid extends from that record's expiry instead of the new date.
    /// </summary>
    public static DateOnly DeriveExpiry(DateOnly earnedOn, int validityMonths, RenewalBase renewalBase, DateOnly? previousExpiry)
    {
        var start = renewalBase == RenewalBase.PreviousExpiry && previousExpiry is { } prev && prev > earnedOn ? prev : earnedOn;
        return start.AddMonths(validityMonths);
    }

    /// <summary>"earned 2024-03-01 + 36 months validity": how a date came about, for people.</summary>
    public static string Explain(DateOnly earnedOn, DateOnly expiresOn, bool derived, int validityMonths) =>
        derived
            ? $"expires {expiresOn:yyyy-MM-dd}: earned {earnedOn:yyyy-MM-dd} + {validityMonths} months validity"
            : $"expires {expiresOn:yyyy-MM-dd}: as recorded (earned {earnedOn:yyyy-MM-dd})";
}
