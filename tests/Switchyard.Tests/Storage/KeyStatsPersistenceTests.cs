using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Dapper;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Storage;

/// <summary>Upstream keys' statistics (GET /providers) survive a restart, and the store names keys by fingerprint, never by secret.</summary>
public sealed class KeyStatsPersistenceTests
{
    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task Per_key_statistics_are_kept_across_a_restart(string dialect)
    {
        // The second key is rate-limited by the upstream every time.
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => ctx.Request.Headers.Authorization.ToString().EndsWith("key-two-secret-0002", StringComparison.Ordinal)
            ? FakeUpstream.Json(Wire.OpenAI.RateLimitError, 429)(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req));
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var config = ConfigLoader.Parse($$"""
            providers:
              - {name: up, type: openai, base_url: "{{fake.Url}}/v1", keys: [sk-key-one-secret-0001, sk-key-two-secret-0002], max_failures: 1000}
            routes: [{model: "*", targets: [{provider: up}]}]
            """, "k.yaml") with { Storage = db.Options };

        async Task<JsonArray> KeysAsync(Gateway gw) => JsonNode.Parse(await gw.Client.GetStringAsync("/providers"))!["providers"]![0]!["keys"]!.AsArray();
        string Counts(JsonArray keys) => string.Join(" ", keys.Select(k => $"{k!["requests"]}/{k["successes"]}/{k["failures"]}/{k["status_codes"]!.ToJsonString()}"));

        string before;
        await using (var gw = await Gateway.StartAsync(config))
        {
            for (var i = 0; i < 6; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
                {
                    Content = new StringContent("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
                };
                using var response = await gw.Client.SendAsync(request);
            }
            before = Counts(await KeysAsync(gw));
            Assert.Contains("429", before, StringComparison.Ordinal);
        } // shutdown writes the last counts

        await using (var gw = await Gateway.StartAsync(config))
        {
            Assert.Equal(before, Counts(await KeysAsync(gw)));
            var keys = await KeysAsync(gw);
            Assert.True(keys[0]!["requests"]!.GetValue<long>() > 0 && keys[1]!["last_failure_status"]!.GetValue<int>() == 429);
        }

        await using var c = await db.Store.OpenConnectionAsync(default);
        var stored = string.Join("|", (await c.QueryAsync("SELECT * FROM upstream_key_stats")).Select(r => string.Join(",", ((IDictionary<string, object?>)r).Values)));
        Assert.DoesNotContain("key-one-secret-0001", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("key-two-secret-0002", stored, StringComparison.Ordinal);
        Assert.Equal(2L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM upstream_key_stats"));
    }
}
