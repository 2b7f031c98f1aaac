using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Config;
using Switchyard.Storage;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Cli;

/// <summary>
/// The CLI's verbs that change and observe a running gateway (providers, keys, models, tenants, vkeys, stats, usage,
/// logs, rotation, audit), each against a real instance with a store, as tables and as --json, with their exit codes.
/// </summary>
public sealed class ResourceCommandsTests : IAsyncLifetime
{
    private const string AdminKey = "adm-cli-secret-5678";
    private FakeUpstream _fake = null!;
    private Gateway _gw = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer sk-refused-key-0003"
            ? FakeUpstream.Json("""{"error":{"message":"bad key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""", 401)(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req));
        var config = ConfigLoader.Parse($$"""
            auth:
              admin_key: {{AdminKey}}
              keys: [sk-sy-static-cli]
            providers:
              - {name: oa, type: openai, base_url: "{{_fake.Url}}/v1", keys: [sk-file-key-0001]}
            routes:
              - {model: "gpt-*", targets: [{provider: oa}]}
            """, "cli.yaml");
        _gw = await Gateway.StartAsync(config, masterKey: CredentialVault.NewKey());
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _fake.DisposeAsync();
    }

    /// <summary>A writer the CLI writes to while a test reads it (logs tail runs beside the test).</summary>
    private sealed class SharedWriter : StringWriter
    {
        private readonly Lock _gate = new();
        public override void Write(char value) { lock (_gate) { base.Write(value); } }
        public override void Write(string? value) { lock (_gate) { base.Write(value); } }
        public override void Write(char[] buffer, int index, int count) { lock (_gate) { base.Write(buffer, index, count); } }
        public override string ToString() { lock (_gate) { return base.ToString(); } }
    }

    private async Task<(int Code, string Output)> Run(params string[] args) => await RunUntil(args, new SharedWriter(), CancellationToken.None);

    private async Task<(int Code, string Output)> RunUntil(string[] args, SharedWriter writer, CancellationToken ct)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 400;
        var code = await AdminCommands.RunAsync([.. args, "--url", _gw.Url], console, name => name == "SWITCHYARD_ADMIN_KEY" ? AdminKey : null, ct);
        return (code, writer.ToString());
    }

    private async Task<HttpStatusCode> ChatAsync(string key, string model = "gpt-4o")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await _gw.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Providers_are_added_listed_tested_and_removed()
    {
        var (code, added) = await Run("providers", "add", "backup", "--type", "openai", "--base-url", $"{_fake.Url}/v1", "--key", "sk-backup-key-0009");
        Assert.Equal(AdminCommands.Ok, code);
        Assert.Contains("created provider backup", added, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-backup-key-0009", added, StringComparison.Ordinal);

        var (_, table) = await Run("providers", "list");
        Assert.Contains("backup", table, StringComparison.Ordinal);
        Assert.Contains("store", table, StringComparison.Ordinal);
        Assert.Contains("file", table, StringComparison.Ordinal);
        var (_, json) = await Run("providers", "--json");
        Assert.Equal(["backup", "oa"], JsonNode.Parse(json)!["data"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).Order());

        var (testCode, test) = await Run("providers", "test", "backup", "--model", "gpt-4o-mini");
        Assert.Equal(AdminCommands.Ok, testCode);
        Assert.Contains("ok", test, StringComparison.Ordinal);
        Assert.Contains(Wire.Text, test, StringComparison.Ordinal); // the upstream's own answer

        Assert.Equal(AdminCommands.Ok, (await Run("providers", "remove", "backup")).Code);
        var (_, after) = await Run("providers", "list");
        Assert.DoesNotContain("backup", after, StringComparison.Ordinal);

        var (fileCode, refused) = await Run("providers", "remove", "oa");
        Assert.Equal(AdminCommands.Refused, fileCode);
        Assert.Contains("409", refused, StringComparison.Ordinal); // a file object: edit the file
        Assert.Equal(AdminCommands.Usage, (await Run("providers", "add", "x")).Code); // no --type
    }

    [Fact]
    public async Task Keys_are_added_to_a_file_provider_disabled_enabled_and_removed_by_id()
    {
        var (code, added) = await Run("keys", "add", "--provider", "oa", "--api-key", "sk-added-key-0002", "--json");
        Assert.Equal(AdminCommands.Ok, code);
        var id = JsonNode.Parse(added)!["id"]!.GetValue<string>();
        Assert.DoesNotContain("sk-added-key-0002", added, StringComparison.Ordinal);

        var (_, list) = await Run("keys", "list", "--provider", "oa");
        Assert.Contains(id, list, StringComparison.Ordinal);
        Assert.Contains("sk-a…0002", list, StringComparison.Ordinal);

        var (disableCode, disabled) = await Run("keys", "disable", id); // the provider is found by the id
        Assert.Equal(AdminCommands.Ok, disableCode);
        Assert.Contains("disabled", disabled, StringComparison.Ordinal);
        var (_, rotation) = await Run("rotation", "--json");
        var keys = JsonNode.Parse(rotation)![0]!["keys"]!.AsArray();
        Assert.Equal("disabled", keys.Single(k => k!["id"]!.GetValue<string>() == id)!["state"]!.GetValue<string>());
        Assert.Equal(AdminCommands.Ok, (await Run("keys", "enable", id, "--provider", "oa")).Code);
        Assert.Equal(AdminCommands.Ok, (await Run("keys", "remove", id)).Code);
        var (_, gone) = await Run("keys", "list");
        Assert.DoesNotContain(id, gone, StringComparison.Ordinal);
        Assert.Equal(AdminCommands.Refused, (await Run("keys", "disable", "0000000000000000")).Code);
        Assert.Equal(AdminCommands.Usage, (await Run("keys", "add", "--provider", "oa")).Code);
    }

    [Fact]
    public async Task Models_create_a_route_that_serves_at_once_and_delete_it()
    {
        var (code, created) = await Run("models", "create", "--route-key", "team-model", "--target-model", "gpt-4.1", "--provider", "oa");
        Assert.Equal(AdminCommands.Ok, code);
        Assert.Contains("created route team-model", created, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("sk-sy-static-cli", "team-model"));
        Assert.Equal("gpt-4.1", _fake.Requests.Last().Json["model"]!.GetValue<string>());

        var (_, list) = await Run("models", "list");
        Assert.Contains("team-model", list, StringComparison.Ordinal);
        Assert.Contains("oa → gpt-4.1", list, StringComparison.Ordinal);
        Assert.Equal(AdminCommands.Ok, (await Run("models", "delete", "team-model")).Code);
        Assert.Equal(HttpStatusCode.NotFound, await ChatAsync("sk-sy-static-cli", "team-model"));
        var (badCode, bad) = await Run("models", "create", "--route-key", "x", "--provider", "nowhere");
        Assert.Equal(AdminCommands.Refused, badCode);
        Assert.Contains("nowhere", bad, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tenants_and_virtual_keys_from_creation_to_revocation()
    {
        var (code, created) = await Run("tenants", "create", "team-x", "--models", "gpt-*", "--rpm", "50", "--budget-usd-per-day", "2.5");
        Assert.Equal(AdminCommands.Ok, code);
        Assert.Contains("rpm 50", created, StringComparison.Ordinal);
        Assert.Contains("$/day 2.5", created, StringComparison.Ordinal);
        var (_, tenants) = await Run("tenants", "list");
        Assert.Contains("team-x", tenants, StringComparison.Ordinal);

        var (keyCode, keyText) = await Run("vkeys", "create", "--tenant", "team-x", "--name", "ci", "--json");
        Assert.Equal(AdminCommands.Ok, keyCode);
        var key = JsonNode.Parse(keyText)!;
        var secret = key["key"]!.GetValue<string>();
        Assert.StartsWith("sk-sy-", secret, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(secret));

        var (_, list) = await Run("vkeys", "list", "--tenant", "team-x");
        Assert.Contains(key["id"]!.GetValue<string>(), list, StringComparison.Ordinal);
        Assert.Contains("active", list, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);

        var (rotateCode, rotated) = await Run("vkeys", "rotate", key["id"]!.GetValue<string>(), "--grace-seconds", "0");
        Assert.Equal(AdminCommands.Ok, rotateCode);
        var fresh = rotated.Split('\n', StringSplitOptions.TrimEntries).Single(l => l.StartsWith("sk-sy-", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(secret));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(fresh));

        var (_, all) = await Run("vkeys", "list", "--json"); // every tenant's
        var newId = JsonNode.Parse(all)!["data"]!.AsArray().Single(k => k!["state"]!.GetValue<string>() == "active")!["id"]!.GetValue<string>();
        Assert.Equal(AdminCommands.Ok, (await Run("vkeys", "revoke", newId)).Code);
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(fresh));
        Assert.Equal(AdminCommands.Ok, (await Run("tenants", "delete", "team-x")).Code);
        var (badCode, bad) = await Run("tenants", "create", "team-y", "--rpm", "lots");
        Assert.Equal(AdminCommands.Refused, badCode);
        Assert.Contains("rpm", bad, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_usage_logs_and_audit_show_what_happened()
    {
        Assert.Equal(AdminCommands.Ok, (await Run("keys", "add", "--provider", "oa", "--api-key", "sk-refused-key-0003")).Code);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await ChatAsync("sk-sy-static-cli"));
        }
        // The log and its rollups are written behind the requests: wait for them.
        JsonNode? total = null;
        for (var i = 0; i < 100 && (total?["data"]?.AsArray().Sum(l => l!["requests"]!.GetValue<long>()) ?? 0) < 4; i++)
        {
            await Task.Delay(100);
            total = JsonNode.Parse((await Run("stats", "requests", "--json")).Output);
        }
        Assert.Equal(4, total!["data"]!.AsArray().Sum(l => l!["requests"]!.GetValue<long>()));
        Assert.Equal(["day"], total["group_by"]!.AsArray().Select(g => g!.GetValue<string>()));

        var (_, models) = await Run("stats", "models");
        Assert.Contains("gpt-4o", models, StringComparison.Ordinal);
        var (_, byTenant) = await Run("stats", "tenants");
        Assert.Contains("default", byTenant, StringComparison.Ordinal);
        var (_, keyStats) = await Run("stats", "keys");
        Assert.Contains("sk-f…0001", keyStats, StringComparison.Ordinal);
        Assert.Contains("401:1", keyStats, StringComparison.Ordinal); // the refused key was tried and put aside
        var (_, usage) = await Run("usage", "--group-by", "model,provider", "--json");
        Assert.Equal("oa", JsonNode.Parse(usage)!["data"]![0]!["provider"]!.GetValue<string>());

        var (_, page) = await Run("logs", "query", "--limit", "2", "--json");
        var rows = JsonNode.Parse(page)!;
        Assert.Equal(2, rows["data"]!.AsArray().Count);
        var (_, older) = await Run("logs", "query", "--limit", "2", "--cursor", rows["next_cursor"]!.GetValue<string>());
        Assert.Contains("gpt-4o", older, StringComparison.Ordinal);
        Assert.Equal(AdminCommands.Refused, (await Run("logs", "query", "--status", "sideways")).Code);

        var (_, audit) = await Run("audit");
        Assert.Contains("key.add", audit, StringComparison.Ordinal);
        Assert.Contains("provider/oa/key/", audit, StringComparison.Ordinal);
        var (_, rotation) = await Run("rotation");
        Assert.Contains("round_robin", rotation, StringComparison.Ordinal);
        Assert.Contains("disabled", rotation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_tail_follows_new_requests_until_stopped()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var writer = new SharedWriter();
        var tail = RunUntil(["logs", "tail", "--json"], writer, stop.Token);
        await Task.Delay(300);
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("sk-sy-static-cli", "gpt-tail-1"));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("sk-sy-static-cli", "gpt-tail-2"));
        for (var i = 0; i < 100 && !writer.ToString().Contains("gpt-tail-2", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }
        await stop.CancelAsync();
        var (code, output) = await tail;
        Assert.Equal(AdminCommands.Ok, code);
        var models = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["model"]!.GetValue<string>()).ToList();
        Assert.Equal(["gpt-tail-1", "gpt-tail-2"], models.Where(m => m.StartsWith("gpt-tail", StringComparison.Ordinal))); // in order, once each
    }

    [Fact]
    public async Task Config_export_prints_the_effective_config_with_every_secret_masked()
    {
        Assert.Equal(AdminCommands.Ok, (await Run("providers", "add", "extra", "--type", "anthropic", "--base-url", _fake.Url, "--key", "sk-ant-extra-secret-0042")).Code);
        Assert.Equal(AdminCommands.Ok, (await Run("tenants", "create", "team-e", "--rpm", "7")).Code);
        var (code, yaml) = await Run("config", "export");
        Assert.Equal(AdminCommands.Ok, code);
        foreach (var secret in (string[])["sk-file-key-0001", "sk-ant-extra-secret-0042", AdminKey, "sk-sy-static-cli"])
        {
            Assert.DoesNotContain(secret, yaml, StringComparison.Ordinal);
        }
        var config = Switchyard.Config.Import.YamlJson.Read(yaml)!; // YAML as written
        var providers = config["providers"]!.AsArray();
        Assert.Equal(["extra", "oa"], providers.Select(p => p!["name"]!.GetValue<string>()));
        Assert.Equal("store", providers[0]!["origin"]!.GetValue<string>());
        Assert.Equal("sk-a…0042", providers[0]!["keys"]![0]!["key"]!.GetValue<string>());
        Assert.Equal("gpt-*", config["routes"]![0]!["model"]!.GetValue<string>());
        var tenant = config["tenants"]!.AsArray().Single(t => t!["name"]!.GetValue<string>() == "team-e")!;
        Assert.Equal(7, tenant["limits"]!["rpm"]!.GetValue<long>());
        Assert.Equal("adm-…5678", config["auth"]!["admin_key"]!.GetValue<string>());

        var (_, json) = await Run("config", "export", "--json");
        Assert.StartsWith("sqlite ", JsonNode.Parse(json)!["storage"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
