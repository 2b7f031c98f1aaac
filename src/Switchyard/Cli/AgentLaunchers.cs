using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Switchyard.Cli;

/// <summary>
/// <c>switchyard claude|codex|gemini [--url URL] [--key KEY] [--] [args…]</c>: starts that agent CLI pointed at a
/// gateway — base URL and gateway key in the variables it reads, for Codex a custom provider with
/// <c>wire_api = "responses"</c>, for Gemini CLI API-key auth pinned in a settings file of its own — and passes the
/// other arguments through. Its exit code is the agent's. The agent's own credentials are removed from its
/// environment, so they never reach the gateway.
/// </summary>
internal static class AgentLaunchers
{
    /// <summary>A launcher's agent was not found: the shell's "command not found".</summary>
    public const int NotInstalled = 127;

    public static readonly string[] Names = ["claude", "codex", "gemini"];

    private sealed record Agent(string Command, string Package, string[] RemoveEnv);

    private static readonly Dictionary<string, Agent> Agents = new(StringComparer.Ordinal)
    {
        ["claude"] = new("claude", "@anthropic-ai/claude-code", ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"]),
        ["codex"] = new("codex", "@openai/codex", ["OPENAI_API_KEY", "OPENAI_BASE_URL"]),
        ["gemini"] = new("gemini", "@google/gemini-cli", ["GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA", "GOOGLE_CLOUD_PROJECT"]),
    };

    /// <summary>The placeholder key sent to a gateway that asks for none (loopback without auth keys).</summary>
    public const string OpenGatewayKey = "sk-switchyard-local";

    public static async Task<int> RunAsync(string[] args, TextWriter error, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var agent = Agents[args[0]];
        var url = env("SWITCHYARD_URL") ?? ServeCommand.DefaultUrls;
        var key = env("SWITCHYARD_KEY");
        var i = 1;
        // The launcher's own options come first; everything after them (or after --) is the agent's.
        for (; i < args.Length; i++)
        {
            if (args[i] is "--url" or "--key" && i + 1 < args.Length)
            {
                (url, key) = args[i] == "--url" ? (args[i + 1], key) : (url, args[i + 1]);
                i++;
            }
            else
            {
                if (args[i] == "--")
                {
                    i++;
                }
                break;
            }
        }
        url = url.TrimEnd('/');
        if (!Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            await error.WriteLineAsync($"switchyard {agent.Command}: --url must be an absolute URL such as {ServeCommand.DefaultUrls}, not '{url}'.").ConfigureAwait(false);
            return AdminCommands.Usage;
        }
        if (Find(agent.Command, env("PATH")) is not { } executable)
        {
            await error.WriteLineAsync($"switchyard {agent.Command}: '{agent.Command}' is not installed (or not on PATH). Install it with:\n  npm install -g {agent.Package}").ConfigureAwait(false);
            return NotInstalled;
        }
        var psi = new ProcessStartInfo(executable) { UseShellExecute = false };
        foreach (var name in agent.RemoveEnv)
        {
            psi.Environment.Remove(name);
        }
        var arguments = Configure(agent.Command, psi.Environment, url, key ?? OpenGatewayKey, env);
        foreach (var a in arguments.Concat(args.Skip(i)))
        {
            psi.ArgumentList.Add(a);
        }
        // Ctrl+C belongs to the agent (it reaches it too, as one terminal group): the launcher waits for it to finish.
        Console.CancelKeyPress += (_, e) => e.Cancel = true;
        using var process = Process.Start(psi)!;
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode;
    }

    /// <summary>Points the agent at the gateway (its environment); returns the arguments that go before the user's.</summary>
    private static string[] Configure(string agent, IDictionary<string, string?> environment, string url, string key, Func<string, string?> env)
    {
        switch (agent)
        {
            case "claude":
                environment["ANTHROPIC_BASE_URL"] = url;
                environment["ANTHROPIC_AUTH_TOKEN"] = key; // a bearer token: Claude Code asks no approval for it
                return [];
            case "codex":
                environment["SWITCHYARD_KEY"] = key;
                return ["-c", "model_provider=switchyard",
                    "-c", $"model_providers.switchyard={{name=\"Switchyard\",base_url=\"{url}/v1\",env_key=\"SWITCHYARD_KEY\",wire_api=\"responses\",supports_websockets=false}}"];
            default:
                environment["GOOGLE_GEMINI_BASE_URL"] = url;
                environment["GEMINI_API_KEY"] = key;
                environment["GEMINI_CLI_HOME"] = GeminiHome(env);
                return [];
        }
    }

    /// <summary>
    /// A Gemini CLI home for gateway sessions (<c>~/.switchyard/gemini-cli</c>): the user's own settings with API-key
    /// auth pinned, so the CLI neither asks for a Google login nor changes the user's usual setup.
    /// </summary>
    private static string GeminiHome(Func<string, string?> env)
    {
        var userHome = env("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var home = Path.Combine(userHome, ".switchyard", "gemini-cli");
        var folder = Path.Combine(home, ".gemini");
        Directory.CreateDirectory(folder);
        var own = Path.Combine(userHome, ".gemini", "settings.json");
        JsonObject settings;
        try
        {
            settings = File.Exists(own) && JsonNode.Parse(File.ReadAllText(own)) is JsonObject found ? found : [];
        }
        catch (System.Text.Json.JsonException)
        {
            settings = []; // Gemini CLI's settings allow comments; a file we cannot read is not copied
        }
        var security = settings["security"] as JsonObject ?? [];
        var auth = security["auth"] as JsonObject ?? [];
        auth["selectedType"] = "gemini-api-key";
        security["auth"] = auth.DeepClone();
        settings["security"] = security.DeepClone();
        File.WriteAllText(Path.Combine(folder, "settings.json"), settings.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return home;
    }

    /// <summary>The executable on PATH (Windows: with its .cmd / .exe extension).</summary>
    private static string? Find(string command, string? path)
    {
        var extensions = OperatingSystem.IsWindows() ? new[] { ".cmd", ".exe", "" } : [""];
        foreach (var dir in (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var ext in extensions)
            {
                var candidate = Path.Combine(dir, command + ext);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}
