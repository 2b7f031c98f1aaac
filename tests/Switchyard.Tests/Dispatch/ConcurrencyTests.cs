using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Dispatch;

/// <summary>2,000 requests over 64 connections across a pool of 4 keys, one of which keeps failing: nothing lost, every counter adds up.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Two_thousand_requests_over_64_connections_with_one_failing_key()
    {
        const int total = 2000;
        const int connections = 64;
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer k-bad"
            ? FakeUpstream.Json(Wire.OpenAI.RateLimitError, 429, ("retry-after", "0"))(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - name: pool
                type: openai
                base_url: {{fake.Url}}/v1
                key_strategy: round_robin
                keys: [k-1, k-2, k-3, {key: k-bad, cooldown: 0s, max_failures: 1}]
            routes:
              - {model: m, targets: [{provider: pool}]}
            """);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(gw.Url), Timeout = TimeSpan.FromMinutes(2) };
        var next = 0;
        var statuses = new int[total];
        var workers = Enumerable.Range(0, connections).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next) - 1) < total)
            {
                using var content = new StringContent("""{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json");
                using var resp = await client.PostAsync("/v1/messages", content);
                var body = await resp.Content.ReadAsStringAsync();
                statuses[i] = (int)resp.StatusCode;
                Assert.Contains(Wire.Text, body, StringComparison.Ordinal);
            }
        });
        await Task.WhenAll(workers);

        Assert.All(statuses, s => Assert.Equal(200, s));
        // A key's bookkeeping ends just after the client has the last byte: read the counters once nothing is in flight.
        var quiet = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var pool = JsonNode.Parse(await client.GetStringAsync("/providers"))!["providers"]![0]!;
        while (pool["health"]!["in_flight"]!.GetValue<int>() != 0 && DateTime.UtcNow < quiet)
        {
            await Task.Delay(20);
            pool = JsonNode.Parse(await client.GetStringAsync("/providers"))!["providers"]![0]!;
        }
        var keys = pool["keys"]!.AsArray().Select(k => k!).ToList();
        var requests = keys.Sum(k => k["requests"]!.GetValue<long>());
        Assert.Equal(fake.Requests.Count, requests);                                  // every upstream call is counted once
        Assert.Equal(total, keys.Sum(k => k["successes"]!.GetValue<long>()));       // every client request succeeded once
        Assert.Equal(requests - total, keys.Sum(k => k["failures"]!.GetValue<long>()));
        var bad = keys.Single(k => k["index"]!.GetValue<int>() == 3); // k-bad (short keys all mask to ****)
        Assert.Equal(0, bad["successes"]!.GetValue<long>());
        Assert.Equal(bad["requests"]!.GetValue<long>(), bad["status_codes"]!["429"]!.GetValue<long>());
        Assert.Equal(fake.Requests.Count(r => r.Header("authorization") == "Bearer k-bad"), bad["requests"]!.GetValue<long>());
        Assert.All(keys, k => Assert.Equal(0, k["in_flight"]!.GetValue<int>()));
        Assert.Equal(requests, pool["health"]!["requests"]!.GetValue<long>());
        Assert.Equal(0, pool["health"]!["in_flight"]!.GetValue<int>());
        foreach (var good in keys.Where(k => k["index"]!.GetValue<int>() != 3))
        {
            Assert.InRange(good["successes"]!.GetValue<long>(), total / 3 - 200, total / 3 + 200); // round robin spreads the load
        }
    }
}
