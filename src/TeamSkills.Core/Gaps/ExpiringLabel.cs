namespace TeamSkills.Core.Gaps;

/// <summary>
/// What the "expiring" count means, in words: certifications held but inside their renewal window. With the seeds every
/// window is 90 days ("expiring in 90 days", the overview tile the product names); once L&amp;D gives certifications
/// different windows, a single number of days would be wrong, so the label says what is counted instead.
/// </summary>
public static class ExpiringLabel
{
    public const string Mixed = "expiring within their renewal window";

    public static string For(IEnumerable<int> renewalWindowDays)
    {
        int? only = null;
        foreach (var days in renewalWindowDays)
        {
            if (only is null) only = days;
            else if (only != days) return Mixed;
        }
        return only switch
        {
            null => "expiring in 90 days",
            1 => "expiring within 1 day",
            0 => Mixed,
            var d => $"expiring in {d} days",
        };
    }
}
