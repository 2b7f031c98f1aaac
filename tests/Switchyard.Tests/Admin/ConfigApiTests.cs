using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Config;
using Switchyard.Storage;
using Switchyard.Tests.Infrastructure;
using Switchyard.Tests.Storage;
using Xunit;

namespace Switchyard.Tests.Admin;

/// <summary>
/// Providers, keys and routes changed through <c>/admin/v1</c> while the gateway serves: they take effect at once, live in
/// the store (credentials sealed under the master key), survive a restart and a reload of the file, and cannot
/// change what the file says.
/// </summary>
public sealed class ConfigApiTests
{
    private static readonly string MasterKey = CredentialVault.NewKey();
    private const string RuntimeKey = "sk-runtime-SECRET-0123456789abcdef";
    private const string FileKey = "sk-file-SECRET-0123456789abcdef";

    private static string FileConfig(string upstream) => $$"""
        providers:
          - {name: file-up, type: openai, base_url: "{{upstream}}/v1", keys: ["{{FileKey}}"]}
          - {name: mock, type: mock}
        routes:
          - {model: file-model, targets: [{provider: file-up}]}
        """;

    private static async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(Gateway gw, HttpMethod method, string path, string? json = null,
        string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        var response = await gw.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.StartsWith('{') ? JsonNode.Parse(text) : null, response);
    }

    private static async Task<HttpStatusCode> ChatAsync(Gateway gw, string model)
    {
        using var response = await gw.PostJsonAsync("/v1/chat/completions", $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""");
        return response.StatusCode;
    }

    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task A_provider_and_route_created_at_runtime_serve_at_once_are_sealed_in_the_store_and_survive_a_restart(string dialect)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var config = ConfigLoader.Parse(FileConfig(fake.Url), "c.yaml") with { Storage = db.Options };

        await using (var gw = await Gateway.StartAsync(config, masterKey: MasterKey))
        {
            Assert.Equal(HttpStatusCode.NotFound, await ChatAsync(gw, "gpt-4o"));
            var (status, provider, response) = await SendAsync(gw, HttpMethod.Post, "/admin/v1/providers", $$"""
                {"name": "runtime", "type": "openai", "base_url": "{{fake.Url}}/v1", "keys": ["{{RuntimeKey}}"], "headers": {"X-Org": "org-SECRET-header-value"}, "first_byte_timeout": "30s"}
                """);
            Assert.Equal(HttpStatusCode.Created, status);
            Assert.Equal("store", provider!["origin"]!.GetValue<string>());
            Assert.Equal("30s", provider["first_byte_timeout"]!.GetValue<string>());
            Assert.Equal(1, provider["version"]!.GetValue<long>());
            Assert.Equal("\"1\"", response.Headers.ETag?.ToString());
            var key = provider["keys"]![0]!;
            Assert.Equal("sk-r…cdef", key["key"]!.GetValue<string>());
            Assert.Equal(UpstreamKey.Fingerprint(RuntimeKey), key["id"]!.GetValue<string>());
            Assert.Equal("org-…alue", provider["headers"]!["X-Org"]!.GetValue<string>());
            Assert.DoesNotContain("SECRET", provider.ToJsonString(), StringComparison.Ordinal);

            (status, var route, _) = await SendAsync(gw, HttpMethod.Post, "/admin/v1/routes", """{"model": "gpt-4o", "aliases": ["four-o"], "targets": [{"provider": "runtime"}]}""");
            Assert.Equal(HttpStatusCode.Created, status);
            Assert.Equal("store", route!["origin"]!.GetValue<string>());

            Assert.Equal(HttpStatusCode.OK, await ChatAsync(gw, "gpt-4o"));
            Assert.Equal(HttpStatusCode.OK, await ChatAsync(gw, "four-o"));
            var sent = fake.Requests.Last();
            Assert.Equal("Bearer " + RuntimeKey, sent.Header("authorization"));
            Assert.Equal("org-SECRET-header-value", sent.Header("x-org"));

            var routes = (await SendAsync(gw, HttpMethod.Get, "/admin/v1/routes")).Body!["data"]!.AsArray();
            Assert.Equal(["file-model:file", "gpt-4o:store"], routes.Select(r => $"{r!["model"]}:{r["origin"]}"));
            var resolved = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/routes/resolve?model=four-o"))!;
            Assert.Equal("gpt-4o", resolved["route"]!.GetValue<string>());
        }

        // In the store: sealed, bound to their rows; never in clear.
        await using (var c = await db.Store.OpenConnectionAsync(default))
        {
            var secret = await c.ExecuteScalarAsync<string>("SELECT secret FROM provider_keys WHERE provider = 'runtime'");
            Assert.StartsWith("sy1.", secret, StringComparison.Ordinal);
            var everything = string.Join("\n", (await c.QueryAsync("SELECT * FROM config_providers")).Concat(await c.QueryAsync("SELECT * FROM provider_keys"))
                .Select(r => string.Join("|", ((IDictionary<string, object?>)r).Values)));
            Assert.DoesNotContain(RuntimeKey, everything, StringComparison.Ordinal);
            Assert.DoesNotContain("org-SECRET-header-value", everything, StringComparison.Ordinal);
        }

        // A restart with the same master key: everything is back and serves.
        await using (var gw = await Gateway.StartAsync(config, masterKey: MasterKey))
        {
            Assert.Equal(HttpStatusCode.OK, await ChatAsync(gw, "four-o"));
            Assert.Equal("Bearer " + RuntimeKey, fake.Requests.Last().Header("authorization"));
        }

        // Without it, or with another: the start stops and says why.
        var missing = await Assert.ThrowsAsync<StoreException>(() => Gateway.StartAsync(config));
        Assert.Contains("SWITCHYARD_MASTER_KEY is not set", missing.Message, StringComparison.Ordinal);
        var wrong = await Assert.ThrowsAsync<StoreException>(() => Gateway.StartAsync(config, masterKey: CredentialVault.NewKey()));
        Assert.Contains($"encrypted under master key {new CredentialVault(MasterKey).KeyId}", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_added_to_a_file_provider_joins_its_pool_and_can_be_disabled_and_removed_but_the_files_key_cannot()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync(ConfigLoader.Parse(FileConfig(fake.Url), "c.yaml"), masterKey: MasterKey);
        var (status, key, _) = await SendAsync(gw, HttpMethod.Post, "/admin/v1/providers/file-up/keys", $$"""{"key": "{{RuntimeKey}}", "weight": 2}""");
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("store", key!["origin"]!.GetValue<string>());
        var id = key["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(gw, HttpMethod.Post, "/admin/v1/providers/file-up/keys", $$"""{"key": "{{RuntimeKey}}"}""")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(gw, HttpMethod.Post, "/admin/v1/providers/file-up/keys", $$"""{"key": "{{FileKey}}"}""")).Status);

        string[] KeysUsed(int last) => [.. fake.Requests.TakeLast(last).Select(r => r.Header("authorization")[7..]).Distinct().Order(StringComparer.Ordinal)];
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await ChatAsync(gw, "file-model"));
        }
        Assert.Equal([FileKey, RuntimeKey], KeysUsed(4)); // round robin over both

        var pool = (await SendAsync(gw, HttpMethod.Get, "/admin/v1/providers/file-up/keys")).Body!["data"]!.AsArray();
        Assert.Equal(["file", "store"], pool.Select(k => k!["origin"]!.GetValue<string>()));

        var (disabledStatus, disabled, _) = await SendAsync(gw, HttpMethod.Post, $"/admin/v1/providers/file-up/keys/{id}/disable");
        Assert.Equal(HttpStatusCode.OK, disabledStatus);
        Assert.Equal("disabled", disabled!["state"]!.GetValue<string>());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await ChatAsync(gw, "file-model"));
        }
        Assert.Equal([FileKey], KeysUsed(3));
        Assert.Equal("available", (await SendAsync(gw, HttpMethod.Post, $"/admin/v1/providers/file-up/keys/{id}/enable")).Body!["state"]!.GetValue<string>());

        // The file's key: taken out of rotation at runtime, but not deleted.
        var fileId = UpstreamKey.Fingerprint(FileKey);
        var (deleteFile, refusal, _) = await SendAsync(gw, HttpMethod.Delete, $"/admin/v1/providers/file-up/keys/{fileId}");
        Assert.Equal(HttpStatusCode.Conflict, deleteFile);
        Assert.Contains("config file", refusal!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("disabled", (await SendAsync(gw, HttpMethod.Post, $"/admin/v1/providers/file-up/keys/{fileId}/disable")).Body!["state"]!.GetValue<string>());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await ChatAsync(gw, "file-model"));
        }
        Assert.Equal([RuntimeKey], KeysUsed(3));
        await SendAsync(gw, HttpMethod.Post, $"/admin/v1/providers/file-up/keys/{fileId}/enable");

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(gw, HttpMethod.Delete, $"/admin/v1/providers/file-up/keys/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gw, HttpMethod.Delete, $"/admin/v1/providers/file-up/keys/{id}")).Status);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await ChatAsync(gw, "file-model"));
        }
        Assert.Equal([FileKey], KeysUsed(3));
    }

    [Fact]
    public async Task Bad_changes_are_refused_naming_the_field_and_the_files_objects_are_not_changed()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync(ConfigLoader.Parse(FileConfig(fake.Url), "c.yaml"), masterKey: MasterKey);
        async Task Refused(HttpMethod method, string path, string? json, HttpStatusCode expected, string message, string? param = null)
        {
            var (status, body, _) = await SendAsync(gw, method, path, json);
            Assert.True(status == expected, $"{method} {path}: {status} {body}");
            Assert.Contains(message, body!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            if (param is not null)
            {
                Assert.Equal(param, body["error"]!["param"]!.GetValue<string>());
            }
        }
        await Refused(HttpMethod.Post, "/admin/v1/providers", """{"name": "x", "type": "openai", "base_url": "ftp://nope", "keys": ["sk-a-0123456789"]}""",
            HttpStatusCode.BadRequest, "base_url: 'ftp://nope' is not an absolute http(s) URL", "base_url");
        await Refused(HttpMethod.Post, "/admin/v1/providers", """{"name": "x", "type": "openai", "keys": ["sk-a-0123456789"], "colour": "red"}""",
            HttpStatusCode.BadRequest, "unknown key 'colour'", "colour");
        await Refused(HttpMethod.Post, "/admin/v1/providers", """{"name": "x", "type": "openai"}""", HttpStatusCode.BadRequest, "needs at least one API key", "keys");
        await Refused(HttpMethod.Post, "/admin/v1/providers", """{"name": "x", "type": "openai", "keys": [{"key": "sk-a-0123456789", "weight": -1}]}""",
            HttpStatusCode.BadRequest, "keys[0].weight: '-1' is not a whole number", "keys[0].weight");
        await Refused(HttpMethod.Post, "/admin/v1/providers", """{"name": "a b", "type": "mock"}""", HttpStatusCode.BadRequest, "'name' must be", "name");
        await Refused(HttpMethod.Post, "/admin/v1/providers", "[1]", HttpStatusCode.BadRequest, "The body must be a JSON object");
        await Refused(HttpMethod.Post, "/admin/v1/providers", """{"name": "file-up", "type": "mock"}""", HttpStatusCode.Conflict, "defined in the config file");
        await Refused(HttpMethod.Patch, "/admin/v1/providers/file-up", """{"max_failures": 5}""", HttpStatusCode.Conflict, "defined in the config file");
        await Refused(HttpMethod.Delete, "/admin/v1/providers/file-up", null, HttpStatusCode.Conflict, "defined in the config file");
        await Refused(HttpMethod.Patch, "/admin/v1/providers/nope", "{}", HttpStatusCode.NotFound, "No provider 'nope'");
        await Refused(HttpMethod.Post, "/admin/v1/providers/nope/keys", """{"key": "sk-a-0123456789"}""", HttpStatusCode.NotFound, "No provider 'nope'");
        await Refused(HttpMethod.Post, "/admin/v1/providers/file-up/keys", """{"weight": 1}""", HttpStatusCode.BadRequest, "'key' is required", "key");
        await Refused(HttpMethod.Post, "/admin/v1/routes", """{"model": "m", "targets": [{"provider": "ghost"}]}""", HttpStatusCode.BadRequest,
            "targets[0].provider: unknown provider 'ghost'", "targets[0].provider");
        await Refused(HttpMethod.Post, "/admin/v1/routes", """{"targets": [{"provider": "mock"}]}""", HttpStatusCode.BadRequest, "'model' is required", "model");
        await Refused(HttpMethod.Post, "/admin/v1/routes", """{"model": "file-model", "targets": [{"provider": "mock"}]}""", HttpStatusCode.Conflict, "defined in the config file");
        await Refused(HttpMethod.Delete, "/admin/v1/routes/file-model", null, HttpStatusCode.Conflict, "defined in the config file");
        await Refused(HttpMethod.Patch, "/admin/v1/routes/none", "{}", HttpStatusCode.NotFound, "No route 'none'");

        // A store provider that a route uses cannot go until the route does.
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(gw, HttpMethod.Post, "/admin/v1/providers", """{"name": "m2", "type": "mock"}""")).Status);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(gw, HttpMethod.Post, "/admin/v1/routes", """{"model": "vendor/model-*", "targets": [{"provider": "m2"}]}""")).Status);
        await Refused(HttpMethod.Delete, "/admin/v1/providers/m2", null, HttpStatusCode.Conflict, "target of the route(s) 'vendor/model-*'");
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(gw, "vendor/model-7"));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw, HttpMethod.Get, "/admin/v1/routes/" + Uri.EscapeDataString("vendor/model-*"))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(gw, HttpMethod.Delete, "/admin/v1/routes/" + Uri.EscapeDataString("vendor/model-*"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, await ChatAsync(gw, "vendor/model-7"));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(gw, HttpMethod.Delete, "/admin/v1/providers/m2")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gw, HttpMethod.Get, "/admin/v1/providers/m2")).Status);
    }

    [Fact]
    public async Task Without_a_master_key_no_credential_is_stored_and_the_answer_says_how_to_set_one()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync(ConfigLoader.Parse(FileConfig(fake.Url), "c.yaml"));
        var (status, body, _) = await SendAsync(gw, HttpMethod.Post, "/admin/v1/providers", $$"""{"name": "r", "type": "openai", "keys": ["{{RuntimeKey}}"]}""");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("SWITCHYARD_MASTER_KEY is not set", body!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("switchyard master-key new", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(gw, HttpMethod.Post, "/admin/v1/providers/file-up/keys", $$"""{"key": "{{RuntimeKey}}"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gw, HttpMethod.Get, "/admin/v1/providers/r")).Status);
        // What holds no credential needs no key: a mock provider, a route.
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(gw, HttpMethod.Post, "/admin/v1/providers", """{"name": "m", "type": "mock"}""")).Status);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(gw, HttpMethod.Post, "/admin/v1/routes", """{"model": "m-*", "targets": [{"provider": "m"}]}""")).Status);
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(gw, "m-1"));
        await using var c = await gw.Services.GetRequiredService<Store>().OpenConnectionAsync(default);
        Assert.Equal(0L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM provider_keys"));
    }

    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task Changes_carry_a_version_so_of_two_concurrent_edits_one_wins_and_the_other_is_told(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        await using var gw = await Gateway.StartAsync(ConfigLoader.Parse(Gateway.AnyModelToMock, "c.yaml") with { Storage = db.Options }, masterKey: MasterKey);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(gw, HttpMethod.Post, "/admin/v1/providers", """{"name": "m", "type": "mock", "max_failures": 3}""")).Status);
        var (_, _, read) = await SendAsync(gw, HttpMethod.Get, "/admin/v1/providers/m");
        var tag = read.Headers.ETag!.ToString();
        Assert.Equal("\"1\"", tag);

        var edits = await Task.WhenAll(Enumerable.Range(2, 6).Select(n => SendAsync(gw, HttpMethod.Patch, "/admin/v1/providers/m", $$"""{"max_failures": {{n}}}""", tag)));
        Assert.Single(edits, e => e.Status == HttpStatusCode.OK);
        Assert.All(edits.Where(e => e.Status != HttpStatusCode.OK), e =>
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, e.Status);
            Assert.Contains("changed since it was read", e.Body!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        });
        var winner = edits.Single(e => e.Status == HttpStatusCode.OK);
        Assert.Equal("\"2\"", winner.Response.Headers.ETag!.ToString());
        var now = (await SendAsync(gw, HttpMethod.Get, "/admin/v1/providers/m")).Body!;
        Assert.Equal(winner.Body!["max_failures"]!.GetValue<int>(), now["max_failures"]!.GetValue<int>());
        Assert.Equal(2, now["version"]!.GetValue<long>());

        // A merge patch: null removes a field (back to its default), and a stale delete is refused too.
        var (patched, body, _) = await SendAsync(gw, HttpMethod.Patch, "/admin/v1/providers/m", """{"max_failures": null, "key_strategy": "random"}""", "\"2\"");
        Assert.Equal(HttpStatusCode.OK, patched);
        Assert.Equal(3, body!["max_failures"]!.GetValue<int>());
        Assert.Equal("random", body["key_strategy"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await SendAsync(gw, HttpMethod.Delete, "/admin/v1/providers/m", null, "\"2\"")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(gw, HttpMethod.Delete, "/admin/v1/providers/m", null, "yesterday")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(gw, HttpMethod.Delete, "/admin/v1/providers/m", null, "\"3\"")).Status);
    }

    [Fact]
    public async Task A_reload_of_the_file_keeps_the_store_objects_and_the_file_wins_where_both_name_one()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        var dir = Directory.CreateTempSubdirectory("sy-overlay").FullName;
        var path = Path.Combine(dir, "switchyard.yaml");
        await File.WriteAllTextAsync(path, FileConfig(fake.Url));
        await using (var gw = await Gateway.StartFromFileAsync(path))
        {
            Assert.Equal(HttpStatusCode.Created, (await SendAsync(gw, HttpMethod.Post, "/admin/v1/providers", """{"name": "m2", "type": "mock"}""")).Status);
            Assert.Equal(HttpStatusCode.Created, (await SendAsync(gw, HttpMethod.Post, "/admin/v1/routes", """{"model": "store-model", "targets": [{"provider": "m2"}]}""")).Status);

            // The file now defines a route of the same name (to another provider) and drops nothing the store needs.
            await File.WriteAllTextAsync(path, FileConfig(fake.Url) + "\n  - {model: store-model, targets: [{provider: file-up}]}\n");
            var reload = JsonNode.Parse(await (await gw.Client.PostAsync("/providers/reload", null)).Content.ReadAsStringAsync())!;
            Assert.Equal("reloaded", reload["status"]!.GetValue<string>());
            var list = (await SendAsync(gw, HttpMethod.Get, "/admin/v1/routes")).Body!;
            Assert.Equal(["file-model:file", "store-model:file"], list["data"]!.AsArray().Select(r => $"{r!["model"]}:{r["origin"]}"));
            Assert.Contains(list["problems"]!.AsArray(), p => p!.GetValue<string>().Contains("'store-model' is shadowed by the config file", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.OK, await ChatAsync(gw, "store-model"));
            Assert.Equal("/v1/chat/completions", fake.Requests.Last().Path); // served by the file's target
            Assert.Contains((await SendAsync(gw, HttpMethod.Get, "/admin/v1/providers")).Body!["data"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "m2");

            // The file gives the name up again: the store's route is back in force.
            await File.WriteAllTextAsync(path, FileConfig(fake.Url));
            await gw.Client.PostAsync("/providers/reload", null);
            Assert.Equal("store", (await SendAsync(gw, HttpMethod.Get, "/admin/v1/routes/store-model")).Body!["origin"]!.GetValue<string>());
        }
        Directory.Delete(dir, recursive: true);
    }
}
