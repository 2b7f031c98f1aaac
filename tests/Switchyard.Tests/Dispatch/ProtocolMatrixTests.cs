using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Dispatch;

/// <summary>{OpenAI Chat, Responses, Anthropic, Gemini client} × {OpenAI Chat, Responses, Anthropic, Gemini upstream} × {non-streaming, streaming} × {text, parallel tool calls, error} through real Kestrel.</summary>
public sealed class ProtocolMatrixTests
{
    private static readonly string[] Clients = ["openai", "responses", "anthropic", "gemini"];
    private static readonly string[] Upstreams = ["openai", "openai-responses", "anthropic", "gemini"];

    public static TheoryData<string, string, bool, string> Matrix()
    {
        var data = new TheoryData<string, string, bool, string>();
        foreach (var client in Clients)
        {
            foreach (var upstream in Upstreams)
            {
                foreach (var stream in new[] { false, true })
                {
                    foreach (var scenario in new[] { "text", "tools", "error" })
                    {
                        data.Add(client, upstream, stream, scenario);
                    }
                }
            }
        }
        return data;
    }

    private static Func<Microsoft.AspNetCore.Http.HttpContext, RecordedRequest, Task> UpstreamReply(string upstream, bool stream, string scenario) => (upstream, stream, scenario) switch
    {
        ("openai", _, "error") => FakeUpstream.Json(Wire.OpenAI.RateLimitError, 429, ("retry-after", "3")),
        ("openai-responses", _, "error") => FakeUpstream.Json(Wire.Responses.RateLimitError, 429, ("retry-after", "3")),
        ("openai-responses", false, "text") => FakeUpstream.Json(Wire.Responses.TextResponse),
        ("openai-responses", false, _) => FakeUpstream.Json(Wire.Responses.ToolResponse),
        ("openai-responses", true, "text") => FakeUpstream.Sse(Wire.Responses.TextStream),
        ("openai-responses", true, _) => FakeUpstream.Sse(Wire.Responses.ToolStream),
        ("anthropic", _, "error") => FakeUpstream.Json(Wire.Anthropic.RateLimitError, 429, ("retry-after", "3")),
        ("gemini", _, "error") => FakeUpstream.Json(Wire.Gemini.RateLimitError, 429),
        ("openai", false, "text") => FakeUpstream.Json(Wire.OpenAI.TextResponse),
        ("openai", false, _) => FakeUpstream.Json(Wire.OpenAI.ToolResponse),
        ("openai", true, "text") => FakeUpstream.OpenAISse(Wire.OpenAI.TextStream),
        ("openai", true, _) => FakeUpstream.OpenAISse(Wire.OpenAI.ToolStream),
        ("anthropic", false, "text") => FakeUpstream.Json(Wire.Anthropic.TextResponse),
        ("anthropic", false, _) => FakeUpstream.Json(Wire.Anthropic.ToolResponse),
        ("anthropic", true, "text") => FakeUpstream.Sse(Wire.Anthropic.TextStream),
        ("anthropic", true, _) => FakeUpstream.Sse(Wire.Anthropic.ToolStream),
        ("gemini", false, "text") => FakeUpstream.Json(Wire.Gemini.TextResponse),
        ("gemini", false, _) => FakeUpstream.Json(Wire.Gemini.ToolResponse),
        ("gemini", true, "text") => FakeUpstream.GeminiStream(Wire.Gemini.TextChunks),
        _ => FakeUpstream.GeminiStream(Wire.Gemini.ToolChunks),
    };

    internal static string ClientPath(string client, bool stream, string model = "matrix-model") => client switch
    {
        "openai" => "/v1/chat/completions",
        "responses" => "/v1/responses",
        "anthropic" => "/v1/messages?beta=true",
        _ => stream ? $"/v1beta/models/{model}:streamGenerateContent?alt=sse" : $"/v1beta/models/{model}:generateContent",
    };

