using System.ComponentModel.DataAnnotations;
using System.Globalization;
using TeamSkills.Core.Tracking;

namespace TeamSkills.Web.Features.Digests;

public sealed class DigestOptions
{
    public const string Section = "TeamSkills:Digests";

    /// <summary>The dashboard's public address, for links in emails.</summary>
    [Required, Url] public string PublicUrl { get; set; } = "http://localhost:5080";
    /// <summary>A manager's digest with nothing new since the last one is skipped (recorded, not sent).</summary>
    public bool SkipWhenUnchanged { get; set; } = true;
    public DigestFrequency DefaultFrequency { get; set; } = DigestFrequency.Weekly;
    /// <summary>Days before expiry at which an engineer is reminded; 0 is the day it expires.</summary>
    public int[] ReminderThresholds { get; set; } = [90, 30, 7, 0];
    public bool CcManagerOnReminders { get; set; } = true;
    /// <summary>Who receives the monthly L&amp;D report.</summary>
    public string[] LndRecipients { get; set; } = [];
}

public sealed record DigestTeam(int Id, string Name, int EngineerCount, int RecommendedCount, int HeldCount, int GapCount,
    int ExpiringSoonCount, int ExpiredCount, int UnmappedCount, double CoveragePercent, string Url)
{
    /// <summary>The coverage as the mail prints it (<see cref="CoverageText"/>).</summary>
    public string Coverage => CoverageText.Of(CoveragePercent, RecommendedCount);
}

/// <summary>Coverage in words, as the pages and PDFs print it: one decimal ("56.0%"), whatever the culture; "n/a" where
/// nothing is recommended (0 of 0 is no coverage to measure, not 0%). Liquid alone prints 56.0 as "56".</summary>
public static class CoverageText
{
    public static string Of(double percent, int recommended) =>
        recommended == 0 ? "n/a" : percent.ToString("0.0", CultureInfo.InvariantCulture) + "%";
}

public sealed record DigestCompletion(string Engineer, string Team, string Certification, DateOnly EarnedOn);

public sealed record DigestGap(string Engineer, string Team, string Certification, DateOnly Since);

public sealed record DigestExpiry(string Engineer, string Team, string Certification, DateOnly ExpiresOn, int DaysLeft);

/// <summary>Everything one manager's digest says; also the body of GET /api/digests/preview.</summary>
public sealed record Digest(
    string Manager, string Period, DigestFrequency Frequency, DateOnly AsOf, DateTimeOffset? Since,
    IReadOnlyList<DigestTeam> Teams, int EngineerCount, int GapCount, int ExpiringSoonCount, int ExpiredCount, double CoveragePercent,
    IReadOnlyList<DigestCompletion> NewCompletions, IReadOnlyList<DigestGap> NewGaps, IReadOnlyList<DigestExpiry> UpcomingExpiries,
    string DashboardUrl, string PreferencesUrl)
{
    /// <summary>How many upcoming expiries entered the 30-day window since the last digest.</summary>
    public int NewlyUpcomingCount { get; init; }

    /// <summary>The words for <see cref="ExpiringSoonCount"/>, shared with the pages (<see cref="Core.Gaps.ExpiringLabel"/>):
    /// "expiring in 90 days", or "expiring within their renewal window" once certifications' windows differ.</summary>
    public required string ExpiringLabel { get; init; }

    /// <summary>The overall coverage as the mail prints it; "n/a" when none of the teams has anything recommended.</summary>
    public string Coverage => CoverageText.Of(CoveragePercent, Teams.Sum(t => t.RecommendedCount));

    public bool HasChanges => Since is null || NewCompletions.Count > 0 || NewGaps.Count > 0 || NewlyUpcomingCount > 0;

    /// <summary>At most this many team PDFs ride on one digest; the others are a click away on the dashboard.</summary>
    public const int MaxAttachedReports = 5;

    /// <summary>The teams whose PDF report is attached: those with the most gaps first (then by name), as the mail says.</summary>
    public IReadOnlyList<DigestTeam> AttachedTeams =>
        Teams.OrderByDescending(t => t.GapCount).ThenBy(t => t.Name, StringComparer.Ordinal).Take(MaxAttachedReports).ToList();
}

public sealed record Reminder(string Engineer, string Certification, DateOnly ExpiresOn, int DaysLeft, int Threshold,
    string? Manager, string EngineerUrl);

public sealed record LndReport(string Period, DateOnly AsOf, IReadOnlyList<DigestTeam> Teams, int EngineerCount, int GapCount,
    int ExpiredCount, double CoveragePercent, string DashboardUrl)
{
    /// <summary>The org's coverage as the mail prints it; "n/a" when no team has anything recommended.</summary>
    public string Coverage => CoverageText.Of(CoveragePercent, Teams.Sum(t => t.RecommendedCount));
}

public sealed record DigestPreview(Digest Digest, string Subject, string Text, string Html, bool WouldSend, string? Reason);

public sealed record SetDigestPreference(string? Frequency);
