using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Dispatch;

/// <summary>Key pools, provider health and the retry policy through real Kestrel, with fake upstreams injecting faults.</summary>
public sealed class KeyPoolFunctionalTests
{
    private const string Body = """{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}""";

    private static async Task<JsonNode> Providers(Gateway gw) => JsonNode.Parse(await gw.Client.GetStringAsync("/providers"))!;

    [Fact]
    public async Task A_401_key_is_disabled_and_the_request_succeeds_on_another()
    {
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer sk-revoked"
            ? FakeUpstream.Json("""{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""", 401)(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: pool, type: openai, base_url: "{{fake.Url}}/v1", keys: [sk-revoked, sk-good-1], key_strategy: round_robin}
            routes:
              - {model: m, targets: [{provider: pool}]}
            """);
        for (var i = 0; i < 5; i++)
        {
            using var resp = await gw.PostJsonAsync("/v1/messages", Body);
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        }
        Assert.Equal(1, fake.Requests.Count(r => r.Header("authorization") == "Bearer sk-revoked"));
        var keys = (await Providers(gw))["providers"]![0]!["keys"]!.AsArray();
        Assert.False(keys[0]!["enabled"]!.GetValue<bool>());
        Assert.Contains("401", keys[0]!["disabled_reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, keys[0]!["status_codes"]!["401"]!.GetValue<int>());
        Assert.Equal(5, keys[1]!["successes"]!.GetValue<int>());
        Assert.DoesNotContain("sk-revoked", (await Providers(gw)).ToJsonString(), StringComparison.Ordinal);

        // Re-enabled by the operator, it is tried again.
        using var enable = await gw.Client.PostAsync("/providers/pool/keys/0/enable", null);
        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        for (var i = 0; i < 2; i++)
        {
            using var _ = await gw.PostJsonAsync("/v1/messages", Body);
        }
        Assert.Equal(2, fake.Requests.Count(r => r.Header("authorization") == "Bearer sk-revoked"));
    }

    [Fact]
    public async Task A_failing_provider_is_skipped_while_it_cools_down_and_comes_back_after()
    {
        var clock = new ManualTimeProvider();
        var brokenFails = true;
        await using var broken = await FakeUpstream.StartAsync((ctx, req) => brokenFails
            ? FakeUpstream.Json("""{"type":"error","error":{"type":"api_error","message":"Internal server error"}}""", 500)(ctx, req)
            : FakeUpstream.Json(Wire.Anthropic.TextResponse)(ctx, req));
        await using var healthy = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: primary, type: anthropic, base_url: "{{broken.Url}}", keys: [k1], max_failures: 2, failure_cooldown: 60s}
              - {name: backup, type: openai, base_url: "{{healthy.Url}}/v1", keys: [k2]}
            routes:
              - model: m
                targets: [{provider: primary}, {provider: backup}]
                retry: {backoff: 0ms}
            """, clock);
        for (var i = 0; i < 4; i++)
        {
            using var resp = await gw.PostJsonAsync("/v1/messages", Body);
            Assert.Equal("backup", resp.Headers.GetValues("x-switchyard-provider").Single());
        }
        Assert.Equal(2, broken.Requests.Count); // two failures opened the breaker; then it was skipped
        var primary = (await Providers(gw))["providers"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "primary")!;
        Assert.Equal("cooling_down", primary["health"]!["state"]!.GetValue<string>());

