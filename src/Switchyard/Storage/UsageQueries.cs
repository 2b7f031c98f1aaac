using System.Data.Common;
using System.Globalization;
using System.Text;

namespace Switchyard.Storage;

/// <summary>Which requests a usage or log query covers: each null field matches any value; times are [From, To).</summary>
internal sealed record RequestFilter(DateTimeOffset From, DateTimeOffset To)
{
    public string? Tenant { get; init; }
    /// <summary>The key as rows name it: a virtual key's prefix (or a static key masked).</summary>
    public string? Key { get; init; }
    public string? User { get; init; }
    public string? Model { get; init; }
    public string? Provider { get; init; }
    /// <summary>Logs only: the client protocol (openai, responses, anthropic, gemini).</summary>
    public string? Protocol { get; init; }
    /// <summary>Logs only: the status range [StatusFrom, StatusTo].</summary>
    public (int From, int To)? Status { get; init; }
}

/// <summary>What usage is summed by (<c>group_by</c>), in the order asked.</summary>
internal enum UsageDimension { Tenant, Key, User, Model, Provider, Day }

/// <summary>One line of a usage answer: its group's values (null when not grouped by) and the sums.</summary>
internal sealed record UsageLine(string? Tenant, string? Key, string? User, string? Model, string? Provider, DateOnly? Day)
{
    public long Requests { get; set; }
    public long Errors { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long CachedTokens { get; set; }
    public long CacheWriteTokens { get; set; }
    public long ReasoningTokens { get; set; }
    public long CostNanos { get; set; }
    public double LatencyMs { get; set; }
}

/// <summary>One step of a usage series: its start and the sums over it, with the latency histogram (see <see cref="LatencyHistogram"/>).</summary>
internal sealed record UsagePoint(long Bucket, long Requests, long Errors, long InputTokens, long OutputTokens, long CostNanos, double LatencyMs,
    double TtfbMs, long TtfbCount, long[] Histogram);

/// <summary>One row of <c>request_log</c> as the logs API shows it.</summary>
internal sealed record LoggedRequest(long Id, long Ts, string RequestId, string? Tenant, string? TenantKey, string? EndUser, string Protocol, string Model,
    string? Route, string? Provider, string? UpstreamModel, string? UpstreamKey, int Status, int Attempts, double LatencyMs, double? TtfbMs,
    int InputTokens, int OutputTokens, int CachedTokens, int CacheWriteTokens, int ReasoningTokens, long? CostNanos, string? PriceVersion, string Trail, string? Error,
    string? Body);

/// <summary>
/// The queries of <c>/admin/v1/usage</c> and <c>/admin/v1/logs</c>, in SQL both dialects run. Usage reads the rollups,
/// never the log: whole days of the range from <c>usage_day</c>, its ragged ends from <c>usage_minute</c>, so a month
/// costs about thirty rows per group however many requests it held. Logs page by (time, id), newest first, on the
/// (tenant, ts) and (tenant_key, ts) indexes: a page costs the same at row 10 and at row 10 million.
/// </summary>
internal sealed class UsageQueries(Store store)
{
    private static readonly Dictionary<UsageDimension, string> Columns = new()
    {
        [UsageDimension.Tenant] = "tenant", [UsageDimension.Key] = "tenant_key", [UsageDimension.User] = "end_user",
        [UsageDimension.Model] = "model", [UsageDimension.Provider] = "provider", [UsageDimension.Day] = "bucket",
    };

