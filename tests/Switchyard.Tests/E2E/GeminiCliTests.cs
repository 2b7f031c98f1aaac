using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.E2E;

/// <summary>
/// The real Gemini CLI (npm @google/gemini-cli) runs one prompt non-interactively (<c>-p</c>, <c>-o json</c>,
/// <c>--yolo</c>) through the gateway (<c>GOOGLE_GEMINI_BASE_URL</c>, API-key auth pinned in its settings) and
/// completes a shell-tool round trip (its <c>run_shell_command</c> tool) against fake Gemini, OpenAI Chat, Anthropic
/// and Responses upstreams: a regression suite for the Gemini protocol, on the byte path and translated.
/// </summary>
public sealed class GeminiCliTests(ITestOutputHelper output)
{
    private const string Marker = "switchyard-gemini-7c2d";

    [Theory]
    [InlineData("gemini")]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("openai-responses")]
    public async Task Gemini_cli_runs_a_shell_tool_round_trip(string kind)
    {
        await using var fake = await FakeUpstream.StartAsync(AgentUpstream.For(kind, "run_shell_command", new { command = $"echo {Marker}" }));
        await using var gw = await Gateway.StartAsync($$"""
            auth:
              keys: [sk-sy-gemini]
            providers:
              - name: up
                type: {{kind}}
                base_url: {{Dispatch.ProtocolMatrixTests.BaseUrl(kind, fake.Url)}}
                keys: [sk-upstream-gemini]
            routes:
              - model: gemini-2.5-pro
                targets:
                  - provider: up
                    model: upstream-model
            """);
        var answer = await RunGeminiAsync(gw, "gemini-2.5-pro", $"Run the shell command: echo {Marker}");

        Assert.Equal(AgentUpstream.Prefix + Marker, answer["response"]!.GetValue<string>().Trim());
        var tools = answer["stats"]!["tools"]!;
        Assert.Equal(1, tools["totalCalls"]!.GetValue<int>());
        Assert.Equal(1, tools["totalSuccess"]!.GetValue<int>());
        Assert.NotNull(tools["byName"]!["run_shell_command"]);
        // The command really ran: its output came back to the upstream as the tool's result.
        var requests = fake.Requests.ToList();
        Assert.Contains(Marker, AgentUpstream.ToolOutput(kind, requests[^1].Json), StringComparison.Ordinal);
        Assert.All(requests, r => Assert.Equal("upstream-model", kind == "gemini" ? r.Path.Split('/')[^1].Split(':')[0] : r.Json["model"]!.GetValue<string>()));
        if (kind == "gemini")
        {
            // Same protocol on both sides: the CLI's own body went through with the upstream's key, not the gateway's.
            var first = requests[0];
            Assert.EndsWith("/models/upstream-model:streamGenerateContent", first.Path, StringComparison.Ordinal);
            Assert.Equal("sk-upstream-gemini", first.Header("x-goog-api-key"));
            Assert.NotNull(first.Json["generationConfig"]!["thinkingConfig"]);
        }
    }

    private async Task<JsonNode> RunGeminiAsync(Gateway gw, string model, string prompt)
    {
        var gemini = ToolLocator.Find("gemini");
        var home = Directory.CreateTempSubdirectory("sy-gemini-home");
        var work = Directory.CreateTempSubdirectory("sy-gemini-work");
        try
        {
            Directory.CreateDirectory(Path.Combine(home.FullName, ".gemini"));
            await File.WriteAllTextAsync(Path.Combine(home.FullName, ".gemini", "settings.json"), """{"security":{"auth":{"selectedType":"gemini-api-key"}}}""");
            var run = await ChildProcess.RunAsync(gemini, ["-m", model, "-p", prompt, "-o", "json", "--yolo"], output, new Dictionary<string, string>
            {
                ["HOME"] = home.FullName,
                ["GOOGLE_GEMINI_BASE_URL"] = gw.Url,
                ["GEMINI_API_KEY"] = "sk-sy-gemini",
                ["GEMINI_CLI_TRUST_WORKSPACE"] = "true",
                ["GEMINI_CLI_NO_RELAUNCH"] = "true",
            }, work.FullName, removeEnv: ["GOOGLE_API_KEY", "GOOGLE_CLOUD_PROJECT", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_APPLICATION_CREDENTIALS"]);
            Assert.Equal(0, run.ExitCode);
            var start = run.Stdout.IndexOf('{', StringComparison.Ordinal);
            return JsonNode.Parse(run.Stdout[start..])!;
        }
        finally
        {
            home.Delete(recursive: true);
            work.Delete(recursive: true);
        }
    }
}
