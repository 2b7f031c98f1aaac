using System.Data.Common;

namespace Switchyard.Storage;

/// <summary>
/// The rollups usage queries read (<c>usage_minute</c>, UTC minutes; <c>usage_day</c>, days in <c>limits_time_zone</c>):
/// each batch of request-log rows is summed per bucket × tenant × key × end user × model × provider and added with one
/// upsert per group, in the transaction that inserts the rows — the rollups never disagree with the log.
/// </summary>
internal static class UsageRollups
{
    private readonly record struct Group(long Bucket, string Tenant, string TenantKey, string User, string Model, string Provider);

    private sealed class Sums
    {
        public long Requests, Errors, Input, Output, Cached, CacheWrite, Reasoning, Cost, TtfbCount;
        public double Latency, Ttfb;
        public readonly long[] Histogram = new long[LatencyHistogram.Columns.Length];

        public void Add(RequestLogRow r)
        {
            Requests++;
            Errors += r.Status >= 400 ? 1 : 0;
            Input += r.InputTokens;
            Output += r.OutputTokens;
            Cached += r.CachedTokens;
            CacheWrite += r.CacheWriteTokens;
            Reasoning += r.ReasoningTokens;
            Cost += r.CostNanos ?? 0;
            Latency += r.LatencyMs;
            Histogram[LatencyHistogram.Bucket(r.LatencyMs)]++;
            if (r.TtfbMs is { } ttfb)
            {
                TtfbCount++;
                Ttfb += ttfb;
            }
        }
    }

    private static readonly string[] Dimensions = ["bucket", "tenant", "tenant_key", "end_user", "model", "provider"];
    private static readonly string[] Measures = ["requests", "errors", "input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens", "cost_nanousd", "latency_ms",
        "ttfb_ms", "ttfb_count", .. LatencyHistogram.Columns];

    public static long MinuteOf(long ts) => ts - ts % 60_000;

    public static async Task AddAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<RequestLogRow> rows, TimeZoneInfo dayZone)
    {
        await UpsertAsync(connection, transaction, "usage_minute", Sum(rows, r => MinuteOf(r.Ts))).ConfigureAwait(false);
        // A batch spans a moment: the day is converted once per day seen, not once per row.
        long dayStart = long.MaxValue, nextDay = long.MinValue;
        await UpsertAsync(connection, transaction, "usage_day", Sum(rows, r =>
        {
            if (r.Ts < dayStart || r.Ts >= nextDay)
            {
                dayStart = Config.ZonedCalendar.DayStart(r.Ts, dayZone);
                nextDay = Config.ZonedCalendar.NextDayStart(r.Ts, dayZone);
            }
            return dayStart;
        })).ConfigureAwait(false);
    }

    private static Dictionary<Group, Sums> Sum(IReadOnlyList<RequestLogRow> rows, Func<RequestLogRow, long> bucket)
    {
        var groups = new Dictionary<Group, Sums>();
        foreach (var r in rows)
        {
            var key = new Group(bucket(r), r.Tenant ?? "", r.TenantKey ?? "", r.EndUser ?? "", r.Model, r.Provider ?? "");
            if (!groups.TryGetValue(key, out var sums))
            {
                groups[key] = sums = new Sums();
            }
            sums.Add(r);
        }
        return groups;
    }

    private static async Task UpsertAsync(DbConnection connection, DbTransaction transaction, string table, Dictionary<Group, Sums> groups)
    {
        await using var upsert = connection.CreateCommand();
        upsert.Transaction = transaction;
        var columns = Dimensions.Concat(Measures).ToArray();
        upsert.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => "@" + c))}) "
            + $"ON CONFLICT ({string.Join(", ", Dimensions)}) DO UPDATE SET {string.Join(", ", Measures.Select(m => $"{m} = {table}.{m} + excluded.{m}"))}";
        var p = upsert.AddParameters(columns);
        foreach (var (g, s) in groups)
        {
            object[] values = [g.Bucket, g.Tenant, g.TenantKey, g.User, g.Model, g.Provider, s.Requests, s.Errors, s.Input, s.Output, s.Cached, s.CacheWrite, s.Reasoning, s.Cost, s.Latency,
                s.Ttfb, s.TtfbCount, .. s.Histogram.Select(c => (object)c)];
            for (var i = 0; i < values.Length; i++)
            {
                p[i].Value = values[i];
            }
            await upsert.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }
}
