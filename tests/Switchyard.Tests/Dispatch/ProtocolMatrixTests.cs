using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Dispatch;

/// <summary>{OpenAI, Anthropic client} × {OpenAI, Anthropic upstream} × {non-streaming, streaming} × {text, tool call, error} through real Kestrel.</summary>
public sealed class ProtocolMatrixTests
{
    public static TheoryData<string, string, bool, string> Matrix()
    {
        var data = new TheoryData<string, string, bool, string>();
        foreach (var client in new[] { "openai", "anthropic" })
        {
            foreach (var upstream in new[] { "openai", "anthropic" })
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
        ("anthropic", _, "error") => FakeUpstream.Json(Wire.Anthropic.RateLimitError, 429, ("retry-after", "3")),
        ("openai", false, "text") => FakeUpstream.Json(Wire.OpenAI.TextResponse),
        ("openai", false, _) => FakeUpstream.Json(Wire.OpenAI.ToolResponse),
        ("openai", true, "text") => FakeUpstream.OpenAISse(Wire.OpenAI.TextStream),
        ("openai", true, _) => FakeUpstream.OpenAISse(Wire.OpenAI.ToolStream),
        ("anthropic", false, "text") => FakeUpstream.Json(Wire.Anthropic.TextResponse),
        ("anthropic", false, _) => FakeUpstream.Json(Wire.Anthropic.ToolResponse),
        ("anthropic", true, "text") => FakeUpstream.Sse(Wire.Anthropic.TextStream),
        _ => FakeUpstream.Sse(Wire.Anthropic.ToolStream),
    };

    internal static string ClientRequest(string client, bool stream, bool tools)
    {
        var streamField = stream ? ",\"stream\":true" : "";
        if (client == "openai")
        {
            var toolsField = tools ? ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}]" : "";
            return $"{{\"model\":\"matrix-model\",\"messages\":[{{\"role\":\"system\",\"content\":\"Be brief.\"}},{{\"role\":\"user\",\"content\":\"Weather in Paris and Tokyo?\"}}]{toolsField}{streamField}}}";
        }
        var anTools = tools ? ",\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}]" : "";
        return $"{{\"model\":\"matrix-model\",\"max_tokens\":1024,\"system\":\"Be brief.\",\"messages\":[{{\"role\":\"user\",\"content\":\"Weather in Paris and Tokyo?\"}}]{anTools}{streamField}}}";
    }

    internal static string Config(string upstreamKind, string url) => $$"""
        providers:
          - name: up
            type: {{upstreamKind}}
            base_url: {{(upstreamKind == "openai" ? url + "/v1" : url)}}
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
        var path = client == "openai" ? "/v1/chat/completions" : "/v1/messages?beta=true";
        using var resp = await gw.PostJsonAsync(path, ClientRequest(client, stream, scenario != "text"), ("anthropic-version", "2023-06-01"));
        var view = await ClientView.ReadAsync(resp, client);

        // What the upstream received: its own protocol, its own path, our credentials, the target's model.
        var sent = Assert.Single(fake.Requests);
        Assert.Equal(upstream == "openai" ? "/v1/chat/completions" : "/v1/messages", sent.Path);
        Assert.Equal("upstream-model", sent.Json["model"]!.GetValue<string>());
        if (upstream == "openai")
        {
            Assert.Equal("Bearer sk-upstream-secret-1", sent.Header("authorization"));
            Assert.NotNull(sent.Json["messages"]);
        }
        else
        {
            Assert.Equal("sk-upstream-secret-1", sent.Header("x-api-key"));
            Assert.Equal("2023-06-01", sent.Header("anthropic-version"));
            Assert.Equal("Be brief.", sent.Json["system"]!.GetValue<string>());
            Assert.True(sent.Json["max_tokens"]!.GetValue<int>() > 0);
        }
        Assert.Equal(stream, sent.Json["stream"]?.GetValue<bool>() ?? false);
        if (stream && upstream == "openai" && client != "openai")
        {
            Assert.True(sent.Json["stream_options"]!["include_usage"]!.GetValue<bool>());
        }

        if (scenario == "error")
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, view.Status);
            Assert.Equal("3", view.RetryAfter);
            if (client == "openai")
            {
                Assert.Equal("rate_limit_exceeded", view.ErrorBody!["error"]!["code"]!.GetValue<string>());
                Assert.False(string.IsNullOrEmpty(view.ErrorBody["error"]!["message"]!.GetValue<string>()));
            }
            else
            {
                Assert.Equal("error", view.ErrorBody!["type"]!.GetValue<string>());
                Assert.Equal("rate_limit_error", view.ErrorBody["error"]!["type"]!.GetValue<string>());
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
            Assert.Equal(client == "openai" ? "stop" : "end_turn", view.Finish);
            Assert.Empty(view.ToolCalls);
        }
        else
        {
            Assert.Equal(2, view.ToolCalls.Count);
            Assert.All(view.ToolCalls, c => Assert.Equal("get_weather", c.Name));
            Assert.Equal("Paris", JsonNode.Parse(view.ToolCalls[0].Arguments)!["city"]!.GetValue<string>());
            Assert.Equal("Tokyo", JsonNode.Parse(view.ToolCalls[1].Arguments)!["city"]!.GetValue<string>());
            Assert.NotEqual(view.ToolCalls[0].Id, view.ToolCalls[1].Id);
            Assert.Equal(client == "openai" ? "tool_calls" : "tool_use", view.Finish);
            var tools = sent.Json["tools"]!.AsArray();
            Assert.Single(tools);
        }
        if (stream)
        {
            Assert.Equal("text/event-stream", resp.Content.Headers.ContentType!.MediaType);
            if (client == "openai")
            {
                Assert.Equal("data: [DONE]", view.RawEvents[^1]);
                Assert.DoesNotContain(view.RawEvents, e => e.Contains("\"choices\":[]", StringComparison.Ordinal)); // not asked for usage (P5)
            }
            else
            {
                Assert.StartsWith("event: message_start", view.RawEvents[0], StringComparison.Ordinal);
                Assert.StartsWith("event: message_stop", view.RawEvents[^1], StringComparison.Ordinal);
            }
        }
    }
}
