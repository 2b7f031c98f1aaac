using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Admin;

/// <summary><c>POST /admin/v1/providers/{name}/test</c>: one real call with one key, reported — status, latency, answer or error, rate-limit headers.</summary>
public sealed class ConnectionTestTests
{
    private const string BadKey = "sk-bad-key-0123456789abcdef";
    private const string GoodKey = "sk-good-key-0123456789abcdef";
    private const string Candidate = "sk-candidate-0123456789abcdef";

    [Fact]
    public async Task The_test_calls_the_upstream_once_with_the_chosen_key_and_reports_what_it_said()
    {
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer " + BadKey
            ? FakeUpstream.Json("{\"error\":{\"message\":\"Incorrect API key provided: " + BadKey + "\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}", 401)(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse, 200, ("x-ratelimit-remaining-requests", "4999"), ("x-ratelimit-reset-requests", "12ms"))(ctx, req));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: up, type: openai, base_url: "{{fake.Url}}/v1", keys: ["{{BadKey}}", "{{GoodKey}}"]}
              - {name: down, type: openai, base_url: "http://127.0.0.1:9/v1", keys: [sk-down-0123456789], connect_timeout: 2s}
              - {name: bare, type: anthropic, base_url: "{{fake.Url}}", keys: [sk-bare-0123456789]}
            routes:
              - {model: "claude-*", targets: [{provider: up, model: gpt-4o-mini}, {provider: down, model: gpt-4o}]}
            """);
        async Task<JsonNode> TestAsync(string provider, string body, HttpStatusCode expected = HttpStatusCode.OK)
        {
            using var response = await gw.PostJsonAsync($"/admin/v1/providers/{provider}/test", body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected, text);
            return JsonNode.Parse(text)!;
        }

        // The first key of the pool: the upstream refuses it, and says so (the key masked).
        var refused = await TestAsync("up", "{}");
        Assert.False(refused["ok"]!.GetValue<bool>());
        Assert.Equal(401, refused["status"]!.GetValue<int>());
        Assert.Equal("gpt-4o-mini", refused["model"]!.GetValue<string>()); // the route's target model
        Assert.Contains("Incorrect API key provided", refused["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(BadKey, refused.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("sk-b…cdef", refused["key"]!.GetValue<string>());

        // A named key of the pool: the answer, the latency and the rate-limit headers.
        var ok = await TestAsync("up", $$"""{"key": "{{UpstreamKey.Fingerprint(GoodKey)}}", "model": "gpt-4.1"}""");
        Assert.True(ok["ok"]!.GetValue<bool>());
        Assert.Equal("Hello from upstream!", ok["answer"]!.GetValue<string>());
        Assert.Equal("4999", ok["rate_limits"]!["x-ratelimit-remaining-requests"]!.GetValue<string>());
        Assert.True(ok["latency_ms"]!.GetValue<double>() > 0);
        var sent = fake.Requests.Last();
        Assert.Equal("Bearer " + GoodKey, sent.Header("authorization"));
        Assert.Equal("gpt-4.1", sent.Json["model"]!.GetValue<string>());
        Assert.Equal(16, sent.Json["max_completion_tokens"]!.GetValue<int>());
        Assert.Equal(2, fake.Requests.Count); // one call per test, no retry, no failover

        // A key not in the pool yet, tried before adding it; it is never echoed.
        var candidate = await TestAsync("up", $$"""{"key": "{{Candidate}}"}""");
        Assert.True(candidate["ok"]!.GetValue<bool>());
        Assert.Equal("Bearer " + Candidate, fake.Requests.Last().Header("authorization"));
        Assert.DoesNotContain(Candidate, candidate.ToJsonString(), StringComparison.Ordinal);

        // A probe, not traffic: the keys' statistics and states are unchanged (the refused key is not disabled).
        var keys = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/providers/up/keys"))!["data"]!.AsArray();
        Assert.All(keys, k => Assert.Equal("available", k!["state"]!.GetValue<string>()));
        var stats = JsonNode.Parse(await gw.Client.GetStringAsync("/providers"))!["providers"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "up")!["keys"]!.AsArray();
        Assert.All(stats, k => Assert.Equal(0, k!["requests"]!.GetValue<long>()));

        // Unreachable, unknown key id, no model to try, no provider.
        var down = await TestAsync("down", "{}");
        Assert.False(down["ok"]!.GetValue<bool>());
        Assert.Null(down["status"]);
        Assert.Contains("Cannot reach http://127.0.0.1:9/v1/", down["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("No key '0123456789abcdef'", (await TestAsync("up", """{"key": "0123456789abcdef"}""", HttpStatusCode.NotFound))["error"]!["message"]!.GetValue<string>(),
            StringComparison.Ordinal);
        Assert.Equal("model", (await TestAsync("bare", "{}", HttpStatusCode.BadRequest))["error"]!["param"]!.GetValue<string>());
        await TestAsync("bare", """{"model": "claude-haiku-4-5"}""");
        Assert.Equal(("/v1/messages", "claude-haiku-4-5", "sk-bare-0123456789"), (fake.Requests.Last().Path, fake.Requests.Last().Json["model"]!.GetValue<string>(), fake.Requests.Last().Header("x-api-key")));
        await TestAsync("nope", "{}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Per_key_statistics_are_served_in_the_seeds_shape_keys_masked()
    {
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer " + BadKey
            ? FakeUpstream.Json(Wire.OpenAI.RateLimitError, 429)(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: up, type: openai, base_url: "{{fake.Url}}/v1", keys: ["{{BadKey}}", "{{GoodKey}}"]}
              - {name: mock, type: mock}
            routes: [{model: "*", targets: [{provider: up}]}]
            """);
        for (var i = 0; i < 2; i++)
        {
            using var response = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var text = await gw.Client.GetStringAsync("/v1/api-keys/stats");
        var stats = JsonNode.Parse(text)!;
        Assert.Equal(["up"], stats.AsObject().Select(p => p.Key)); // the mock has no keys
        var bad = stats["up"]!["sk-b…cdef"]!;
        Assert.Equal(1, bad["total_requests"]!.GetValue<long>());
        Assert.Equal(0, bad["success_rate"]!.GetValue<double>());
        Assert.Equal(1, bad["status_codes"]!["429"]!.GetValue<long>());
        var good = stats["up"]!["sk-g…cdef"]!;
        Assert.Equal((2L, 2L, 0L, 1.0), (good["total_requests"]!.GetValue<long>(), good["successful_requests"]!.GetValue<long>(), good["failed_requests"]!.GetValue<long>(),
            good["success_rate"]!.GetValue<double>()));
        Assert.NotNull(good["last_used"]);
        Assert.DoesNotContain(GoodKey, text, StringComparison.Ordinal);
    }
}
