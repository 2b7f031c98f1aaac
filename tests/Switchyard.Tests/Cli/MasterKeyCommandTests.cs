using System.Net;
using Dapper;
using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Config;
using Switchyard.Storage;
using Switchyard.Tests.Infrastructure;
using Switchyard.Tests.Storage;
using Xunit;

namespace Switchyard.Tests.Cli;

/// <summary><c>switchyard master-key new | rotate</c> on a real store: all credentials move to the new key, or none does.</summary>
public sealed class MasterKeyCommandTests
{
    /// <summary>A console that writes plain text, wide enough that no line wraps.</summary>
    private sealed class TextConsole
    {
        private readonly System.Text.StringBuilder _text = new();

        public TextConsole()
        {
            Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter(_text)), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            Console.Profile.Width = 1000;
        }

        public IAnsiConsole Console { get; }
        public string Output => _text.ToString();
    }

    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task Rotate_reseals_every_credential_under_the_new_key_and_the_gateway_starts_with_it(string dialect)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var dir = Directory.CreateTempSubdirectory("sy-mk").FullName;
        var configPath = Path.Combine(dir, "switchyard.yaml");
        var storage = dialect == "sqlite" ? $"{{provider: sqlite, path: \"{db.Options.Path}\"}}" : $"{{provider: postgres, connection: \"{db.Options.Connection}\"}}";
        await File.WriteAllTextAsync(configPath, $$"""
            storage: {{storage}}
            providers: [{name: up, type: openai, base_url: "{{fake.Url}}/v1", keys: [sk-file-key-0123456789]}]
            routes: [{model: "*", targets: [{provider: up}]}]
            """);
        var config = ConfigLoader.LoadFile(configPath);

        var console = new TextConsole();
        Assert.Equal(0, await MasterKeyCommand.RunAsync(["master-key", "new"], console.Console));
        var oldKey = console.Output.Trim();
        var newKey = CredentialVault.NewKey();
        Assert.Equal(32, Convert.FromBase64String(oldKey).Length);

        await using (var gw = await Gateway.StartAsync(config, masterKey: oldKey))
        {
            using var added = await gw.PostJsonAsync("/admin/v1/providers/up/keys", """{"key": "sk-added-key-0123456789"}""");
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            using var provider = await gw.PostJsonAsync("/admin/v1/providers", """{"name": "other", "type": "openai", "keys": ["sk-other-key-0123456789"], "headers": {"X-T": "tok-0123456789"}}""");
            Assert.Equal(HttpStatusCode.Created, provider.StatusCode);
        }

        Func<string, string?> Env(string? current, string? next) => name => name switch
        {
            CredentialVault.Variable => current,
            MasterKeyCommand.NewKeyVariable => next,
            _ => null,
        };
        var refused = new TextConsole();
        Assert.Equal(AdminCommands.Usage, await MasterKeyCommand.RunAsync(["master-key", "rotate", "--config", configPath], refused.Console, Env(oldKey, null)));
        Assert.Contains("SWITCHYARD_NEW_MASTER_KEY", refused.Output, StringComparison.Ordinal);
        var wrongCurrent = new TextConsole();
        Assert.Equal(AdminCommands.Refused, await MasterKeyCommand.RunAsync(["master-key", "rotate", "--config", configPath], wrongCurrent.Console, Env(CredentialVault.NewKey(), newKey)));
        Assert.Contains("nothing was changed", wrongCurrent.Output, StringComparison.Ordinal);

        var rotated = new TextConsole();
        Assert.Equal(0, await MasterKeyCommand.RunAsync(["master-key", "rotate", "--config", configPath], rotated.Console, Env(oldKey, newKey)));
        Assert.Contains("3 credential(s)", rotated.Output, StringComparison.Ordinal); // two keys and one provider's headers
        Assert.Contains(new CredentialVault(newKey).KeyId!, rotated.Output, StringComparison.Ordinal);
        var again = new TextConsole();
        Assert.Equal(0, await MasterKeyCommand.RunAsync(["master-key", "rotate", "--config", configPath], again.Console, Env(oldKey, newKey))); // harmless twice

        await using (var c = await db.Store.OpenConnectionAsync(default))
        {
            Assert.All(await c.QueryAsync<string>("SELECT secret FROM provider_keys"), s => Assert.StartsWith($"sy1.{new CredentialVault(newKey).KeyId}.", s, StringComparison.Ordinal));
        }
        await Assert.ThrowsAsync<StoreException>(() => Gateway.StartAsync(config, masterKey: oldKey));
        await using (var gw = await Gateway.StartAsync(config, masterKey: newKey))
        {
            var keys = System.Text.Json.Nodes.JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/providers/up/keys"))!["data"]!.AsArray();
            Assert.Equal(["sk-f…6789", "sk-a…6789"], keys.Select(k => k!["key"]!.GetValue<string>()));
            using var request = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""");
            Assert.Equal(HttpStatusCode.OK, request.StatusCode);
        }
        Directory.Delete(dir, recursive: true);
    }
}
