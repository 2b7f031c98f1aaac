using Switchyard.Storage;
using Xunit;

namespace Switchyard.Tests.Storage;

/// <summary>The rollups' latency histogram and time to first byte: added up per step on SQLite and PostgreSQL, read back as percentiles.</summary>
public sealed class LatencySeriesTests
{
    public static TheoryData<string> Dialects => TestStore.Dialects;

    private static RequestLogRow Row(long ts, double latencyMs, double? ttfbMs, int status = 200) =>
        new(ts, $"req_{ts}_{latencyMs}", "team-a", null, "openai", "gpt-4o", "gpt-*", "up", "gpt-4o", null, status, 1, latencyMs, ttfbMs, 10, 5, "[]", null);

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task A_series_sums_each_step_and_its_histogram_gives_p50_and_p95(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect);
        var minute = DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        // Minute 0: 20 requests of 40 ms, streams with a 20 ms first byte. Minute 1: 19 of 300 ms and one of 45 s (an error).
        List<RequestLogRow> first = [.. Enumerable.Range(0, 20).Select(i => Row(minute + i, 40, 20))];
        List<RequestLogRow> second = [.. Enumerable.Range(0, 19).Select(i => Row(minute + 60_000 + i, 300, null)), Row(minute + 60_500, 45_000, null, 529)];
        await using (var connection = await db.Store.OpenConnectionAsync(default))
        {
            foreach (var batch in new[] { first[..10], first[10..], second }) // two batches land in the same minute: the upsert adds them up
            {
                await using var tx = await connection.BeginTransactionAsync();
                await UsageRollups.AddAsync(connection, tx, batch, TimeZoneInfo.Utc);
                await tx.CommitAsync();
            }
        }
        var usage = new UsageQueries(db.Store);
        var filter = new RequestFilter(DateTimeOffset.FromUnixTimeMilliseconds(minute - 3_600_000), DateTimeOffset.FromUnixTimeMilliseconds(minute + 3_600_000));

        var byMinute = await usage.SeriesAsync(filter, TimeSpan.FromMinutes(1), default);
        Assert.Equal([minute, minute + 60_000], byMinute.Select(p => p.Bucket));
        Assert.Equal([20L, 20L], byMinute.Select(p => p.Requests));
        Assert.Equal([0L, 1L], byMinute.Select(p => p.Errors));
        Assert.Equal(20, byMinute[0].TtfbCount);
        Assert.Equal(400, byMinute[0].TtfbMs, 3);
        Assert.Equal(0, byMinute[1].TtfbCount);
        Assert.Equal(20, byMinute[0].Histogram[LatencyHistogram.Bucket(40)]);
        Assert.Equal(19, byMinute[1].Histogram[LatencyHistogram.Bucket(300)]);
        Assert.Equal(1, byMinute[1].Histogram[LatencyHistogram.Bucket(45_000)]);
        Assert.InRange(LatencyHistogram.Quantile(byMinute[0].Histogram, 0.5)!.Value, 0, 50);       // inside the ≤ 50 ms bucket
        Assert.InRange(LatencyHistogram.Quantile(byMinute[1].Histogram, 0.5)!.Value, 250, 500);    // inside the 250–500 ms bucket
        Assert.InRange(LatencyHistogram.Quantile(byMinute[1].Histogram, 0.99)!.Value, 30_000, 60_000);

        // Half-hour steps put both minutes in one step with the counts added.
        var byHalfHour = Assert.Single(await usage.SeriesAsync(filter, TimeSpan.FromMinutes(30), default));
        Assert.Equal(40, byHalfHour.Requests);
        Assert.Equal(40, byHalfHour.Histogram.Sum());
        Assert.InRange(LatencyHistogram.Quantile(byHalfHour.Histogram, 0.5)!.Value, 0, 50);
        Assert.InRange(LatencyHistogram.Quantile(byHalfHour.Histogram, 0.95)!.Value, 250, 500);

        // Days come from the day rollups.
        var byDay = Assert.Single(await usage.SeriesAsync(filter with { From = DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture) }, null, default));
        Assert.Equal(40, byDay.Requests);
        Assert.Equal(byHalfHour.Histogram, byDay.Histogram);
    }

    [Fact]
    public void Quantiles_interpolate_inside_their_bucket_and_stop_at_the_last_bound()
    {
        var counts = new long[LatencyHistogram.Columns.Length];
        Assert.Null(LatencyHistogram.Quantile(counts, 0.5));
        counts[LatencyHistogram.Bucket(75)] = 4; // (50, 100]
        Assert.Equal(75, LatencyHistogram.Quantile(counts, 0.5)!.Value, 6);
        Assert.Equal(100, LatencyHistogram.Quantile(counts, 1)!.Value, 6);
        Assert.Equal(0, LatencyHistogram.Bucket(50));           // bounds are inclusive
        Assert.Equal(1, LatencyHistogram.Bucket(50.01));
        counts[LatencyHistogram.Bucket(120_000)] = 96;          // past the last bound
        Assert.Equal(LatencyHistogram.Bounds[^1], LatencyHistogram.Quantile(counts, 0.95));
    }
}
