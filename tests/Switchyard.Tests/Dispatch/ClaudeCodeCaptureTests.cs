using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Dispatch;

/// <summary>Real Claude Code request bodies (tests/fixtures/claude-code) translate cleanly to an OpenAI upstream and pass through to Anthropic.</summary>
public sealed class ClaudeCodeCaptureTests
{
    public static TheoryData<string> Captures() => new() { "v2.1.197-first-turn.json", "v2.1.197-tool-result-turn.json", "v2.1.330-structure.json" };

    /// <summary>A Claude Code request recorded into the repository (tests/fixtures/claude-code, copied beside the tests).</summary>
    internal static string CapturePath(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "claude-code", name);

    [Theory]
    [MemberData(nameof(Captures))]
    public async Task Capture_translates_to_OpenAI(string capture)
    {
        var body = await File.ReadAllTextAsync(CapturePath(capture));
        var original = JsonNode.Parse(body)!;
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: oa, type: openai, base_url: "{{fake.Url}}/v1", keys: [k], max_output_tokens: 32768}
            routes:
              - model: claude-*
                targets: [{provider: oa, model: gpt-4.1}]
            """);
        using var resp = await gw.PostJsonAsync("/v1/messages?beta=true", body, ("anthropic-version", "2023-06-01"), ("anthropic-beta", "claude-code-20250219"));
        var view = await ClientView.ReadAsync(resp, "anthropic");
        Assert.Equal(HttpStatusCode.OK, view.Status);

        var sent = Assert.Single(fake.Requests).Json;
        var text = sent.ToJsonString();
        Assert.DoesNotContain("cache_control", text, StringComparison.Ordinal);
        Assert.DoesNotContain("context_management", text, StringComparison.Ordinal);
        Assert.DoesNotContain("anthropic-beta", string.Join(",", fake.Requests.Single().Headers.Keys), StringComparison.Ordinal);
        Assert.Equal(32768, sent["max_completion_tokens"]!.GetValue<int>());
        var tools = sent["tools"]!.AsArray();
        Assert.Equal(original["tools"]!.AsArray().Count(t => t!["type"] is null || t["type"]!.GetValue<string>() == "custom"), tools.Count);
        Assert.All(tools, t => Assert.Equal("function", t!["type"]!.GetValue<string>()));
        var messages = sent["messages"]!.AsArray();
        Assert.Equal("system", messages[0]!["role"]!.GetValue<string>());
        Assert.Contains(messages, m => m!["role"]!.GetValue<string>() == "user");
        // The mid-conversation role:system message stays a system message, in place.
        Assert.Equal(original["messages"]!.AsArray().Count(m => m!["role"]!.GetValue<string>() == "system"), messages.Count(m => m!["role"]!.GetValue<string>() == "system") - 1);
        if (capture.Contains("tool-result", StringComparison.Ordinal))
        {
            var call = messages.First(m => m!["tool_calls"] is not null)!["tool_calls"]![0]!;
            var result = messages.First(m => m!["role"]!.GetValue<string>() == "tool")!;
            Assert.Equal(call["id"]!.GetValue<string>(), result["tool_call_id"]!.GetValue<string>());
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public async Task Capture_passes_through_to_Anthropic_untouched(string capture)
    {
        var body = await File.ReadAllTextAsync(CapturePath(capture));
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("anthropic"));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: an, type: anthropic, base_url: "{{fake.Url}}", keys: [k]}
            routes:
              - model: claude-*
                targets: [{provider: an}]
            """);
        using var resp = await gw.PostJsonAsync("/v1/messages?beta=true", body, ("anthropic-version", "2023-06-01"), ("anthropic-beta", "claude-code-20250219,context-management-2025-06-27"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var sent = Assert.Single(fake.Requests);
        Assert.Equal(body, System.Text.Encoding.UTF8.GetString(sent.Body));
        Assert.Equal("claude-code-20250219,context-management-2025-06-27", sent.Header("anthropic-beta"));
    }
}
