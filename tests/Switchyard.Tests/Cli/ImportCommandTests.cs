using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Cli;

/// <summary>
/// <c>switchyard import</c> on a realistic file of each tool users come from: the config it writes loads, keeps no
/// secret (they go to the env file as <c>${NAME}</c>), and a gateway started from it serves as the old tool did —
/// checked with real requests to fake upstreams; the report names what mapped, what was approximated, what has no equivalent.
/// </summary>
public sealed class ImportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sy-import").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The sample with its placeholders pointed at this test's fake upstreams.</summary>
    private string Sample(string name, params (string Placeholder, string Url)[] urls)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Cli", "ImportSamples", name));
        foreach (var (placeholder, url) in urls)
        {
            text = text.Replace("{{" + placeholder + "}}", url, StringComparison.Ordinal);
        }
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 400;
        var code = await ImportCommand.RunAsync(["import", .. args], console);
        return (code, writer.ToString());
    }

    private static Dictionary<string, string> EnvFile(string path) => File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal))
        .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);

    private static async Task<HttpResponseMessage> MessagesAsync(Gateway gw, string model, string key, string extra = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent($$"""{"model":"{{model}}","max_tokens":2048,"messages":[{"role":"user","content":"Hi"}]{{extra}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", key);
        return await gw.Client.SendAsync(request);
    }

    [Fact]
    public async Task Claude_code_router_config_becomes_providers_routes_and_scenario_rules()
    {
        await using var openai = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var anthropic = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.Anthropic.TextResponse));
        var source = Sample("ccr-config.json", ("OPENAI_FAKE", $"{openai.Url}/v1"), ("ANTHROPIC_FAKE", anthropic.Url));
        var output = Path.Combine(_dir, "switchyard.yaml");
        var (code, report) = await RunAsync(source, "--out", output);
        Assert.Equal(AdminCommands.Ok, code);
        Assert.Contains("claude-code-router config.json", report, StringComparison.Ordinal);
        Assert.Contains("Router.think → rule {thinking: true} → deepseek/deepseek-reasoner", report, StringComparison.Ordinal);
        Assert.Contains("transformer 'deepseek'", report, StringComparison.Ordinal);          // approximated
        Assert.Contains("PROXY_URL", report, StringComparison.Ordinal);                       // no equivalent
        Assert.Contains("Router.image", report, StringComparison.Ordinal);
        Assert.Contains("API_TIMEOUT_MS", report, StringComparison.Ordinal);

        var yaml = await File.ReadAllTextAsync(output);
        var env = EnvFile(Path.Combine(_dir, "switchyard.env"));
        foreach (var secret in (string[])["ccr-gateway-secret-7788", "sk-deepseek-first-0001", "sk-deepseek-second-0002", "sk-ant-claude-one-0003", "sk-ant-claude-two-0004"])
        {
            Assert.DoesNotContain(secret, yaml, StringComparison.Ordinal);
            Assert.Contains(secret, env.Values);
        }
        Assert.Contains("${GEMINI_API_KEY}", yaml, StringComparison.Ordinal); // already a reference in the source: kept one
        Assert.DoesNotContain("GEMINI_API_KEY", env.Keys);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "switchyard.env")));
        }

        var config = ConfigLoader.LoadFile(output, name => env.TryGetValue(name, out var v) ? v : name == "GEMINI_API_KEY" ? "AIza-test-key" : null);
        await using var gw = await Gateway.StartAsync(config);
        var gatewayKey = env["SWITCHYARD_KEY"];
        Assert.Equal(HttpStatusCode.Unauthorized, (await MessagesAsync(gw, "claude-sonnet-4-5", "wrong-key")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await MessagesAsync(gw, "claude-sonnet-4-5", gatewayKey)).StatusCode);
        Assert.Equal("deepseek-chat", openai.Requests.Last().Json["model"]!.GetValue<string>());
        Assert.StartsWith("Bearer sk-deepseek-", openai.Requests.Last().Header("authorization"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await MessagesAsync(gw, "claude-3-5-haiku-20241022", gatewayKey)).StatusCode);
        Assert.Equal("qwen2.5-coder:latest", openai.Requests.Last().Json["model"]!.GetValue<string>());
        Assert.Equal("Bearer ollama", openai.Requests.Last().Header("authorization"));
        Assert.Equal(HttpStatusCode.OK, (await MessagesAsync(gw, "claude-sonnet-4-5", gatewayKey, ""","thinking":{"type":"enabled","budget_tokens":1024}""")).StatusCode);
        Assert.Equal("deepseek-reasoner", openai.Requests.Last().Json["model"]!.GetValue<string>());

        // "/model claude,claude-sonnet-4-5" in Claude Code; rotation off: only the first key is used.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await MessagesAsync(gw, "claude,claude-sonnet-4-5", gatewayKey)).StatusCode);
        }
        Assert.All(anthropic.Requests, r => Assert.Equal("sk-ant-claude-one-0003", r.Header("x-api-key")));
        Assert.Equal("claude-sonnet-4-5", anthropic.Requests.Last().Json["model"]!.GetValue<string>());

        var longContext = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/routes/resolve?model=claude-sonnet-4-5&input_tokens=50000"))!;
        Assert.Equal("gemini-2.5-pro", longContext["targets"]![0]!["upstream_model"]!.GetValue<string>());
        var search = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/routes/resolve?model=claude-sonnet-4-5&tools=web_search"))!;
        Assert.Equal("gemini-2.5-flash", search["targets"]![0]!["upstream_model"]!.GetValue<string>());
        var providers = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/providers"))!["data"]!.AsArray();
        var deepseek = providers.Single(p => p!["name"]!.GetValue<string>() == "deepseek")!;
        Assert.Equal("weighted", deepseek["key_strategy"]!.GetValue<string>());
        Assert.Equal([2, 1], deepseek["keys"]!.AsArray().Select(k => k!["weight"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Provider_balancer_config_fails_over_in_order_with_big_and_small_models()
    {
        await using var official = await FakeUpstream.StartAsync(FakeUpstream.Json("""{"type":"error","error":{"type":"api_error","message":"down"}}""", 500));
        await using var thirdParty = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.Anthropic.TextResponse));
        await using var openai = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        var source = Sample("balancer-providers.yaml", ("ANTHROPIC_FAKE_2", thirdParty.Url), ("ANTHROPIC_FAKE", official.Url), ("OPENAI_FAKE", $"{openai.Url}/v1"));
        var output = Path.Combine(_dir, "balancer.yaml");
        var (code, report) = await RunAsync(source, "--out", output);
        Assert.Equal(AdminCommands.Ok, code);
        Assert.Contains("retired: enabled: false — left out", report, StringComparison.Ordinal);
        Assert.Contains("auth_type auth_token → auth: bearer", report, StringComparison.Ordinal);
        Assert.Contains("settings.metrics: no equivalent", report, StringComparison.Ordinal);
        Assert.Contains("request_timeout 30 → first_byte_timeout: 30s", report, StringComparison.Ordinal);

        var env = EnvFile(Path.Combine(_dir, "balancer.env"));
        var config = ConfigLoader.LoadFile(output, name => env.GetValueOrDefault(name));
        Assert.Equal(["anthropic_official", "custom_claude_provider", "openrouter_backup"], config.Providers.Keys.Order());
        Assert.Equal(TimeSpan.FromSeconds(90), config.Providers["anthropic_official"].FailureCooldown);
        await using var gw = await Gateway.StartAsync(config);

        using var response = await MessagesAsync(gw, "claude-3-5-haiku-latest", "any");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("claude-3-5-haiku-20241022", official.Requests.First().Json["model"]!.GetValue<string>()); // its small model, tried first
        var served = thirdParty.Requests.Single();
        Assert.Equal("claude-3-5-haiku-latest", served.Json["model"]!.GetValue<string>()); // passthrough
        Assert.Equal("Bearer third-party-token-0006", served.Header("authorization"));
    }

    [Fact]
    public async Task An_app_yml_becomes_a_provider_per_vendor_with_its_auth_header_and_family_routes()
    {
        await using var openai = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var anthropic = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.Anthropic.TextResponse));
        var output = Path.Combine(_dir, "app.yaml");
        var (code, report) = await RunAsync(Sample("app.yml"), "--out", output);
        Assert.Equal(AdminCommands.Ok, code);
        Assert.Contains("API_KEY_POOLS.mistral", report, StringComparison.Ordinal);
        Assert.Contains("server.urls: http://0.0.0.0:8000", report, StringComparison.Ordinal);
        Assert.Contains("server.log_level: debug", report, StringComparison.Ordinal);

        // The vendors' official URLs, pointed here at the fakes.
        var yaml = (await File.ReadAllTextAsync(output)).Replace("https://api.openai.com/v1", $"{openai.Url}/v1", StringComparison.Ordinal)
            .Replace("https://api.anthropic.com", anthropic.Url, StringComparison.Ordinal);
        var env = EnvFile(Path.Combine(_dir, "app.env"));
        Assert.Equal(4, env.Count); // two OpenAI keys, one Anthropic key (the pool's and the single field's are one), one Gemini key
        var config = ConfigLoader.Parse(yaml, "app.yaml", name => env.GetValueOrDefault(name));
        Assert.Single(config.Providers["anthropic"].Keys);
        await using var gw = await Gateway.StartAsync(config);

        using (var chat = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        })
        {
            using var response = await gw.Client.SendAsync(chat);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal("sk-openai-pool-key-0009", openai.Requests.Single().Header("api-key")); // its own auth header and format
        Assert.Equal(HttpStatusCode.OK, (await MessagesAsync(gw, "claude-sonnet-4-5", "any")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await MessagesAsync(gw, "some-other-model", "any")).StatusCode); // PREFERRED_PROVIDER
        Assert.Equal(["claude-sonnet-4-5", "some-other-model"], anthropic.Requests.Select(r => r.Json["model"]!.GetValue<string>()));
        Assert.All(anthropic.Requests, r => Assert.Equal("sk-ant-pool-key-0011", r.Header("x-api-key")));
    }

    [Fact]
    public async Task Refusals_unknown_formats_existing_files_and_inline_secrets()
    {
        var unknown = Path.Combine(_dir, "other.json");
        await File.WriteAllTextAsync(unknown, """{"something": "else"}""");
        var (unknownCode, unknownText) = await RunAsync(unknown, "--out", Path.Combine(_dir, "x.yaml"));
        Assert.Equal(AdminCommands.Refused, unknownCode);
        Assert.Contains("not a config this command knows", unknownText, StringComparison.Ordinal);
        Assert.Equal(AdminCommands.Usage, (await RunAsync()).Code);
        Assert.Equal(AdminCommands.Refused, (await RunAsync(Path.Combine(_dir, "missing.json"))).Code);

        var source = Sample("app.yml");
        var output = Path.Combine(_dir, "inline.yaml");
        var (code, _) = await RunAsync(source, "--out", output, "--inline-secrets", "--json");
        Assert.Equal(AdminCommands.Ok, code);
        Assert.Contains("sk-openai-pool-key-0009", await File.ReadAllTextAsync(output), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "inline.env")));
        Assert.NotNull(ConfigLoader.LoadFile(output, _ => null));

        var (again, text) = await RunAsync(source, "--out", output);
        Assert.Equal(AdminCommands.Refused, again);
        Assert.Contains("exists", text, StringComparison.Ordinal);
        Assert.Equal(AdminCommands.Ok, (await RunAsync(source, "--out", output, "--force")).Code);
    }
}
