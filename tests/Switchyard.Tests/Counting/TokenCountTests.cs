using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Counting;

/// <summary>count_tokens / countTokens: the upstream's own counter when it has one, a local estimate otherwise, never a completion.</summary>
public sealed class TokenCountTests
{
    private const string AnthropicCount = """{"model":"m","system":"Be brief.","messages":[{"role":"user","content":"How many tokens is this?"}],"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]}""";

    private static string Config(string kind, string url) => $$"""
        providers:
          - {name: up, type: {{kind}}, base_url: "{{Dispatch.ProtocolMatrixTests.BaseUrl(kind, url)}}", keys: [up-key]}
        routes:
          - model: m
            targets: [{provider: up, model: upstream-model}]
        """;

    [Fact]
    public async Task Anthropic_counts_come_from_Anthropics_endpoint_and_are_cached()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json("""{"input_tokens":1234}"""));
        await using var gw = await Gateway.StartAsync(Config("anthropic", fake.Url));
        for (var i = 0; i < 3; i++)
        {
            using var resp = await gw.PostJsonAsync("/v1/messages/count_tokens?beta=true", AnthropicCount, ("anthropic-version", "2023-06-01"));
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            Assert.Equal(1234, JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["input_tokens"]!.GetValue<int>());
        }
        var sent = Assert.Single(fake.Requests); // cached after the first
        Assert.Equal("/v1/messages/count_tokens", sent.Path);
        Assert.Equal("up-key", sent.Header("x-api-key"));
        Assert.Equal("upstream-model", sent.Json["model"]!.GetValue<string>());
        Assert.Null(sent.Json["max_tokens"]);
        Assert.Null(sent.Json["stream"]);
        Assert.NotNull(sent.Json["tools"]);
    }

    [Fact]
    public async Task Anthropic_clients_routed_to_Gemini_get_Geminis_count()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json("""{"totalTokens":777,"promptTokensDetails":[{"modality":"TEXT","tokenCount":777}]}"""));
        await using var gw = await Gateway.StartAsync(Config("gemini", fake.Url));
        using var resp = await gw.PostJsonAsync("/v1/messages/count_tokens", AnthropicCount);
        Assert.Equal(777, JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["input_tokens"]!.GetValue<int>());
        Assert.Equal("upstream", resp.Headers.GetValues("x-switchyard-token-count").Single());
        var sent = Assert.Single(fake.Requests);
        Assert.Equal("/v1beta/models/upstream-model:countTokens", sent.Path);
        Assert.Equal("up-key", sent.Header("x-goog-api-key"));
        var inner = sent.Json["generateContentRequest"]!;
        Assert.Equal("models/upstream-model", inner["model"]!.GetValue<string>());
        Assert.NotNull(inner["contents"]);
        Assert.NotNull(inner["systemInstruction"]);
    }

    [Theory]
    [InlineData("""{"contents":[{"role":"user","parts":[{"text":"How many tokens is this?"}]}]}""")]
    [InlineData("""{"generateContentRequest":{"model":"models/m","contents":[{"role":"user","parts":[{"text":"How many tokens is this?"}]}],"systemInstruction":{"parts":[{"text":"Be brief."}]}}}""")]
    public async Task Gemini_clients_routed_to_Anthropic_get_Anthropics_count(string body)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json("""{"input_tokens":42}"""));
        await using var gw = await Gateway.StartAsync(Config("anthropic", fake.Url));
        using var resp = await gw.PostJsonAsync("/v1beta/models/m:countTokens", body);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal(42, JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["totalTokens"]!.GetValue<int>());
        Assert.Equal("/v1/messages/count_tokens", Assert.Single(fake.Requests).Path);
    }

    [Fact]
    public async Task Without_a_counting_endpoint_the_estimate_answers_and_no_completion_is_spent()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync(Config("openai", fake.Url));
        var body = await File.ReadAllTextAsync(Dispatch.ClaudeCodeCaptureTests.CapturePath("v2.1.197-first-turn.json"));
        using var resp = await gw.PostJsonAsync("/v1/messages/count_tokens", body.Replace("claude-opus-4-8", "m", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var tokens = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["input_tokens"]!.GetValue<int>();
        Assert.InRange(tokens, body.Length / 6, body.Length / 2);
        Assert.Equal("estimate", resp.Headers.GetValues("x-switchyard-token-count").Single());
        Assert.Empty(fake.Requests);
    }

    [Theory]
    [InlineData("gpt-4o", "o200k_base")]
    [InlineData("gpt-4.1-mini", "o200k_base")]
    [InlineData("gpt-4", "cl100k_base")]
    public async Task OpenAI_models_are_counted_with_their_own_tokenizer_and_framing(string model, string encoding)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: up, type: openai, base_url: "{{fake.Url}}/v1", keys: [up-key]}
            routes:
              - model: m
                targets: [{provider: up, model: {{model}}}]
            """);
        // "tiktoken is great!" is 6 tokens in both encodings (OpenAI cookbook); a chat message adds 3, its role 1, the reply priming 3.
        using var resp = await gw.PostJsonAsync("/v1/messages/count_tokens", """{"model":"m","messages":[{"role":"user","content":"tiktoken is great!"}]}""");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal(13, JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["input_tokens"]!.GetValue<int>());
        Assert.Equal("tokenizer " + encoding, resp.Headers.GetValues("x-switchyard-token-count").Single());
        using var gemini = await gw.PostJsonAsync("/v1beta/models/m:countTokens", """{"contents":[{"role":"user","parts":[{"text":"tiktoken is great!"}]}]}""");
        Assert.Equal(13, JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["totalTokens"]!.GetValue<int>());
        Assert.Empty(fake.Requests); // counted locally, no completion spent
    }

    [Theory]
    [InlineData("gpt-4o-2024-08-06", "o200k_base")]
    [InlineData("o3-mini", "o200k_base")]
    [InlineData("gpt-3.5-turbo", "cl100k_base")]
    [InlineData("ollama-llama3", null)]
    [InlineData("deepseek-chat", null)]
    [InlineData("omni-moderation", null)]
    public void Only_OpenAI_model_names_get_a_tokenizer(string model, string? encoding) =>
        Assert.Equal(encoding, Switchyard.Counting.OpenAITokenCounter.EncodingOf(model));

    [Fact]
    public async Task A_failing_counter_falls_back_to_the_estimate()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json("""{"type":"error","error":{"type":"api_error","message":"boom"}}""", 500));
        await using var gw = await Gateway.StartAsync(Config("anthropic", fake.Url));
        using var resp = await gw.PostJsonAsync("/v1/messages/count_tokens", AnthropicCount);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.True(JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["input_tokens"]!.GetValue<int>() > 10);
        Assert.Equal("estimate", resp.Headers.GetValues("x-switchyard-token-count").Single());
    }

    [Fact]
    public async Task Bad_count_requests_get_errors_in_the_callers_shape()
    {
        await using var gw = await Gateway.StartAsync(Config("openai", "http://127.0.0.1:9"));
        using var an = await gw.PostJsonAsync("/v1/messages/count_tokens", """{"model":"m"}""");
        Assert.Equal(HttpStatusCode.BadRequest, an.StatusCode);
        Assert.Equal("invalid_request_error", JsonNode.Parse(await an.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        using var ge = await gw.PostJsonAsync("/v1beta/models/nope:countTokens", """{"contents":[{"parts":[{"text":"x"}]}]}""");
        Assert.Equal(HttpStatusCode.NotFound, ge.StatusCode);
        Assert.Equal("NOT_FOUND", JsonNode.Parse(await ge.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }
}