        brokenFails = false;
        clock.Advance(TimeSpan.FromSeconds(61));
        using (var resp = await gw.PostJsonAsync("/v1/messages", Body))
        {
            Assert.Equal("primary", resp.Headers.GetValues("x-switchyard-provider").Single());
        }
        Assert.Equal(3, broken.Requests.Count);
        primary = (await Providers(gw))["providers"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "primary")!;
        Assert.Equal("healthy", primary["health"]!["state"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("openai", "/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("anthropic", "/v1/messages", """{"model":"m","max_tokens":9,"messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("gemini", "/v1beta/models/m:generateContent", """{"contents":[{"parts":[{"text":"Hi"}]}]}""")]
    public async Task When_every_target_is_down_the_client_gets_a_503_naming_each_provider(string client, string path, string body)
    {
        await using var a = await FakeUpstream.StartAsync(FakeUpstream.Json("""{"error":{"message":"upstream a is down","type":"server_error","param":null,"code":null}}""", 500));
        await using var b = await FakeUpstream.StartAsync(FakeUpstream.Json("""{"type":"error","error":{"type":"overloaded_error","message":"b is overloaded"}}""", 529));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: alpha, type: openai, base_url: "{{a.Url}}/v1", keys: [k1]}
              - {name: beta, type: anthropic, base_url: "{{b.Url}}", keys: [k2]}
            routes:
              - model: m
                targets: [{provider: alpha}, {provider: beta}]
                retry: {backoff: 0ms}
            """);
        using var resp = await gw.PostJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, resp.StatusCode);
        var json = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        var message = client switch
        {
            "openai" => json["error"]!["message"]!.GetValue<string>(),
            "anthropic" => json["error"]!["message"]!.GetValue<string>(),
            _ => json["error"]!["message"]!.GetValue<string>(),
        };
        Assert.Contains("alpha: upstream a is down", message, StringComparison.Ordinal);
        Assert.Contains("beta: b is overloaded", message, StringComparison.Ordinal);
        switch (client)
        {
            case "openai": Assert.Equal("server_error", json["error"]!["type"]!.GetValue<string>()); break;
            case "anthropic": Assert.Equal("error", json["type"]!.GetValue<string>()); break;
            default: Assert.Equal("UNAVAILABLE", json["error"]!["status"]!.GetValue<string>()); break;
        }
        Assert.Equal("2", resp.Headers.GetValues("x-switchyard-attempts").Single());
        var metrics = await gw.Client.GetStringAsync("/metrics");
        Assert.Contains("switchyard_failovers_total{from=\"alpha\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_retries_caps_the_attempts_and_unlisted_statuses_are_not_retried()
    {
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer k-500"
            ? FakeUpstream.Json("""{"error":{"message":"internal","type":"server_error","param":null,"code":null}}""", 500)(ctx, req)
            : FakeUpstream.Json("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}""", 503)(ctx, req));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: a, type: openai, base_url: "{{fake.Url}}/v1", keys: [k1], max_failures: 100}
              - {name: b, type: openai, base_url: "{{fake.Url}}/v1", keys: [k2], max_failures: 100}
              - {name: c, type: openai, base_url: "{{fake.Url}}/v1", keys: [k3], max_failures: 100}
              - {name: d, type: openai, base_url: "{{fake.Url}}/v1", keys: [k-500]}
            routes:
              - model: m
                targets: [{provider: a}, {provider: b}, {provider: c}]
                retry: {max_retries: 1, backoff: 0ms}
              - model: n
                targets: [{provider: d}, {provider: a}]
                retry: {statuses: [503]}
            """);
        using (var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}"""))
        {
            Assert.Equal("2", resp.Headers.GetValues("x-switchyard-attempts").Single());
        }
        Assert.Equal(2, fake.Requests.Count);
        using (var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"n","messages":[{"role":"user","content":"Hi"}]}"""))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, resp.StatusCode); // 500 is not in this route's retry statuses
            Assert.Equal("1", resp.Headers.GetValues("x-switchyard-attempts").Single());
        }
    }

    [Fact]
    public async Task The_deadline_ends_the_retries()
    {
        await using var slow = await FakeUpstream.StartAsync(async (ctx, req) =>
        {
            await Task.Delay(400);
            await FakeUpstream.Json("""{"error":{"message":"slow failure","type":"server_error","param":null,"code":null}}""", 500)(ctx, req);
        });
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: a, type: openai, base_url: "{{slow.Url}}/v1", keys: [k1]}
              - {name: b, type: openai, base_url: "{{slow.Url}}/v1", keys: [k2]}
              - {name: c, type: openai, base_url: "{{slow.Url}}/v1", keys: [k3]}
              - {name: d, type: openai, base_url: "{{slow.Url}}/v1", keys: [k4]}
            routes:
              - model: m
                targets: [{provider: a}, {provider: b}, {provider: c}, {provider: d}]
                retry: {max_retries: 10, backoff: 0ms, deadline: 1000ms}
            """);
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""");
        // Four targets of 400 ms each would take 1.6 s: the 1 s deadline stops before the fourth (a loaded machine may
        // get only the first one done in time).
        Assert.InRange(slow.Requests.Count, 1, 3);
        Assert.True(int.Parse(resp.Headers.GetValues("x-switchyard-attempts").Single(), System.Globalization.CultureInfo.InvariantCulture) < 4);
    }

    [Fact]
    public async Task Rate_limit_headers_steer_away_from_an_exhausted_key_before_it_answers_429()
    {
        await using var fake = await FakeUpstream.StartAsync((ctx, req) =>
        {
            if (req.Header("authorization") == "Bearer k-a")
            {
                ctx.Response.Headers["x-ratelimit-remaining-requests"] = "0";
                ctx.Response.Headers["x-ratelimit-reset-requests"] = "30s";
            }
            return FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req);
        });
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: p, type: openai, base_url: "{{fake.Url}}/v1", keys: [k-a, k-b]}
            routes:
              - {model: m, targets: [{provider: p}]}
            """);
        for (var i = 0; i < 5; i++)
        {
            using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""");
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        }
        Assert.Equal(1, fake.Requests.Count(r => r.Header("authorization") == "Bearer k-a"));
        Assert.Equal(4, fake.Requests.Count(r => r.Header("authorization") == "Bearer k-b"));
    }

    [Fact]
    public async Task Key_affinity_keeps_a_session_on_one_key()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: p, type: openai, base_url: "{{fake.Url}}/v1", keys: [k1, k2, k3, k4], key_affinity: true}
            routes:
              - {model: m, targets: [{provider: p}]}
            """);
        var keysBySession = new Dictionary<string, HashSet<string>>();
        foreach (var session in Enumerable.Range(0, 12).Select(i => $"session-{i}"))
        {
            for (var i = 0; i < 3; i++)
            {
                using var _ = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""", ("x-claude-code-session-id", session));
                (keysBySession.TryGetValue(session, out var set) ? set : keysBySession[session] = []).Add(fake.Requests.Last().Header("authorization"));
            }
        }
        Assert.All(keysBySession.Values, keys => Assert.Single(keys));
        Assert.True(keysBySession.Values.Select(k => k.Single()).Distinct().Count() >= 2, "sessions spread over the pool");
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"model":"m","prompt_cache_key":"SESSION","messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("/v1/responses", """{"model":"m","prompt_cache_key":"SESSION","store":false,"input":"Hi"}""")]
    public async Task A_prompt_cache_key_keeps_its_conversation_on_one_key(string path, string body)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: p, type: openai, base_url: "{{fake.Url}}/v1", keys: [k1, k2, k3, k4], key_affinity: true}
            routes:
              - {model: m, targets: [{provider: p}]}
            """);
        var keysBySession = new Dictionary<string, HashSet<string>>();
        foreach (var session in Enumerable.Range(0, 12).Select(i => $"conversation-{i}"))
        {
            for (var i = 0; i < 3; i++)
            {
                using var resp = await gw.PostJsonAsync(path, body.Replace("SESSION", session, StringComparison.Ordinal));
                Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
                Assert.Equal(session, fake.Requests.Last().Json["prompt_cache_key"]?.GetValue<string>()); // the upstream's cache sees it too
                (keysBySession.TryGetValue(session, out var set) ? set : keysBySession[session] = []).Add(fake.Requests.Last().Header("authorization"));
            }
        }
        Assert.All(keysBySession.Values, keys => Assert.Single(keys));
        Assert.True(keysBySession.Values.Select(k => k.Single()).Distinct().Count() >= 2, "conversations spread over the pool");
    }
}