    public async Task<List<UsageLine>> UsageAsync(RequestFilter filter, List<UsageDimension> groupBy, TimeZoneInfo dayZone, CancellationToken ct)
    {
        long from = filter.From.ToUnixTimeMilliseconds(), to = filter.To.ToUnixTimeMilliseconds();
        // Whole days inside [from, to) come from the day rollups; the minutes before and after them from the minute rollups.
        var firstDay = Config.ZonedCalendar.DayStart(from, dayZone);
        if (firstDay < from)
        {
            firstDay = Config.ZonedCalendar.NextDayStart(from, dayZone);
        }
        var lastDay = Config.ZonedCalendar.DayStart(to, dayZone);
        var parts = new List<(string Table, long From, long To)>();
        if (firstDay < lastDay)
        {
            parts.Add(("usage_minute", from, firstDay));
            parts.Add(("usage_day", firstDay, lastDay));
            parts.Add(("usage_minute", lastDay, to));
        }
        else
        {
            parts.Add(("usage_minute", from, to));
        }
        var lines = new Dictionary<(string?, string?, string?, string?, string?, DateOnly?), UsageLine>();
        await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        foreach (var (table, partFrom, partTo) in parts.Where(p => p.From < p.To))
        {
            await using var query = connection.CreateCommand();
            var where = Where(query, filter, "bucket", partFrom, partTo);
            var groups = groupBy.Select(d => Columns[d]).ToList();
            var select = groups.Count == 0 ? "" : string.Join(", ", groups) + ", ";
            query.CommandText = $"SELECT {select}SUM(requests), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens), SUM(cache_write_tokens), "
                + $"SUM(reasoning_tokens), SUM(cost_nanousd), SUM(latency_ms) FROM {table} WHERE {where}{(groups.Count == 0 ? "" : " GROUP BY " + string.Join(", ", groups))}";
            await using var reader = await query.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                if (reader.IsDBNull(groups.Count))
                {
                    continue; // no rows: SUM over nothing
                }
                string? Dim(UsageDimension d) => groupBy.IndexOf(d) is var i and >= 0 ? reader.GetString(i) : null;
                DateOnly? day = groupBy.IndexOf(UsageDimension.Day) is var di and >= 0
                    ? DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(di), CultureInfo.InvariantCulture)), dayZone).DateTime)
                    : null;
                var key = (Dim(UsageDimension.Tenant), Dim(UsageDimension.Key), Dim(UsageDimension.User), Dim(UsageDimension.Model), Dim(UsageDimension.Provider), day);
                if (!lines.TryGetValue(key, out var line))
                {
                    lines[key] = line = new UsageLine(key.Item1, key.Item2, key.Item3, key.Item4, key.Item5, day);
                }
                var m = groups.Count;
                line.Requests += Long(reader, m);
                line.Errors += Long(reader, m + 1);
                line.InputTokens += Long(reader, m + 2);
                line.OutputTokens += Long(reader, m + 3);
                line.CachedTokens += Long(reader, m + 4);
                line.CacheWriteTokens += Long(reader, m + 5);
                line.ReasoningTokens += Long(reader, m + 6);
                line.CostNanos += Long(reader, m + 7);
                line.LatencyMs += Convert.ToDouble(reader.GetValue(m + 8), CultureInfo.InvariantCulture);
            }
        }
        return [.. lines.Values.OrderBy(l => l.Day).ThenByDescending(l => l.CostNanos).ThenByDescending(l => l.Requests)
            .ThenBy(l => (l.Tenant, l.Key, l.User, l.Model, l.Provider).ToString(), StringComparer.Ordinal)];
    }

    /// <summary>
    /// Usage over time, oldest step first (steps without traffic are absent): from <c>usage_minute</c> in steps of
    /// <paramref name="step"/> (a whole number of minutes), or from <c>usage_day</c> by day when <paramref name="step"/> is null.
    /// </summary>
    public async Task<List<UsagePoint>> SeriesAsync(RequestFilter filter, TimeSpan? step, CancellationToken ct)
    {
        await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var query = connection.CreateCommand();
        var where = Where(query, filter, "bucket", filter.From.ToUnixTimeMilliseconds(), filter.To.ToUnixTimeMilliseconds());
        var bucket = "bucket";
        if (step is { } s)
        {
            bucket = "bucket - bucket % @step";
            Add(query, "@step", (long)s.TotalMilliseconds);
        }
        query.CommandText = $"SELECT {bucket} AS step, SUM(requests), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cost_nanousd), SUM(latency_ms), "
            + $"SUM(ttfb_ms), SUM(ttfb_count), {string.Join(", ", LatencyHistogram.Columns.Select(c => $"SUM({c})"))} "
            + $"FROM {(step is null ? "usage_day" : "usage_minute")} WHERE {where} GROUP BY step ORDER BY step";
        var points = new List<UsagePoint>();
        await using var reader = await query.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            points.Add(new UsagePoint(Long(reader, 0), Long(reader, 1), Long(reader, 2), Long(reader, 3), Long(reader, 4), Long(reader, 5),
                Convert.ToDouble(reader.GetValue(6), CultureInfo.InvariantCulture), Convert.ToDouble(reader.GetValue(7), CultureInfo.InvariantCulture), Long(reader, 8),
                [.. Enumerable.Range(9, LatencyHistogram.Columns.Length).Select(i => Long(reader, i))]));
        }
        return points;
    }

    /// <summary>Up to <paramref name="limit"/> rows, newest first, older than <paramref name="before"/> (the previous page's last).</summary>
    public async Task<List<LoggedRequest>> LogsAsync(RequestFilter filter, int limit, (long Ts, long Id)? before, CancellationToken ct)
    {
        await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var query = connection.CreateCommand();
        var where = Where(query, filter, "ts", filter.From.ToUnixTimeMilliseconds(), filter.To.ToUnixTimeMilliseconds());
        if (filter.Protocol is { } protocol)
        {
            where.Append(" AND protocol = @protocol");
            Add(query, "@protocol", protocol);
        }
        if (filter.Status is var (statusFrom, statusTo))
        {
            where.Append(" AND status >= @status_from AND status <= @status_to");
            Add(query, "@status_from", statusFrom);
            Add(query, "@status_to", statusTo);
        }
        if (before is var (ts, id))
        {
            where.Append(" AND (ts < @before_ts OR (ts = @before_ts AND id < @before_id))");
            Add(query, "@before_ts", ts);
            Add(query, "@before_id", id);
        }
        Add(query, "@limit", limit);
        query.CommandText = "SELECT id, ts, request_id, tenant, tenant_key, end_user, protocol, model, route, provider, upstream_model, upstream_key, status, "
            + "attempts, latency_ms, ttfb_ms, input_tokens, output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, cost_nanousd, price_version, "
            + $"trail, error, body FROM request_log WHERE {where} ORDER BY ts DESC, id DESC LIMIT @limit";
        var rows = new List<LoggedRequest>(limit);
        await using var reader = await query.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            rows.Add(new LoggedRequest(Long(reader, 0), Long(reader, 1), reader.GetString(2), Text(3), Text(4), Text(5), reader.GetString(6), reader.GetString(7),
                Text(8), Text(9), Text(10), Text(11), (int)Long(reader, 12), (int)Long(reader, 13), reader.GetDouble(14), reader.IsDBNull(15) ? null : reader.GetDouble(15),
                (int)Long(reader, 16), (int)Long(reader, 17), (int)Long(reader, 18), (int)Long(reader, 19), (int)Long(reader, 20),
                reader.IsDBNull(21) ? null : Long(reader, 21), Text(22), reader.GetString(23), Text(24), Text(25)));
        }
        return rows;
    }

    /// <summary>A whole number whatever the dialect made of it (PostgreSQL sums bigints as numeric).</summary>
    private static long Long(DbDataReader reader, int i) => Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture);

    /// <summary>The time range on <paramref name="timeColumn"/> and the filter's dimensions, as parameters of <paramref name="query"/>.</summary>
    private static StringBuilder Where(DbCommand query, RequestFilter filter, string timeColumn, long from, long to)
    {
        var where = new StringBuilder(timeColumn).Append(" >= @from AND ").Append(timeColumn).Append(" < @to");
        Add(query, "@from", from);
        Add(query, "@to", to);
        foreach (var (column, value) in (ReadOnlySpan<(string, string?)>)[("tenant", filter.Tenant), ("tenant_key", filter.Key), ("end_user", filter.User),
            ("model", filter.Model), ("provider", filter.Provider)])
        {
            if (value is not null)
            {
                where.Append(CultureInfo.InvariantCulture, $" AND {column} = @{column}");
                Add(query, "@" + column, value);
            }
        }
        return where;
    }

    private static void Add(DbCommand query, string name, object value) => query.AddParameter(name, value);
}
