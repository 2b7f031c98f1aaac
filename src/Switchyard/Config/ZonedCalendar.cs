namespace Switchyard.Config;

/// <summary>Where days and months of a time zone (<c>limits_time_zone</c>) begin, as instants: for limits and day rollups alike.</summary>
internal static class ZonedCalendar
{
    /// <summary>Midnight of <paramref name="localDate"/> in <paramref name="zone"/>.</summary>
    public static DateTimeOffset Midnight(DateTime localDate, TimeZoneInfo zone) => new(localDate.Date, zone.GetUtcOffset(localDate.Date));

    public static DateTimeOffset DayStart(DateTimeOffset instant, TimeZoneInfo zone) => Midnight(TimeZoneInfo.ConvertTime(instant, zone).Date, zone);

    public static DateTimeOffset NextDayStart(DateTimeOffset instant, TimeZoneInfo zone) => Midnight(TimeZoneInfo.ConvertTime(instant, zone).Date.AddDays(1), zone);

    public static DateTimeOffset MonthStart(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return Midnight(new DateTime(local.Year, local.Month, 1), zone);
    }

    public static DateTimeOffset NextMonthStart(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return Midnight(new DateTime(local.Year, local.Month, 1).AddMonths(1), zone);
    }

    /// <summary>The day's start of a Unix-milliseconds time, in Unix milliseconds (the rollups' buckets).</summary>
    public static long DayStart(long unixMs, TimeZoneInfo zone) => DayStart(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), zone).ToUnixTimeMilliseconds();

    public static long NextDayStart(long unixMs, TimeZoneInfo zone) => NextDayStart(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), zone).ToUnixTimeMilliseconds();
}
