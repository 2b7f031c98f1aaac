using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.E2E;

/// <summary>
/// <c>switchyard claude|codex|gemini</c>: the real switchyard executable starts the real agent CLI pointed at a
/// gateway (<c>--url</c>, <c>--key</c>), which completes a shell-tool round trip through it; the agent's own
/// credentials in the environment never reach the gateway; a missing agent gets the install command.
/// </summary>
public sealed class LauncherTests(ITestOutputHelper output)
{
    private const string Marker = "switchyard-launch-41af";

    private static Task<Gateway> GatewayAsync(FakeUpstream fake, string kind, string model) => Gateway.StartAsync($$"""
        auth:
          keys: [sk-sy-launch]
        providers:
          - name: up
            type: {{kind}}
            base_url: {{Dispatch.ProtocolMatrixTests.BaseUrl(kind, fake.Url)}}
            keys: [sk-upstream-launch]
        routes:
          - model: "{{model}}"
            targets: [{provider: up, model: upstream-model}]
        """);

    private async Task<ChildProcess.Result> LaunchAsync(string home, string work, string[] args, Dictionary<string, string>? env = null, bool withClients = true)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        if (!withClients)
        {
            // Not even an agent installed elsewhere on this machine (npm -g) may be found.
            path = string.Join(Path.PathSeparator, path.Split(Path.PathSeparator).Where(dir => !File.Exists(Path.Combine(dir, args[0]))));
        }
        var environment = new Dictionary<string, string>(env ?? [])
        {
            ["HOME"] = home,
            ["PATH"] = withClients ? Path.Combine(ToolLocator.ClientsDirectory(), "node_modules", ".bin") + Path.PathSeparator + path : path,
        };
        return await ChildProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "switchyard.dll"), .. args], output, environment, work,
            removeEnv: ["SWITCHYARD_URL", "SWITCHYARD_KEY"]);
    }

    [Fact]
    public async Task Claude_runs_through_the_gateway()
    {
        await using var fake = await FakeUpstream.StartAsync(AgentUpstream.For("anthropic", "Bash", new { command = $"echo {Marker}" }));
        await using var gw = await GatewayAsync(fake, "anthropic", "claude-*");
        using var home = new TempDir();
        using var work = new TempDir();
        var run = await LaunchAsync(home.Path, work.Path,
            ["claude", "--url", gw.Url, "--key", "sk-sy-launch", "-p", $"Run the shell command: echo {Marker}", "--output-format", "json", "--allowedTools", "Bash"],
            new() { ["ANTHROPIC_API_KEY"] = "sk-ant-users-own-key", ["DISABLE_TELEMETRY"] = "1", ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1", ["DISABLE_AUTOUPDATER"] = "1" });
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(AgentUpstream.Prefix + Marker, JsonNode.Parse(run.Stdout)!["result"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(Marker, AgentUpstream.ToolOutput("anthropic", fake.Requests.Last().Json), StringComparison.Ordinal);
        Assert.All(fake.Requests, r => Assert.Equal("sk-upstream-launch", r.Header("x-api-key")));
    }

    [Fact]
    public async Task Codex_runs_through_the_gateway_as_a_responses_provider()
    {
        await using var fake = await FakeUpstream.StartAsync(AgentUpstream.For("openai", "exec_command", new { cmd = $"echo {Marker}" }));
        await using var gw = await GatewayAsync(fake, "openai", "gpt-5-codex");
        using var home = new TempDir();
        using var work = new TempDir();
        var run = await LaunchAsync(home.Path, work.Path,
            ["codex", "--url", gw.Url, "--key", "sk-sy-launch", "exec", "--skip-git-repo-check", "--ephemeral", "--json", "--dangerously-bypass-approvals-and-sandbox",
             "-m", "gpt-5-codex", $"Run the shell command: echo {Marker}"],
            new() { ["CODEX_HOME"] = home.Path, ["OPENAI_API_KEY"] = "sk-users-own-openai-key" });
        Assert.Equal(0, run.ExitCode);
        var events = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!).ToList();
        var message = events.Last(e => e["type"]?.GetValue<string>() == "item.completed" && e["item"]!["type"]!.GetValue<string>() == "agent_message");
        Assert.Equal(AgentUpstream.Prefix + Marker, message["item"]!["text"]!.GetValue<string>());
        Assert.Contains(Marker, AgentUpstream.ToolOutput("openai", fake.Requests.Last().Json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gemini_cli_runs_through_the_gateway_with_api_key_auth_pinned_beside_the_users_settings()
    {
        await using var fake = await FakeUpstream.StartAsync(AgentUpstream.For("gemini", "run_shell_command", new { command = $"echo {Marker}" }));
        await using var gw = await GatewayAsync(fake, "gemini", "gemini-*");
        using var home = new TempDir();
        using var work = new TempDir();
        var own = Path.Combine(home.Path, ".gemini", "settings.json");
        Directory.CreateDirectory(Path.GetDirectoryName(own)!);
        const string users = """{"security":{"auth":{"selectedType":"oauth-personal"}},"ui":{"hideBanner":true}}""";
        await File.WriteAllTextAsync(own, users);
        var run = await LaunchAsync(home.Path, work.Path,
            ["gemini", "--url", gw.Url, "--key", "sk-sy-launch", "-m", "gemini-2.5-pro", "-p", $"Run the shell command: echo {Marker}", "-o", "json", "--yolo"],
            new() { ["GEMINI_CLI_TRUST_WORKSPACE"] = "true", ["GEMINI_CLI_NO_RELAUNCH"] = "true", ["GOOGLE_API_KEY"] = "AIza-users-own-key" });
        Assert.Equal(0, run.ExitCode);
        var answer = JsonNode.Parse(run.Stdout[run.Stdout.IndexOf('{', StringComparison.Ordinal)..])!;
        Assert.Equal(AgentUpstream.Prefix + Marker, answer["response"]!.GetValue<string>().Trim());
        Assert.All(fake.Requests, r => Assert.Equal("sk-upstream-launch", r.Header("x-goog-api-key")));

        Assert.Equal(users, await File.ReadAllTextAsync(own)); // the user's own setup is left as it was
        var pinned = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(home.Path, ".switchyard", "gemini-cli", ".gemini", "settings.json")))!;
        Assert.Equal("gemini-api-key", pinned["security"]!["auth"]!["selectedType"]!.GetValue<string>());
        Assert.True(pinned["ui"]!["hideBanner"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("claude", "@anthropic-ai/claude-code")]
    [InlineData("codex", "@openai/codex")]
    [InlineData("gemini", "@google/gemini-cli")]
    public async Task A_missing_agent_gets_the_command_that_installs_it(string agent, string package)
    {
        using var home = new TempDir();
        var run = await LaunchAsync(home.Path, home.Path, [agent, "--url", "http://127.0.0.1:9", "--version"], withClients: false);
        Assert.Equal(127, run.ExitCode);
        Assert.Contains($"npm install -g {package}", run.Stderr, StringComparison.Ordinal);
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("sy-launch").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
