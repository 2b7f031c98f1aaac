using System.Text.Json.Nodes;
using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Cli;

/// <summary>Every CLI subcommand against a running instance, as tables and as --json, with meaningful exit codes.</summary>
public sealed class AdminCommandsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sy-cli").FullName;
    private FakeUpstream _fake = null!;
    private Gateway _gw = null!;

    private string ConfigPath => Path.Combine(_dir, "switchyard.yaml");

    public async Task InitializeAsync()
    {
        _fake = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer sk-revoked-key-0001"
            ? FakeUpstream.Json("""{"error":{"message":"bad key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""", 401)(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req));
        await File.WriteAllTextAsync(ConfigPath, $$"""
            auth:
              admin_key: adm-secret-1234
            providers:
              - {name: oa, type: openai, base_url: "{{_fake.Url}}/v1", keys: [sk-revoked-key-0001, sk-working-key-0002], big_model: gpt-4.1, small_model: gpt-4.1-mini}
            routes:
              - {model: "claude-*", aliases: [cc], targets: [{provider: oa}]}
            """);
        _gw = await Gateway.StartFromFileAsync(ConfigPath);
        for (var i = 0; i < 3; i++)
        {
            using var _ = await _gw.PostJsonAsync("/v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}""");
        }
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _fake.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Code, string Output)> Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 400;
        var code = await AdminCommands.RunAsync([.. args, "--url", _gw.Url], console, _ => "adm-secret-1234");
        return (code, writer.ToString());
    }

    [Fact]
    public async Task Status_shows_providers_as_a_table_and_as_json()
    {
        var (code, table) = await Run("status");
        Assert.Equal(0, code);
        Assert.Contains("oa", table, StringComparison.Ordinal);
        Assert.Contains("healthy", table, StringComparison.Ordinal);
        Assert.Contains("1/2", table, StringComparison.Ordinal); // one key disabled by its 401
        var (jsonCode, json) = await Run("status", "--json");
        Assert.Equal(0, jsonCode);
        Assert.Equal("oa", JsonNode.Parse(json)!["providers"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Keys_shows_per_key_statistics_masked()
    {
        var (code, table) = await Run("keys");
        Assert.Equal(0, code);
        Assert.Contains("sk-r…0001", table, StringComparison.Ordinal);
        Assert.Contains("401:1", table, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-revoked-key-0001", table, StringComparison.Ordinal);
        var (_, json) = await Run("keys", "--json");
        var keys = JsonNode.Parse(json)!["providers"]![0]!["keys"]!.AsArray();
        Assert.False(keys[0]!["enabled"]!.GetValue<bool>());
        Assert.Equal(3, keys[1]!["successes"]!.GetValue<int>());
    }

    [Fact]
    public async Task Routes_and_resolve_show_the_effective_routing()
    {
        var (code, table) = await Run("routes");
        Assert.Equal(0, code);
        Assert.Contains("claude-*", table, StringComparison.Ordinal);
        Assert.Contains("cc", table, StringComparison.Ordinal);
        var (resolveCode, resolved) = await Run("routes", "resolve", "claude-haiku-4-5");
        Assert.Equal(0, resolveCode);
        Assert.Contains("gpt-4.1-mini", resolved, StringComparison.Ordinal);
        var (_, json) = await Run("routes", "resolve", "claude-opus-4-8", "--json");
        Assert.Equal("gpt-4.1", JsonNode.Parse(json)!["targets"]![0]!["upstream_model"]!.GetValue<string>());
        var (missingCode, _) = await Run("routes", "resolve", "gpt-nothing");
        Assert.Equal(AdminCommands.Refused, missingCode);
    }

    [Fact]
    public async Task Reload_reports_success_and_refusal()
    {
        var (code, output) = await Run("reload");
        Assert.Equal(0, code);
        Assert.Contains("reloaded", output, StringComparison.Ordinal);
        var good = await File.ReadAllTextAsync(ConfigPath);
        await File.WriteAllTextAsync(ConfigPath, good.Replace("type: openai", "type: nope", StringComparison.Ordinal));
        var (badCode, badJson) = await Run("reload", "--json");
        Assert.Equal(AdminCommands.Refused, badCode);
        Assert.Contains("unknown provider type 'nope'", JsonNode.Parse(badJson)!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        await File.WriteAllTextAsync(ConfigPath, good);
    }

    [Fact]
    public async Task Config_check_validates_a_file_without_a_gateway()
    {
        var (code, output) = await Run("config", "check", ConfigPath);
        Assert.Equal(0, code);
        Assert.Contains("valid", output, StringComparison.Ordinal);
        var bad = Path.Combine(_dir, "bad.yaml");
        await File.WriteAllTextAsync(bad, "providers:\n  - {name: a, type: openai}\n");
        var (badCode, json) = await Run("config", "check", bad, "--json");
        Assert.Equal(AdminCommands.Refused, badCode);
        var node = JsonNode.Parse(json)!;
        Assert.False(node["valid"]!.GetValue<bool>());
        Assert.Contains("needs at least one API key", node["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_admin_key_and_an_unreachable_gateway_have_their_own_exit_codes()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No });
        Assert.Equal(AdminCommands.Refused, await AdminCommands.RunAsync(["status", "--url", _gw.Url, "--admin-key", "wrong"], console, _ => null));
        Assert.Equal(AdminCommands.Unreachable, await AdminCommands.RunAsync(["status", "--url", "http://127.0.0.1:9"], console, _ => null));
        Assert.Equal(AdminCommands.Usage, await AdminCommands.RunAsync(["routes", "sideways"], console, _ => null));
    }
}
