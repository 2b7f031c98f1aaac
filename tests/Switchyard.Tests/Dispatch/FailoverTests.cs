using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Dispatch;

/// <summary>Key rotation and target failover before the first byte; in-stream errors after it.</summary>
public sealed class FailoverTests
{
    private const string AnthropicBody = """{"model":"m","max_tokens":64,"messages":[{"role":"user","content":"Hello"}]}""";

    [Fact]
    public async Task The_next_target_after_a_provider_failure_waits_the_jittered_backoff_but_a_rate_limited_key_does_not()
    {
        var arrivals = new System.Collections.Concurrent.ConcurrentQueue<(string Who, long At)>();
        await using var down = await FakeUpstream.StartAsync((ctx, req) =>
        {
            arrivals.Enqueue(("down", Environment.TickCount64));
            return FakeUpstream.Json("""{"error":{"message":"down","type":"server_error"}}""", 503)(ctx, req);
        });
        await using var up = await FakeUpstream.StartAsync((ctx, req) =>
        {
            arrivals.Enqueue((req.Header("authorization"), Environment.TickCount64));
            return req.Header("authorization") == "Bearer sk-limited"
                ? FakeUpstream.Json(Wire.OpenAI.RateLimitError, 429, ("retry-after", "30"))(ctx, req)
                : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req);
        });
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: down, type: openai, base_url: "{{down.Url}}/v1", keys: [k]}
              - {name: up, type: openai, base_url: "{{up.Url}}/v1", keys: [sk-limited, sk-good], key_strategy: least_used}
            routes:
              - model: m
                targets: [{provider: down}, {provider: up}]
                retry: {backoff: 400ms, max_backoff: 400ms}
            """);
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var seen = arrivals.ToArray();
        Assert.Equal(["down", "Bearer sk-limited", "Bearer sk-good"], seen.Select(a => a.Who));
        // After the 503: at least half the 400 ms ceiling (full jitter is 50–100 %). After the 429: the next key at once.
        Assert.True(seen[1].At - seen[0].At >= 190, $"waited {seen[1].At - seen[0].At} ms after the provider failure");
        Assert.True(seen[2].At - seen[1].At < seen[1].At - seen[0].At, "a rate-limited key yields to the next key without the backoff");
    }

    [Fact]
    public async Task A_rate_limited_key_is_skipped_for_its_retry_after_and_the_request_succeeds_on_another()
    {
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer sk-limited"
            ? FakeUpstream.Json(Wire.OpenAI.RateLimitError, 429, ("retry-after", "30"))(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - name: pool
                type: openai
                base_url: {{fake.Url}}/v1
                keys: [sk-limited, sk-good]
            routes:
              - model: m
                targets: [{provider: pool}]
            """);
        var attempts = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            using var resp = await gw.PostJsonAsync("/v1/messages", AnthropicBody);
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            attempts.Add(resp.Headers.GetValues("x-switchyard-attempts").Single());
        }
        // The limited key was tried at most once; afterwards it is cooling down and never picked.
        Assert.Equal(1, fake.Requests.Count(r => r.Header("authorization") == "Bearer sk-limited"));
        Assert.Equal(4, fake.Requests.Count(r => r.Header("authorization") == "Bearer sk-good"));
        Assert.Contains("2", attempts);
    }

    [Fact]
    public async Task A_failing_provider_fails_over_to_the_next_target()
    {
        await using var broken = await FakeUpstream.StartAsync(FakeUpstream.Json("""{"type":"error","error":{"type":"api_error","message":"Internal server error"}}""", 500));
        await using var healthy = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - name: first
                type: anthropic
                base_url: {{broken.Url}}
                keys: [sk-1]
              - name: second
                type: openai
                base_url: {{healthy.Url}}/v1
                keys: [sk-2]
            routes:
              - model: m
                targets:
                  - provider: first
                    model: claude-x
                  - provider: second
                    model: gpt-x
            """);
        foreach (var stream in new[] { false, true })
        {
            var body = stream ? AnthropicBody.Replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\"", StringComparison.Ordinal) : AnthropicBody;
            using var resp = await gw.PostJsonAsync("/v1/messages", body);
            var view = await ClientView.ReadAsync(resp, "anthropic");
            Assert.Equal(HttpStatusCode.OK, view.Status);
            Assert.Equal(Wire.Text, view.Text);
            Assert.Equal("second", resp.Headers.GetValues("x-switchyard-provider").Single());
            Assert.Equal("gpt-x", resp.Headers.GetValues("x-switchyard-model").Single());
            Assert.Equal("2", resp.Headers.GetValues("x-switchyard-attempts").Single());
        }
    }

    [Fact]
    public async Task When_every_target_fails_the_last_error_is_answered_in_the_clients_shape()
    {
        await using var gw = await Gateway.StartAsync("""
            providers:
              - name: nowhere
                type: openai
                base_url: http://127.0.0.1:9/v1
                keys: [sk-1]
                connect_timeout: 2s
            routes:
              - model: m
                targets: [{provider: nowhere}]
            """);
        using var resp = await gw.PostJsonAsync("/v1/messages", AnthropicBody);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, resp.StatusCode);
        var json = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        Assert.Equal("error", json["type"]!.GetValue<string>());
        Assert.Contains("nowhere", json["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("nowhere", resp.Headers.GetValues("x-switchyard-provider").Single());
        Assert.Equal("1", resp.Headers.GetValues("x-switchyard-attempts").Single());
    }

    [Fact]
    public async Task An_upstream_error_at_the_start_of_a_stream_is_still_retried()
    {
        const string overloaded = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        await using var flaky = await FakeUpstream.StartAsync(FakeUpstream.Sse(overloaded));
        await using var healthy = await FakeUpstream.StartAsync(FakeUpstream.Scripted("anthropic"));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: flaky, type: anthropic, base_url: "{{flaky.Url}}", keys: [k1]}
              - {name: healthy, type: anthropic, base_url: "{{healthy.Url}}", keys: [k2]}
            routes:
              - model: m
                targets: [{provider: flaky}, {provider: healthy}]
            """);
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");
        var view = await ClientView.ReadAsync(resp, "openai");
        Assert.Equal(Wire.Text, view.Text);
        Assert.Null(view.ErrorBody);
        Assert.Equal("healthy", resp.Headers.GetValues("x-switchyard-provider").Single());
    }

    [Theory]
    [InlineData("openai", "anthropic")]
    [InlineData("anthropic", "openai")]
    [InlineData("anthropic", "anthropic")]
    [InlineData("openai", "openai")]
    public async Task A_connection_lost_mid_stream_becomes_an_in_stream_error_not_a_retry(string client, string upstream)
    {
        var body = upstream == "openai" ? Wire.OpenAI.TextStream : Wire.Anthropic.TextStream;
        var events = body.Split("\n\n");
        var upToHello = events.TakeWhile(e => !e.Contains("\"Hello\"", StringComparison.Ordinal)).Count() + 1;
        var firstEvents = string.Join("\n\n", events.Take(upToHello)) + "\n\n";
        // The connection dies once the client has the response's head (the gateway is committed to this provider), not
        // after a fixed delay: on a loaded machine a reset could otherwise discard the first events before the gateway read them.
        var clientHasHead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var dying = await FakeUpstream.StartAsync(async (ctx, req) =>
        {
            await FakeUpstream.Sse(firstEvents)(ctx, req);
            await clientHasHead.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(100); // and the events behind the head are on their way to it
            ctx.Abort(); // the provider's connection dies mid-stream
        });
        await using var spare = await FakeUpstream.StartAsync(FakeUpstream.Scripted(upstream));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: dying, type: {{upstream}}, base_url: "{{dying.Url}}{{(upstream == "openai" ? "/v1" : "")}}", keys: [k1]}
              - {name: spare, type: {{upstream}}, base_url: "{{spare.Url}}{{(upstream == "openai" ? "/v1" : "")}}", keys: [k2]}
            routes:
              - model: m
                targets: [{provider: dying}, {provider: spare}]
            """);
        var path = client == "openai" ? "/v1/chat/completions" : "/v1/messages";
        using var resp = await gw.PostJsonAsync(path, ProtocolMatrixTests.ClientRequest(client, stream: true, tools: false).Replace("matrix-model", "m", StringComparison.Ordinal));
        clientHasHead.SetResult();
        var view = await ClientView.ReadAsync(resp, client);
        Assert.Equal(HttpStatusCode.OK, view.Status);
        Assert.Equal("dying", resp.Headers.GetValues("x-switchyard-provider").Single());
        Assert.True(view.ErrorBody is not null, string.Join("\n\n", view.RawEvents));
        Assert.StartsWith("Hello", view.Text, StringComparison.Ordinal);
        Assert.NotEqual(Wire.Text, view.Text);
        Assert.Empty(spare.Requests); // never retried once bytes reached the client: no duplicated stream
        if (client == "openai")
        {
            Assert.DoesNotContain("data: [DONE]", view.RawEvents);
        }
        else
        {
            Assert.StartsWith("event: error", view.RawEvents[^1], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task No_first_byte_within_the_timeout_is_a_504_in_the_clients_shape()
    {
        await using var slow = await FakeUpstream.StartAsync(async (ctx, req) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted);
            await FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req);
        });
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: slow, type: openai, base_url: "{{slow.Url}}/v1", keys: [k], first_byte_timeout: 300ms}
            routes:
              - model: m
                targets: [{provider: slow}]
            """);
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal(HttpStatusCode.GatewayTimeout, resp.StatusCode);
        var error = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("server_error", error["type"]!.GetValue<string>());
        Assert.Contains("slow", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_that_goes_silent_ends_with_a_timeout_error_event()
    {
        var first = string.Join("\n\n", Wire.Anthropic.TextStream.Split("\n\n").Take(4)) + "\n\n";
        await using var stall = await FakeUpstream.StartAsync(async (ctx, req) =>
        {
            await FakeUpstream.Sse(first)(ctx, req);
            await Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted);
        });
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: stall, type: anthropic, base_url: "{{stall.Url}}", keys: [k], idle_timeout: 400ms}
            routes:
              - model: m
                targets: [{provider: stall}]
            """);
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");
        var view = await ClientView.ReadAsync(resp, "openai");
        Assert.Equal("Hello", view.Text);
        Assert.Contains("sent nothing for 0.4s", view.ErrorBody!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upstream_keys_echoed_in_errors_are_masked()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(
            """{"error":{"message":"Incorrect API key provided: sk-proj-SECRET-abcdefghijklmnop. You can find your API key at https://platform.openai.com.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""", 401));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: p, type: openai, base_url: "{{fake.Url}}/v1", keys: [sk-proj-SECRET-abcdefghijklmnop]}
            routes:
              - model: m
                targets: [{provider: p}]
            """);
        using var resp = await gw.PostJsonAsync("/v1/messages", AnthropicBody);
        var text = await resp.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
        Assert.DoesNotContain("SECRET-abcdefghijklmnop", text, StringComparison.Ordinal);
        Assert.Contains("sk-p…mnop", text, StringComparison.Ordinal);
    }
}
