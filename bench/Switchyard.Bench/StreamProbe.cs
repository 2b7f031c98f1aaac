using System.Diagnostics;
using System.Text;

namespace Switchyard.Bench;

/// <summary>Streaming measurements wrk cannot make: time to first byte, per-chunk arrival, relay rate, many open streams.</summary>
internal static class StreamProbe
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { MaxConnectionsPerServer = 2000, UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
    {
        Timeout = TimeSpan.FromMinutes(5),
    };

    private static HttpRequestMessage Request(string url, string body, IDictionary<string, string> headers, int chunks, int intervalMs)
    {
        body = body.Replace("please.", $"please. chunks={chunks} interval={intervalMs}", StringComparison.Ordinal);
        var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (k, v) in headers)
        {
            req.Headers.TryAddWithoutValidation(k, v);
        }
        return req;
    }

    /// <summary>Median milliseconds from sending to the first streamed bytes.</summary>
    public static async Task<double> TimeToFirstByteAsync(string url, string body, IDictionary<string, string> headers, int samples)
    {
        var times = new List<double>();
        var buffer = new byte[4096];
        for (var i = 0; i < samples + 5; i++)
        {
            using var req = Request(url, body, headers, 5, 0);
            var sw = Stopwatch.StartNew();
            using var resp = await Client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await resp.Content.ReadAsStreamAsync();
            _ = await stream.ReadAsync(buffer);
            var ms = sw.Elapsed.TotalMilliseconds;
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
            if (i >= 5)
            {
                times.Add(ms); // the first few warm the connection pools
            }
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>True when each chunk reached the client on its own, about <paramref name="intervalMs"/> after the previous one.</summary>
    public static async Task<(bool Unbuffered, double MinGapMs)> ChunkArrivalAsync(string url, string body, IDictionary<string, string> headers, int chunks, int intervalMs)
    {
        using var req = Request(url, body, headers, chunks, intervalMs);
        var sw = Stopwatch.StartNew();
        using var resp = await Client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await resp.Content.ReadAsStreamAsync();
        var seen = new double[chunks];
        Array.Fill(seen, -1);
        var text = new StringBuilder();
        var buffer = new byte[8192];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            for (var i = 0; i < chunks; i++)
            {
                if (seen[i] < 0 && text.ToString().Contains($"tok{i} ", StringComparison.Ordinal))
                {
                    seen[i] = sw.Elapsed.TotalMilliseconds;
                }
            }
        }
        var gaps = Enumerable.Range(1, chunks - 1).Select(i => seen[i] - seen[i - 1]).ToList();
        var minGap = gaps.Count == 0 ? 0 : gaps.Min();
        return (seen.All(s => s >= 0) && minGap >= intervalMs * 0.5, minGap);
    }

    /// <summary>Chunks per second relayed for one long stream sent as fast as the upstream can.</summary>
    public static async Task<double> ChunkRateAsync(string url, string body, IDictionary<string, string> headers, int chunks)
    {
        using var req = Request(url, body, headers, chunks, 0);
        var sw = Stopwatch.StartNew();
        using var resp = await Client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await resp.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        while (await stream.ReadAsync(buffer) > 0)
        {
        }
        return chunks / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Holds <paramref name="count"/> slow streams open at once; returns how many completed and the target's peak RSS meanwhile.</summary>
    public static async Task<(int Completed, long PeakRss, double CpuSeconds)> ManyStreamsAsync(string url, string body, IDictionary<string, string> headers, int count, int chunks, int intervalMs, Child target)
    {
        var cpuBefore = target.CpuSeconds();
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, target.RssBytes());
                await Task.Delay(250);
            }
        });
        var completed = 0;
        var streams = Enumerable.Range(0, count).Select(async _ =>
        {
            try
            {
                using var req = Request(url, body, headers, chunks, intervalMs);
                using var resp = await Client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
                var text = await resp.Content.ReadAsStringAsync();
                if (resp.IsSuccessStatusCode && text.Contains($"tok{chunks - 1} ", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref completed);
                }
            }
            catch (HttpRequestException)
            {
            }
        });
        await Task.WhenAll(streams);
        await sampling.CancelAsync();
        await sampler;
        return (completed, peak, target.CpuSeconds() - cpuBefore);
    }
}
