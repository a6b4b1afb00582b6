namespace TeamSkills.Web.Features.Platform;

/// <summary>"Today" in the organisation's time zone: the default as-of date everywhere.</summary>
public sealed class OrgClock(TimeProvider time, TimeZoneInfo zone)
{
    public TimeProvider Time => time;

    public DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime);

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>The organisation's calendar day of an instant.</summary>
    public DateOnly DayOf(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>How long until the next midnight in the organisation's time zone, when "today" changes.</summary>
    public TimeSpan UntilTomorrow()
    {
        var now = TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone);
        var midnight = new DateTimeOffset(now.Date.AddDays(1), zone.GetUtcOffset(now.Date.AddDays(1)));
        var wait = midnight - now;
        return wait > TimeSpan.Zero ? wait : TimeSpan.FromMinutes(1);
    }
}
