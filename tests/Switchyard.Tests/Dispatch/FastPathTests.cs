using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Dispatch;

/// <summary>Same protocol on both sides: bytes are forwarded with only the model and credentials changed.</summary>
public sealed class FastPathTests
{
    private static string Config(string kind, string url, string? model = "upstream-model") => $$"""
        auth:
          keys: [sk-sy-client]
        providers:
          - {name: up, type: {{kind}}, base_url: "{{url}}{{(kind == "openai" ? "/v1" : "")}}", keys: [sk-up-key]}
        routes:
          - model: client-model
            targets: [{provider: up{{(model is null ? "" : ", model: " + model)}}}]
        """;

    [Fact]
    public async Task Anthropic_to_Anthropic_forwards_the_body_byte_for_byte_with_betas_and_our_credentials()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.Anthropic.TextResponse));
        await using var gw = await Gateway.StartAsync(Config("anthropic", fake.Url));
        // Odd spacing, unknown fields and key order must all survive untouched.
        const string body = """{ "max_tokens" : 77,"model":"client-model", "future_field": {"x": [1, 2.50]}, "messages":[{"role":"user","content":"Hi"}], "context_management": {"edits": []} }""";
        using var resp = await gw.PostJsonAsync("/v1/messages?beta=true", body,
            ("x-api-key", "sk-sy-client"), ("anthropic-version", "2023-06-01"), ("anthropic-beta", "context-management-2025-06-27,interleaved-thinking-2025-05-14"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var sent = Assert.Single(fake.Requests);
        Assert.Equal(body.Replace("\"client-model\"", "\"upstream-model\"", StringComparison.Ordinal), Encoding.UTF8.GetString(sent.Body));
        Assert.Equal("sk-up-key", sent.Header("x-api-key"));
        Assert.Equal("2023-06-01", sent.Header("anthropic-version"));
        Assert.Equal("context-management-2025-06-27,interleaved-thinking-2025-05-14", sent.Header("anthropic-beta"));
        Assert.DoesNotContain("sk-sy-client", string.Join(",", sent.Headers.Values), StringComparison.Ordinal);
        // …and the answer comes back exactly as the upstream sent it.
        Assert.Equal(Wire.Anthropic.TextResponse, await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OpenAI_to_OpenAI_stream_is_relayed_verbatim_and_the_model_passes_through_when_the_target_names_none()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.OpenAISse(Wire.OpenAI.TextStream));
        await using var gw = await Gateway.StartAsync(Config("openai", fake.Url, model: null));
        const string body = """{"model":"client-model","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}],"logit_bias":{"50256":-100}}""";
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", body, ("authorization", "Bearer sk-sy-client"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal(Wire.OpenAI.TextStream, await resp.Content.ReadAsStringAsync());
        Assert.Equal(body, Encoding.UTF8.GetString(Assert.Single(fake.Requests).Body));
        Assert.Equal("Bearer sk-up-key", fake.Requests.Single().Header("authorization"));
    }

    [Theory]
    [InlineData("""{"model":"client-model","stream":true,"messages":[{"role":"user","content":"Hi"}]}""", """{"stream_options":{"include_usage":true},"model":"client-model","stream":true,"messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("""{"model":"client-model","stream":true,"stream_options":{"include_obfuscation":false},"messages":[]}""", """{"model":"client-model","stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true},"messages":[]}""")]
    [InlineData("""{ "stream_options" : {"include_usage": false}, "model":"client-model","stream":true,"messages":[]}""", """{ "stream_options" : {"include_usage":true}, "model":"client-model","stream":true,"messages":[]}""")]
    public async Task An_OpenAI_stream_whose_client_did_not_ask_for_usage_is_still_accounted_and_the_usage_chunk_is_dropped(string body, string expectedUpstream)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.OpenAISse(Wire.OpenAI.TextStream));
        await using var gw = await Gateway.StartAsync(Config("openai", fake.Url, model: null));
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", body, ("authorization", "Bearer sk-sy-client"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        // The upstream was asked for usage, with everything else the client sent left as it was…
        Assert.Equal(expectedUpstream, Encoding.UTF8.GetString(Assert.Single(fake.Requests).Body));
        // …the client gets every chunk but the usage one it did not ask for…
        var withoutUsage = string.Concat(Wire.OpenAI.TextStream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => !e.Contains("\"choices\":[]", StringComparison.Ordinal)).Select(e => e + "\n\n"));
        Assert.Equal(withoutUsage, await resp.Content.ReadAsStringAsync());
        // …and the tokens were counted.
        var metrics = await gw.Client.GetStringAsync("/metrics");
        Assert.Matches("""switchyard_tokens_total\{[^}]*kind="input"[^}]*\} 19\b""", metrics);
        Assert.Matches("""switchyard_tokens_total\{[^}]*kind="output"[^}]*\} 10\b""", metrics);
    }

    [Fact]
    public async Task Model_names_with_characters_that_need_escaping_are_rewritten_as_valid_JSON()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync(Config("openai", fake.Url, model: "\"org/model \\\"q\\\" é\""));
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"client-model","messages":[{"role":"user","content":"Hi"}]}""", ("authorization", "Bearer sk-sy-client"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("org/model \"q\" é", Assert.Single(fake.Requests).Json["model"]!.GetValue<string>());
    }
}
