using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.E2E;

/// <summary>
/// The real Claude Code CLI (npm @anthropic-ai/claude-code, installed by the test script) completes a two-turn
/// Bash tool round trip through the gateway, with claude-* routed to an OpenAI-protocol upstream.
/// </summary>
public sealed class ClaudeCodeTests(ITestOutputHelper output)
{
    private const string Marker = "switchyard-e2e-7f3a";

    [Fact]
    public async Task Claude_Code_runs_a_Bash_tool_round_trip_through_an_OpenAI_upstream()
    {
        await using var fake = await FakeUpstream.StartAsync(OpenAIAgent);
        await using var gw = await Gateway.StartAsync($$"""
            auth:
              keys: [sk-sy-claude]
            providers:
              - name: openai-up
                type: openai
                base_url: {{fake.Url}}/v1
                keys: [sk-openai-upstream]
                max_output_tokens: 16384
            routes:
              - model: claude-*
                targets:
                  - provider: openai-up
                    model: gpt-4.1
            """);
        await RunClaudeAsync(gw);

        // The upstream saw the real tool output come back as an OpenAI tool message answering its call.
        var requests = fake.Requests.Select(r => r.Json).ToList();
        var followUp = requests.Single(r => r["messages"]!.AsArray().Any(m => m!["role"]!.GetValue<string>() == "tool"));
        var toolMessage = followUp["messages"]!.AsArray().Last(m => m!["role"]!.GetValue<string>() == "tool")!;
        Assert.Equal("call_bash_1", toolMessage["tool_call_id"]!.GetValue<string>());
        Assert.Contains(Marker, toolMessage["content"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(requests, r => Assert.Equal("gpt-4.1", r["model"]!.GetValue<string>()));
        Assert.All(requests, r => Assert.DoesNotContain("cache_control", r.ToJsonString(), StringComparison.Ordinal));
        Assert.All(fake.Requests, r => Assert.Equal("Bearer sk-openai-upstream", r.Header("authorization")));
    }

    [Fact]
    public async Task Claude_Code_runs_a_Bash_tool_round_trip_through_a_Gemini_upstream()
    {
        await using var fake = await FakeUpstream.StartAsync(GeminiAgent);
        await using var gw = await Gateway.StartAsync($$"""
            auth:
              keys: [sk-sy-claude]
            providers:
              - name: gemini-up
                type: gemini
                base_url: {{fake.Url}}
                keys: [gemini-upstream-key]
                max_output_tokens: 65536
            routes:
              - model: claude-*
                targets:
                  - provider: gemini-up
                    model: gemini-2.5-pro
            """);
        await RunClaudeAsync(gw);

        var requests = fake.Requests.ToList();
        Assert.All(requests, r => Assert.StartsWith("/v1beta/models/gemini-2.5-pro:", r.Path, StringComparison.Ordinal));
        Assert.All(requests, r => Assert.Equal("gemini-upstream-key", r.Header("x-goog-api-key")));
        // Every request passed the schema rules Gemini enforces (the fake refuses otherwise, and Claude Code would have failed).
        Assert.All(requests, r => Assert.Null(GeminiSchemaRules.CheckRequest(r.Json)));
        Assert.Contains(requests, r => r.Json["tools"]?[0]?["functionDeclarations"]?.AsArray().Count >= 10);
        var followUp = requests.Select(r => r.Json).Single(j => j["contents"]!.AsArray().Any(c => c!["parts"]!.AsArray().Any(p => p!["functionResponse"] is not null)));
        var response = followUp["contents"]!.AsArray()[^1]!["parts"]!.AsArray().First(p => p!["functionResponse"] is not null)!["functionResponse"]!;
        Assert.Equal("Bash", response["name"]!.GetValue<string>());
        Assert.Contains(Marker, response["response"]!.ToJsonString(), StringComparison.Ordinal);
        var call = followUp["contents"]!.AsArray()[^2]!["parts"]!.AsArray().First(p => p!["functionCall"] is not null)!;
        Assert.Equal("Bash", call["functionCall"]!["name"]!.GetValue<string>());
    }

    private async Task RunClaudeAsync(Gateway gw)
    {
        var claude = ToolLocator.Find("claude");

        var home = Directory.CreateTempSubdirectory("sy-claude-home");
        var work = Directory.CreateTempSubdirectory("sy-claude-work");
        try
        {
            var run = await ChildProcess.RunAsync(claude, ["-p", $"Run the shell command: echo {Marker}", "--output-format", "json", "--allowedTools", "Bash"], output,
                new Dictionary<string, string>
                {
                    ["HOME"] = home.FullName,
                    ["ANTHROPIC_BASE_URL"] = gw.Url,
                    ["ANTHROPIC_API_KEY"] = "sk-sy-claude",
                    ["DISABLE_TELEMETRY"] = "1",
                    ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                    ["DISABLE_AUTOUPDATER"] = "1",
                }, work.FullName, removeEnv: ["ANTHROPIC_AUTH_TOKEN"]);
            Assert.Equal(0, run.ExitCode);
            var outText = run.Stdout;

            var result = JsonNode.Parse(outText)!;
            Assert.False(result["is_error"]?.GetValue<bool>() ?? false, outText);
            Assert.Contains($"The command printed: {Marker}", result["result"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            home.Delete(recursive: true);
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A Gemini-protocol model that enforces Gemini's schema rules like Google does (400 INVALID_ARGUMENT otherwise),
    /// asks for Bash when it may, then reports what the command printed.
    /// </summary>
    private static Task GeminiAgent(HttpContext ctx, RecordedRequest req)
    {
        var json = req.Json;
        if (GeminiSchemaRules.CheckRequest(json) is { } violation)
        {
            return FakeUpstream.Json(JsonSerializer.Serialize(new { error = new { code = 400, message = violation, status = "INVALID_ARGUMENT" } }), 400)(ctx, req);
        }
        var last = json["contents"]!.AsArray()[^1]!;
        var response = last["parts"]!.AsArray().FirstOrDefault(p => p!["functionResponse"] is not null)?["functionResponse"];
        var hasBash = json["tools"]?[0]?["functionDeclarations"]?.AsArray().Any(d => d!["name"]!.GetValue<string>() == "Bash") == true;
        string part;
        if (response is not null)
        {
            var printed = response["response"]!["output"]?.GetValue<string>() ?? response["response"]!.ToJsonString();
            part = JsonSerializer.Serialize(new { text = "The command printed: " + printed.Trim() });
        }
        else if (hasBash)
        {
            part = $$$"""{"functionCall":{"name":"Bash","args":{"command":"echo {{{Marker}}}","description":"Print the marker"}},"thoughtSignature":"Q2lRQjBlMktiN3NpZw=="}""";
        }
        else
        {
            part = """{"text":"OK"}""";
        }
        var chunk = $$$"""{"candidates":[{"content":{"parts":[{{{part}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":900,"candidatesTokenCount":20,"totalTokenCount":920},"modelVersion":"gemini-2.5-pro","responseId":"resp-e2e"}""";
        return req.Path.EndsWith(":streamGenerateContent", StringComparison.Ordinal)
            ? FakeUpstream.GeminiStream([chunk])(ctx, req)
            : FakeUpstream.Json(chunk)(ctx, req);
    }

    /// <summary>An OpenAI-protocol model: asks for Bash when it may, then reports what the command printed.</summary>
    private static Task OpenAIAgent(HttpContext ctx, RecordedRequest req)
    {
        var json = req.Json;
        var messages = json["messages"]!.AsArray();
        var last = messages[^1]!;
        var hasBash = json["tools"]?.AsArray().Any(t => t!["function"]!["name"]!.GetValue<string>() == "Bash") == true;
        var stream = json["stream"]?.GetValue<bool>() == true;
        List<string> deltas;
        string finish;
        if (last["role"]!.GetValue<string>() == "tool")
        {
            var printed = last["content"]!.GetValue<string>().Trim();
            deltas = [Delta(new JsonObject { ["content"] = "The command printed: " }), Delta(new JsonObject { ["content"] = printed })];
            finish = "stop";
        }
        else if (hasBash)
        {
            var args = JsonSerializer.Serialize(new { command = $"echo {Marker}", description = "Print the marker" });
            deltas =
            [
                Delta(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["id"] = "call_bash_1", ["type"] = "function", ["function"] = new JsonObject { ["name"] = "Bash", ["arguments"] = "" } }) }),
                Delta(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = args[..10] } }) }),
                Delta(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = args[10..] } }) }),
            ];
            finish = "tool_calls";
        }
        else
        {
            deltas = [Delta(new JsonObject { ["content"] = "OK" })];
            finish = "stop";
        }
        if (!stream)
        {
            return FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req);
        }
        var sb = new StringBuilder();
        sb.Append(Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
        foreach (var d in deltas)
        {
            sb.Append(d);
        }
        sb.Append(Chunk(new JsonObject(), finish));
        sb.Append("data: {\"id\":\"chatcmpl-e2e\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4.1\",\"choices\":[],\"usage\":{\"prompt_tokens\":900,\"completion_tokens\":20,\"total_tokens\":920}}\n\n");
        sb.Append("data: [DONE]\n\n");
        return FakeUpstream.Sse(sb.ToString())(ctx, req);

        static string Delta(JsonObject delta) => Chunk(delta, null);
    }

    private static string Chunk(JsonObject delta, string? finish)
    {
        var chunk = new JsonObject
        {
            ["id"] = "chatcmpl-e2e",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1,
            ["model"] = "gpt-4.1",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        };
        return $"data: {chunk.ToJsonString()}\n\n";
    }
}
