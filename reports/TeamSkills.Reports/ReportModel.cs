namespace TeamSkills.Reports;

// Plain input records: the web project builds them from its gap queries, so this library needs nothing of the host.

public enum ReportStatus { Valid, Expiring, Expired, Missing }

/// <summary>Who exported what, when: printed on every report's summary.</summary>
public sealed record ReportHeader(string Title, DateOnly AsOf, string ExportedBy, string Scope, DateTimeOffset GeneratedAt)
{
    /// <summary>
    /// Set when a scheduled job made the report for someone ("the manager digest"): <see cref="ExportedBy"/> is then its
    /// recipient, who exported nothing, and the report says it was prepared for them by the job.
    /// </summary>
    public string? PreparedBy { get; init; }

    /// <summary>The words for the "expiring soon" count, as the pages' tile says them ("expiring in 90 days"; from the
    /// catalog's renewal windows).</summary>
    public string ExpiringLabel { get; init; } = "expiring soon";

    /// <summary>The summary line saying who the report is from: ("Exported by", user) or ("Prepared by", "job, for recipient").</summary>
    public (string Label, string Value) Origin => PreparedBy is { } job ? ("Prepared by", $"{job}, for {ExportedBy}") : ("Exported by", ExportedBy);
}

public sealed record ReportTotals(
    int Engineers, int Recommended, int Held, int Gaps, int ExpiringSoon, int Expired, int Unmapped, double CoveragePercent)
{
    /// <summary>Coverage for a workbook cell: none (an empty cell, "n/a" on the pages) when nothing is recommended, so
    /// Excel's sorts and averages do not take such a team for 0% covered. The API keeps 0 there, as its contract says.</summary>
    public double? CoverageCell => Recommended == 0 ? null : CoveragePercent;

    /// <summary>Coverage on a Summary sheet: the figure, or said in words where nothing is recommended.</summary>
    public object CoverageSummary => CoverageCell is { } covered ? covered : "n/a (nothing recommended)";
}

public sealed record ReportCert(string Id, string Name, string Level, int ValidityMonths, int RenewalWindowDays, string? Prerequisite);

public sealed record ReportCell(string CertId, string CertName, ReportStatus Status, DateOnly? EarnedOn, DateOnly? ExpiresOn);

public sealed record ReportEngineer(
    string EmployeeId, string Name, string Email, string Title, string? Role, IReadOnlyList<ReportCell> Cells, string? NextStep);

public sealed record ReportMonth(DateOnly Month, int Count);

/// <summary>One certification across a population: the coverage chart and the "top gaps" list.</summary>
public sealed record CertCoverage(string CertId, string Name, int Recommended, int Held, int Expiring, int Expired, int Missing)
{
    public int Gaps => Expired + Missing;
    public double CoveragePercent => Recommended == 0 ? 0 : Math.Round(100.0 * Held / Recommended, 1, MidpointRounding.AwayFromZero);
}

public sealed record TeamReport(
    ReportHeader Header, int TeamId, string TeamName, string? ManagerEmail, ReportTotals Totals,
    IReadOnlyList<ReportCert> Columns, IReadOnlyList<ReportEngineer> Engineers, IReadOnlyList<ReportMonth> Forecast,
    IReadOnlyList<CertCoverage> Coverage, IReadOnlyList<ReportCert> Catalog);

public sealed record TeamRow(int Id, string Name, string? ManagerEmail, ReportTotals Totals);

public sealed record OrgEngineer(string Team, ReportEngineer Engineer);

/// <summary>
/// The org report. <see cref="Engineers"/> is enumerated once, row by row, while the workbook is written: at 100,000
/// engineers nothing holds them all as report rows.
/// </summary>
public sealed record OrgReport(
    ReportHeader Header, ReportTotals Totals, IReadOnlyList<TeamRow> Teams, IReadOnlyList<ReportMonth> Forecast,
    IReadOnlyList<CertCoverage> Coverage, IReadOnlyList<ReportCert> Catalog, int EngineerCount, IEnumerable<OrgEngineer> Engineers);

public static class ReportText
{
    public static string Status(ReportStatus s) => s switch
    {
        ReportStatus.Valid => "valid",
        ReportStatus.Expiring => "expiring",
        ReportStatus.Expired => "expired",
        _ => "missing",
    };

    public static string Date(DateOnly? d) => d is { } x ? x.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "";

    /// <summary>The next step, or for an engineer holding everything, the renewal due first (as the pages say it).</summary>
    public static string Next(ReportEngineer e) => NextText(e.Role is not null, e.NextStep, e.Cells,
        c => c.Status == ReportStatus.Expiring, c => c.ExpiresOn, c => c.CertName);

    /// <summary>What the pages and reports say in place of a role for a title no role maps.</summary>
    public const string TitleNotMapped = "title not mapped";

    /// <summary>
    /// The "Next step" text, pages and exports alike: "title not mapped"; else the next step ("all held" when everything
    /// recommended is held), followed by "; renew X by D" for the renewal due first, if any.
    /// </summary>
    public static string NextText<T>(bool mapped, string? nextStep, IEnumerable<T> certifications, Func<T, bool> expiring,
        Func<T, DateOnly?> expiresOn, Func<T, string> name) =>
        !mapped ? TitleNotMapped
        : (nextStep ?? "all held") + (RenewalsDue(certifications, expiring, expiresOn).FirstOrDefault() is { } due
            ? $"; renew {name(due)} by {Date(expiresOn(due))}" : "");

    /// <summary>Held certifications inside their renewal window (expiring), the first to expire first.</summary>
    public static IEnumerable<T> RenewalsDue<T>(IEnumerable<T> certifications, Func<T, bool> expiring, Func<T, DateOnly?> expiresOn) =>
        certifications.Where(c => expiring(c) && expiresOn(c) is not null).OrderBy(expiresOn);

    /// <summary>Held certifications expiring after <paramref name="asOf"/> and within <paramref name="days"/> days.</summary>
    public static IEnumerable<(ReportEngineer Engineer, ReportCell Cell)> ExpiringWithin(IEnumerable<ReportEngineer> engineers, DateOnly asOf, int days) =>
        engineers.SelectMany(e => e.Cells.Select(c => (e, c)))
            .Where(x => x.c.Status is ReportStatus.Valid or ReportStatus.Expiring && x.c.ExpiresOn is { } exp
                && exp > asOf && exp <= asOf.AddDays(days))
            .OrderBy(x => x.c.ExpiresOn).ThenBy(x => x.e.Name, StringComparer.Ordinal);
}
