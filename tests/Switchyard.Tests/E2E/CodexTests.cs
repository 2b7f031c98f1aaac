using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.E2E;

/// <summary>
/// The real Codex CLI (npm @openai/codex, which speaks only the Responses API) runs <c>codex exec</c> through the
/// gateway with a custom provider (<c>wire_api = "responses"</c>) and completes a shell-tool round trip
/// (its <c>exec_command</c> tool) against fake OpenAI Chat, Anthropic and Gemini upstreams.
/// </summary>
public sealed class CodexTests(ITestOutputHelper output)
{
    private const string Marker = "switchyard-codex-5b1e";

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("openai-responses")]
    public async Task Codex_runs_a_shell_tool_round_trip(string kind)
    {
        await using var fake = await FakeUpstream.StartAsync(AgentUpstream.For(kind, "exec_command", new { cmd = $"echo {Marker}" }));
        await using var gw = await Gateway.StartAsync($$"""
            auth:
              keys: [sk-sy-codex]
            providers:
              - name: up
                type: {{kind}}
                base_url: {{Dispatch.ProtocolMatrixTests.BaseUrl(kind, fake.Url)}}
                keys: [sk-upstream-codex]
            routes:
              - model: gpt-5-codex
                targets:
                  - provider: up
                    model: upstream-model
            """);
        var events = await RunCodexAsync(gw, "gpt-5-codex", $"Run the shell command: echo {Marker}");

        var message = events.Last(e => e["type"]?.GetValue<string>() == "item.completed" && e["item"]!["type"]!.GetValue<string>() == "agent_message");
        Assert.Equal(AgentUpstream.Prefix + Marker, message["item"]!["text"]!.GetValue<string>());
        Assert.Contains(events, e => e["type"]?.GetValue<string>() == "turn.completed");
        // The command really ran: its output came back to the upstream as the tool's result.
        var followUp = fake.Requests.Select(r => r.Json).Last();
        Assert.Contains(Marker, AgentUpstream.ToolOutput(kind, followUp), StringComparison.Ordinal);
        Assert.True(fake.Requests.Count >= 2);
        if (kind == "openai-responses")
        {
            // Same protocol on both sides: Codex's own body went through (the byte path), model name aside.
            var first = fake.Requests.First().Json;
            Assert.Equal("upstream-model", first["model"]!.GetValue<string>());
            Assert.NotNull(first["prompt_cache_key"]);
            Assert.Contains(first["tools"]!.AsArray(), t => t!["type"]!.GetValue<string>() == "namespace");
        }
    }

    private async Task<List<JsonNode>> RunCodexAsync(Gateway gw, string model, string prompt)
    {
        var codex = ToolLocator.Find("codex");
        var home = Directory.CreateTempSubdirectory("sy-codex-home");
        var work = Directory.CreateTempSubdirectory("sy-codex-work");
        try
        {
            var run = await ChildProcess.RunAsync(codex,
            [
                "exec", "--skip-git-repo-check", "--ephemeral", "--json", "--dangerously-bypass-approvals-and-sandbox",
                "-c", "model_provider=sw",
                "-c", $"model_providers.sw={{name=\"sw\",base_url=\"{gw.Url}/v1\",env_key=\"SW_KEY\",wire_api=\"responses\",supports_websockets=false}}",
                "-m", model, prompt,
            ], output, new Dictionary<string, string> { ["CODEX_HOME"] = home.FullName, ["HOME"] = home.FullName, ["SW_KEY"] = "sk-sy-codex" },
            work.FullName, removeEnv: ["OPENAI_API_KEY", "OPENAI_BASE_URL"]);
            Assert.Equal(0, run.ExitCode);
            var outText = run.Stdout;
            return [.. outText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!)];
        }
        finally
        {
            home.Delete(recursive: true);
            work.Delete(recursive: true);
        }
    }
}
