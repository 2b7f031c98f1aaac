using System.Globalization;

namespace Switchyard.Storage;

/// <summary>
/// The rollups' latency histogram: fixed bounds in milliseconds (one column each, plus one for slower), so counts add
/// up in an upsert and across buckets, and a quantile is read back by interpolating inside the bucket it falls in (as
/// Prometheus' <c>histogram_quantile</c> does). Bounds suit an LLM gateway: tens of ms for a cached answer, a minute for
/// a long stream.
/// </summary>
internal static class LatencyHistogram
{
    public static readonly double[] Bounds = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

    /// <summary><c>latency_le_50</c> … <c>latency_le_60000</c>, <c>latency_le_inf</c>.</summary>
    public static readonly string[] Columns = [.. Bounds.Select(b => "latency_le_" + b.ToString(CultureInfo.InvariantCulture)), "latency_le_inf"];

    public static int Bucket(double ms)
    {
        var i = Array.BinarySearch(Bounds, ms);
        return i >= 0 ? i : ~i;
    }

    /// <summary>The q-quantile (0.5, 0.95) of the counts, in ms; null when there are none. Past the last bound: the last bound.</summary>
    public static double? Quantile(IReadOnlyList<long> counts, double q)
    {
        var total = counts.Sum();
        if (total == 0)
        {
            return null;
        }
        var rank = q * total;
        long seen = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            if (counts[i] > 0 && seen + counts[i] >= rank)
            {
                if (i == Bounds.Length)
                {
                    return Bounds[^1];
                }
                var lower = i == 0 ? 0 : Bounds[i - 1];
                return lower + (Bounds[i] - lower) * ((rank - seen) / counts[i]);
            }
            seen += counts[i];
        }
        return Bounds[^1];
    }
}
