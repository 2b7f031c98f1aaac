using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Observability;

/// <summary>GET /metrics parses as the Prometheus text format, and its numbers are the requests that were made.</summary>
public sealed partial class MetricsTests
{
    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    /// <summary>A parser written to the exposition format spec: HELP/TYPE comments, then name{labels} value lines.</summary>
    private static (List<Sample> Samples, Dictionary<string, string> Types) Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                Assert.DoesNotContain(parts[2], types.Keys); // one TYPE per metric family
                types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#'))
            {
                Assert.Matches("^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$", line);
                continue;
            }
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>();
            foreach (Match l in LabelPair().Matches(m.Groups["labels"].Value))
            {
                labels[l.Groups[1].Value] = Regex.Unescape(l.Groups[2].Value);
            }
            var value = m.Groups["value"].Value switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, var v => double.Parse(v, CultureInfo.InvariantCulture) };
            samples.Add(new Sample(m.Groups["name"].Value, labels, value));
        }
        return (samples, types);
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*)\})? (?<value>[-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|Inf|NaN))( -?\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(""""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"""")]
    private static partial Regex LabelPair();

    [Fact]
    public async Task Counters_equal_the_requests_made_and_histograms_are_cumulative_and_consistent()
    {
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer k-limited"
            ? FakeUpstream.Json(Wire.OpenAI.RateLimitError, 429, ("retry-after", "60"))(ctx, req)
            : FakeUpstream.Scripted("openai")(ctx, req));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: oa, type: openai, base_url: "{{fake.Url}}/v1", keys: [k-limited, k-ok]}
              - {name: mock, type: mock}
            routes:
              - {model: m, targets: [{provider: oa}]}
              - {model: "mock-*", targets: [{provider: mock}]}
            """);
        for (var i = 0; i < 6; i++)
        {
            using var _ = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""");
        }
        for (var i = 0; i < 3; i++)
        {
            using var _ = await gw.PostJsonAsync("/v1/messages", """{"model":"mock-a","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"Hi"}]}""");
        }
        for (var i = 0; i < 2; i++)
        {
            using var r = await gw.PostJsonAsync("/v1/messages", """{"model":"mock-fault-500","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}""");
            Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        }

        using var resp = await gw.Client.GetAsync("/metrics");
        Assert.Equal("text/plain", resp.Content.Headers.ContentType!.MediaType);
        var (samples, types) = Parse(await resp.Content.ReadAsStringAsync());

        double Sum(string name, Func<Dictionary<string, string>, bool>? where = null) =>
            samples.Where(s => s.Name == name && (where is null || where(s.Labels))).Sum(s => s.Value);

        Assert.Equal("counter", types["switchyard_requests_total"]);
        Assert.Equal(11, Sum("switchyard_requests_total"));
        Assert.Equal(6, Sum("switchyard_requests_total", l => l["protocol"] == "openai" && l["provider"] == "oa" && l["status"] == "200"));
        Assert.Equal(3, Sum("switchyard_requests_total", l => l["protocol"] == "anthropic" && l["provider"] == "mock" && l["status"] == "200"));
        Assert.Equal(2, Sum("switchyard_requests_total", l => l["status"] == "500"));
        Assert.Equal(1, Sum("switchyard_retries_total")); // the limited key answered 429 once, then rested
        Assert.Equal(6 * 19, Sum("switchyard_tokens_total", l => l["kind"] == "input" && l["provider"] == "oa"));
        Assert.Equal(0, Sum("switchyard_in_flight_requests"));
        Assert.Equal(0, Sum("switchyard_in_flight_streams"));
        Assert.Equal("gauge", types["switchyard_in_flight_streams"]);
        Assert.Equal(0, Sum("switchyard_failovers_total")); // one target per route here
        Assert.Equal(0, Sum("switchyard_log_dropped_total"));
        Assert.Equal(1, Sum("switchyard_keys_available", l => l["provider"] == "oa"));
        Assert.Equal(1, Sum("switchyard_provider_available", l => l["provider"] == "oa"));

        Assert.Equal("histogram", types["switchyard_request_duration_seconds"]);
        foreach (var group in samples.Where(s => s.Name == "switchyard_request_duration_seconds_bucket")
                     .GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key).Select(l => l.Key + "=" + l.Value))))
        {
            var buckets = group.Select(s => (Le: s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], CultureInfo.InvariantCulture), s.Value)).ToList();
            Assert.Equal(buckets.OrderBy(b => b.Le).Select(b => b.Le), buckets.Select(b => b.Le)); // ascending le
            for (var i = 1; i < buckets.Count; i++)
            {
                Assert.True(buckets[i].Value >= buckets[i - 1].Value, "buckets are cumulative");
            }
            var count = samples.Single(s => s.Name == "switchyard_request_duration_seconds_count" && group.First().Labels.Where(l => l.Key != "le").All(l => s.Labels[l.Key] == l.Value));
            Assert.Equal(count.Value, buckets[^1].Value); // +Inf == _count
        }
        Assert.Equal(11, Sum("switchyard_request_duration_seconds_count"));
        Assert.Equal(7, Sum("switchyard_upstream_ttfb_seconds_count")); // 6 served + 1 rate-limited attempt on the HTTP provider
        Assert.Equal(11, Sum("switchyard_gateway_overhead_seconds_count"));
    }

    [Fact]
    public async Task Readiness_follows_provider_health()
    {
        await using var gw = await Gateway.StartAsync(Switchyard.Config.DemoConfig.Create());
        using var ready = await gw.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        await using var none = await Gateway.StartAsync("""
            providers:
              - {name: off, type: openai, base_url: "http://127.0.0.1:9/v1", keys: [{key: k, enabled: false}]}
            routes: []
            """);
        using var notReady = await none.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
    }
}