    internal static string ClientRequest(string client, bool stream, bool tools)
    {
        var streamField = stream ? ",\"stream\":true" : "";
        switch (client)
        {
            case "openai":
                {
                    var toolsField = tools ? ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}]" : "";
                    return $"{{\"model\":\"matrix-model\",\"messages\":[{{\"role\":\"system\",\"content\":\"Be brief.\"}},{{\"role\":\"user\",\"content\":\"Weather in Paris and Tokyo?\"}}]{toolsField}{streamField}}}";
                }
            case "responses":
                {
                    var toolsField = tools ? ",\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}]" : "";
                    return $"{{\"model\":\"matrix-model\",\"instructions\":\"Be brief.\",\"input\":\"Weather in Paris and Tokyo?\",\"max_output_tokens\":1024{toolsField}{streamField}}}";
                }
            case "anthropic":
                {
                    var toolsField = tools ? ",\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}]" : "";
                    return $"{{\"model\":\"matrix-model\",\"max_tokens\":1024,\"system\":\"Be brief.\",\"messages\":[{{\"role\":\"user\",\"content\":\"Weather in Paris and Tokyo?\"}}]{toolsField}{streamField}}}";
                }
            default:
                {
                    var toolsField = tools ? ",\"tools\":[{\"functionDeclarations\":[{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{\"type\":\"OBJECT\",\"properties\":{\"city\":{\"type\":\"STRING\"}},\"required\":[\"city\"]}}]}]" : "";
                    return $"{{\"systemInstruction\":{{\"parts\":[{{\"text\":\"Be brief.\"}}]}},\"contents\":[{{\"role\":\"user\",\"parts\":[{{\"text\":\"Weather in Paris and Tokyo?\"}}]}}]{toolsField},\"generationConfig\":{{\"maxOutputTokens\":1024}}}}";
                }
        }
    }

    internal static string BaseUrl(string kind, string url) => kind is "openai" or "openai-responses" ? url + "/v1" : url;

    internal static string Config(string upstreamKind, string url) => $$"""
        providers:
          - name: up
            type: {{upstreamKind}}
            base_url: {{BaseUrl(upstreamKind, url)}}
            keys: [sk-upstream-secret-1]
        routes:
          - model: matrix-model
            targets:
              - provider: up
                model: upstream-model
        """;

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Client_reaches_upstream(string client, string upstream, bool stream, string scenario)
    {
        await using var fake = await FakeUpstream.StartAsync(UpstreamReply(upstream, stream, scenario));
        await using var gw = await Gateway.StartAsync(Config(upstream, fake.Url));
        using var resp = await gw.PostJsonAsync(ClientPath(client, stream), ClientRequest(client, stream, scenario != "text"), ("anthropic-version", "2023-06-01"));
        var view = await ClientView.ReadAsync(resp, client);

        // What the upstream received: its own protocol, its own path, our credentials, the target's model.
        var sent = Assert.Single(fake.Requests);
        switch (upstream)
        {
            case "openai":
                Assert.Equal("/v1/chat/completions", sent.Path);
                Assert.Equal("upstream-model", sent.Json["model"]!.GetValue<string>());
                Assert.Equal("Bearer sk-upstream-secret-1", sent.Header("authorization"));
                Assert.Equal(stream, sent.Json["stream"]?.GetValue<bool>() ?? false);
                if (stream && client != "openai")
                {
                    Assert.True(sent.Json["stream_options"]!["include_usage"]!.GetValue<bool>());
                }
                break;
            case "openai-responses":
                Assert.Equal("/v1/responses", sent.Path);
                Assert.Equal("upstream-model", sent.Json["model"]!.GetValue<string>());
                Assert.Equal("Bearer sk-upstream-secret-1", sent.Header("authorization"));
                Assert.Equal("Be brief.", sent.Json["instructions"]!.GetValue<string>());
                Assert.Equal(stream, sent.Json["stream"]?.GetValue<bool>() ?? false);
                if (client != "responses")
                {
                    Assert.False(sent.Json["store"]!.GetValue<bool>()); // the gateway keeps no state upstream
                }
                break;
            case "anthropic":
                Assert.Equal("/v1/messages", sent.Path);
                Assert.Equal("upstream-model", sent.Json["model"]!.GetValue<string>());
                Assert.Equal("sk-upstream-secret-1", sent.Header("x-api-key"));
                Assert.Equal("2023-06-01", sent.Header("anthropic-version"));
                Assert.Equal("Be brief.", sent.Json["system"]!.GetValue<string>());
                Assert.True(sent.Json["max_tokens"]!.GetValue<int>() > 0);
                Assert.Equal(stream, sent.Json["stream"]?.GetValue<bool>() ?? false);
                break;
            default:
                Assert.Equal(stream ? "/v1beta/models/upstream-model:streamGenerateContent" : "/v1beta/models/upstream-model:generateContent", sent.Path);
                Assert.Equal(stream ? "?alt=sse" : "", sent.Query);
                Assert.Equal("sk-upstream-secret-1", sent.Header("x-goog-api-key"));
                Assert.Equal("", sent.Header("authorization"));
                Assert.Equal("Be brief.", sent.Json["systemInstruction"]!["parts"]![0]!["text"]!.GetValue<string>());
                Assert.Null(sent.Json["model"]);
                break;
        }

        if (scenario == "error")
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, view.Status);
            Assert.Equal("3", view.RetryAfter);
            switch (client)
            {
                case "openai" or "responses":
                    Assert.Equal("rate_limit_exceeded", view.ErrorBody!["error"]!["code"]!.GetValue<string>());
                    Assert.False(string.IsNullOrEmpty(view.ErrorBody["error"]!["message"]!.GetValue<string>()));
                    break;
                case "anthropic":
                    Assert.Equal("error", view.ErrorBody!["type"]!.GetValue<string>());
                    Assert.Equal("rate_limit_error", view.ErrorBody["error"]!["type"]!.GetValue<string>());
                    break;
                default:
                    var error = view.ErrorBody!["error"]!;
                    Assert.Equal(429, error["code"]!.GetValue<int>());
                    Assert.Equal("RESOURCE_EXHAUSTED", error["status"]!.GetValue<string>());
                    Assert.Equal("3s", error["details"]![0]!["retryDelay"]!.GetValue<string>());
                    break;
            }
            return;
        }

        Assert.Equal(HttpStatusCode.OK, view.Status);
        Assert.Equal("up", resp.Headers.GetValues("x-switchyard-provider").Single());
        Assert.Equal("1", resp.Headers.GetValues("x-switchyard-attempts").Single());
        Assert.Null(view.ErrorBody);
        if (scenario == "text")
        {
            Assert.Equal(Wire.Text, view.Text);
            Assert.Equal(client switch { "openai" => "stop", "responses" => "completed", "anthropic" => "end_turn", _ => "STOP" }, view.Finish);
            Assert.Empty(view.ToolCalls);
        }
        else
        {
            Assert.Equal(2, view.ToolCalls.Count);
            Assert.All(view.ToolCalls, c => Assert.Equal("get_weather", c.Name));
            Assert.Equal("Paris", JsonNode.Parse(view.ToolCalls[0].Arguments)!["city"]!.GetValue<string>());
            Assert.Equal("Tokyo", JsonNode.Parse(view.ToolCalls[1].Arguments)!["city"]!.GetValue<string>());
            if (client != "gemini" || upstream != "gemini")
            {
                Assert.NotEqual(view.ToolCalls[0].Id, view.ToolCalls[1].Id);
            }
            Assert.Equal(client switch { "openai" => "tool_calls", "responses" => "completed", "anthropic" => "tool_use", _ => "STOP" }, view.Finish);
            var tools = upstream == "gemini" ? sent.Json["tools"]![0]!["functionDeclarations"]!.AsArray() : sent.Json["tools"]!.AsArray();
            Assert.Single(tools);
        }
        if (stream)
        {
            Assert.Equal("text/event-stream", resp.Content.Headers.ContentType!.MediaType);
            switch (client)
            {
                case "openai":
                    Assert.Equal("data: [DONE]", view.RawEvents[^1]);
                    Assert.DoesNotContain(view.RawEvents, e => e.Contains("\"choices\":[]", StringComparison.Ordinal)); // not asked for usage (P5)
                    break;
                case "anthropic":
                    Assert.StartsWith("event: message_start", view.RawEvents[0], StringComparison.Ordinal);
                    Assert.StartsWith("event: message_stop", view.RawEvents[^1], StringComparison.Ordinal);
                    break;
                case "responses":
                    Assert.StartsWith("event: response.created", view.RawEvents[0], StringComparison.Ordinal);
                    Assert.StartsWith("event: response.completed", view.RawEvents[^1], StringComparison.Ordinal);
                    break;
            }
        }
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("openai-responses")]
    public async Task Gemini_clients_get_the_JSON_array_stream_without_alt_sse(string upstream)
    {
        await using var fake = await FakeUpstream.StartAsync(UpstreamReply(upstream, true, "text"));
        await using var gw = await Gateway.StartAsync(Config(upstream, fake.Url));
        using var resp = await gw.PostJsonAsync("/v1beta/models/matrix-model:streamGenerateContent", ClientRequest("gemini", true, false));
        Assert.Equal("application/json", resp.Content.Headers.ContentType!.MediaType);
        var view = await ClientView.ReadAsync(resp, "gemini");
        Assert.Equal(Wire.Text, view.Text);
        Assert.Equal("STOP", view.Finish);
        if (upstream == "gemini")
        {
            Assert.Equal("", fake.Requests.Single().Query); // byte path: the upstream streams the array itself
        }
    }
}
