namespace TeamSkills.Web.Features.Platform;

/// <summary>"Today" in the organisation's time zone: the default as-of date everywhere.</summary>
public sealed class OrgClock(TimeProvider time, TimeZoneInfo zone)
{
    public TimeProvider Time => time;

    public DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime);

    public DateTimeOffset Now => time.GetUtcNow();
}
