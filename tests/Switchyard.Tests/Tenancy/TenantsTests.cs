using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Switchyard.Config;
using Switchyard.Tenancy;
using Switchyard.Tests.Infrastructure;
using Switchyard.Tests.Storage;
using Xunit;

namespace Switchyard.Tests.Tenancy;

/// <summary>Tenants from the file and from the admin API, their static and virtual keys, and the models they may use.</summary>
public sealed class TenantsTests
{
    private const string FileTenants = """
        auth:
          keys: [sk-default-key-1]
        tenants:
          - name: team-a
            keys: [sk-team-a-key-1, "${UNSET_KEY:-}"]
            models: ["gpt-*", "claude-*"]
          - name: team-b
        providers: [{name: mock, type: mock}]
        routes: [{model: "*", targets: [{provider: mock}]}]
        """;

    private static HttpRequestMessage Chat(string client, string model, string? key)
    {
        var (path, body) = client switch
        {
            "openai" => ("/v1/chat/completions", $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}"""),
            "anthropic" => ("/v1/messages", $$"""{"model":"{{model}}","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"""),
            _ => ($"/v1beta/models/{model}:generateContent", """{"contents":[{"parts":[{"text":"hi"}]}]}"""),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return request;
    }

    [Fact]
    public void File_tenants_are_read_with_auth_keys_as_the_tenant_default()
    {
        var config = ConfigLoader.Parse(FileTenants, "t.yaml", _ => null);
        Assert.Equal(["default", "team-a", "team-b"], config.Tenants.Select(t => t.Name));
        Assert.Equal(["sk-team-a-key-1"], config.Tenants[1].Keys.ToArray()); // the unset variable adds no key
        Assert.Equal(["*"], config.Tenants[2].Models.ToArray());
        Assert.True(config.Tenants[1].Allows("GPT-4o"));
        Assert.False(config.Tenants[1].Allows("gemini-2.5-pro"));
        Assert.Contains("sk-team-a-key-1", config.Secrets());
    }

    [Theory]
    [InlineData("auth: {keys: [k-shared-1]}\ntenants: [{name: a, keys: [k-shared-1]}]\n", "t.yaml:2:28: tenants[0].keys[0]: this key already belongs to auth.keys")]
    [InlineData("tenants: [{name: a, keys: [k1]}, {name: b, keys: [k1]}]\n", "tenants[1].keys[0]: this key already belongs to tenants[0].keys[0]")]
    [InlineData("auth: {keys: [k1]}\ntenants: [{name: default}]\n", "tenants[0].name: 'default' is the tenant of auth.keys")]
    [InlineData("tenants: [{name: a}, {name: a}]\n", "tenants[1].name: the tenant name 'a' is used twice.")]
    [InlineData("tenants: [{name: Team A}]\n", "tenants[0].name: 'Team A' is not a tenant name")]
    [InlineData("tenants: [{name: a, models: gpt-4o}]\n", "tenants[0].models: must be a list.")]
    public void Tenant_mistakes_are_named_without_showing_the_key(string tenants, string message)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(tenants + "providers: [{name: m, type: mock}]\n", "t.yaml"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("k-shared-1", error.Message.Replace("'k-shared-1'", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("openai", "permission_error")]
    [InlineData("anthropic", "permission_error")]
    [InlineData("gemini", "PERMISSION_DENIED")]
    public async Task A_tenant_key_serves_its_models_and_a_model_outside_them_is_a_403_in_the_clients_shape(string client, string type)
    {
        await using var gw = await Gateway.StartAsync(FileTenants);
        using var ok = await gw.Client.SendAsync(Chat(client, "gpt-4o", "sk-team-a-key-1"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var denied = await gw.Client.SendAsync(Chat(client, "gemini-2.5-pro", "sk-team-a-key-1"));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var text = await denied.Content.ReadAsStringAsync();
        Assert.Contains(type, text, StringComparison.Ordinal);
        Assert.Contains("The tenant 'team-a' may not use the model 'gemini-2.5-pro' (allowed: gpt-*, claude-*).", text, StringComparison.Ordinal);
        using var anyModel = await gw.Client.SendAsync(Chat(client, "gemini-2.5-pro", "sk-default-key-1"));
        Assert.Equal(HttpStatusCode.OK, anyModel.StatusCode);
        using var wrong = await gw.Client.SendAsync(Chat(client, "gpt-4o", "sk-team-a-key-2"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task A_virtual_key_created_through_the_admin_API_works_at_once_is_never_shown_again_and_stops_on_revoke(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var config = ConfigLoader.Parse(Gateway.AnyModelToMock, "t.yaml") with { Storage = db.Options };
        string key, id;
        await using (var gw = await Gateway.StartAsync(config))
        {
            // Open (loopback, no key anywhere) until the first key exists.
            using (var open = await gw.Client.SendAsync(Chat("openai", "gpt-4o", null)))
            {
                Assert.Equal(HttpStatusCode.OK, open.StatusCode);
            }
            using var tenant = await gw.PostJsonAsync("/admin/v1/tenants", """{"name":"team-c","models":["claude-*"]}""");
            Assert.Equal(HttpStatusCode.Created, tenant.StatusCode);
            Assert.Equal("store", JsonNode.Parse(await tenant.Content.ReadAsStringAsync())!["origin"]!.GetValue<string>());
            using var again = await gw.PostJsonAsync("/admin/v1/tenants", """{"name":"team-c"}""");
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

            using var created = await gw.PostJsonAsync("/admin/v1/tenants/team-c/keys", """{"name":"ci"}""");
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
            key = body["key"]!.GetValue<string>();
            id = body["id"]!.GetValue<string>();
            Assert.Matches("^sk-sy-[0-9A-Za-z]{40}$", key);
            Assert.Equal(key[..12], body["prefix"]!.GetValue<string>());

            using (var served = await gw.Client.SendAsync(Chat("anthropic", "claude-sonnet-4-5", key)))
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            }
            using (var outside = await gw.Client.SendAsync(Chat("anthropic", "gpt-4o", key)))
            {
                Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
            }
            using (var closed = await gw.Client.SendAsync(Chat("openai", "claude-x", null)))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, closed.StatusCode); // a key exists: the gateway is no longer open
            }
            var list = await gw.Client.GetStringAsync("/admin/v1/tenants/team-c/keys");
            Assert.DoesNotContain(key, list, StringComparison.Ordinal);
            Assert.Equal("active", JsonNode.Parse(list)!["data"]![0]!["state"]!.GetValue<string>());
        }

        // A restart on the same store: the tenant and the key are still there.
        await using (var gw = await Gateway.StartAsync(config))
        {
            using (var served = await gw.Client.SendAsync(Chat("openai", "claude-opus-4", key)))
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            }
            using var revoked = await gw.PostJsonAsync($"/admin/v1/keys/{id}/revoke", "");
            Assert.Equal("revoked", JsonNode.Parse(await revoked.Content.ReadAsStringAsync())!["state"]!.GetValue<string>());
            using var refused = await gw.Client.SendAsync(Chat("openai", "claude-opus-4", key));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode); // effective on the next request
            using var none = await gw.PostJsonAsync("/admin/v1/keys/vk_nope/revoke", "");
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }

        // The store holds the hash and the prefix, never the key.
        await using var c = await db.Store.OpenConnectionAsync(default);
        var rows = await Dapper.SqlMapper.QueryAsync<(string Prefix, string Hash)>(c, "SELECT prefix, hash FROM virtual_keys");
        var row = Assert.Single(rows);
        Assert.Equal(KeyHash.Of(key), row.Hash);
        Assert.DoesNotContain(key, row.Prefix + row.Hash, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> SendJsonAsync(Gateway gw, HttpMethod method, string path, string? json = null) =>
        await gw.Client.SendAsync(new HttpRequestMessage(method, path)
        {
            Content = json is null ? null : new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        });

    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task A_store_tenant_is_changed_and_deleted_at_runtime_and_a_rotated_key_keeps_working_for_its_grace_period(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var config = Switchyard.Config.ConfigLoader.Parse(FileTenants, "t.yaml") with { Storage = db.Options };
        string oldKey, newKey;
        await using (var gw = await Gateway.StartAsync(config, time))
        {
            (await gw.PostJsonAsync("/admin/v1/tenants", """{"name":"team-c","models":["claude-*"]}""")).Dispose();
            using var created = await gw.PostJsonAsync("/admin/v1/tenants/team-c/keys", """{"name":"ci","limits":{"rpm":100}}""");
            var createdBody = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
            oldKey = createdBody["key"]!.GetValue<string>();
            using (var outside = await gw.Client.SendAsync(Chat("openai", "gpt-4o", oldKey)))
            {
                Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
            }

            // PATCH: the new models apply from the next request; what the body leaves out stays.
            using (var patched = await SendJsonAsync(gw, HttpMethod.Patch, "/admin/v1/tenants/team-c", """{"models":["gpt-*"],"limits":{"rpm":5}}"""))
            {
                Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
                var view = JsonNode.Parse(await patched.Content.ReadAsStringAsync())!;
                Assert.Equal(["gpt-*"], view["models"]!.AsArray().Select(m => m!.GetValue<string>()));
                Assert.Equal(5, view["limits"]!["rpm"]!.GetValue<int>());
            }
            using (var inside = await gw.Client.SendAsync(Chat("openai", "gpt-4o", oldKey)))
            {
                Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
            }
            using (var fileTenant = await SendJsonAsync(gw, HttpMethod.Patch, "/admin/v1/tenants/team-a", "{}"))
            {
                Assert.Equal(HttpStatusCode.Conflict, fileTenant.StatusCode);
                Assert.Contains("change it there", await fileTenant.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
            using (var badModels = await SendJsonAsync(gw, HttpMethod.Patch, "/admin/v1/tenants/team-c", """{"models":[]}"""))
            {
                Assert.Equal("models", JsonNode.Parse(await badModels.Content.ReadAsStringAsync())!["error"]!["param"]!.GetValue<string>());
            }

            // Rotate with an hour of grace: both keys work, then only the new one.
            using var rotated = await gw.PostJsonAsync($"/admin/v1/keys/{createdBody["id"]}/rotate", """{"grace_seconds":3600}""");
            Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
            var rotation = JsonNode.Parse(await rotated.Content.ReadAsStringAsync())!;
            newKey = rotation["key"]!["key"]!.GetValue<string>();
            Assert.Equal((createdBody["id"]!.GetValue<string>(), "ci", 100), (rotation["replaces"]!.GetValue<string>(), rotation["key"]!["name"]!.GetValue<string>(),
                rotation["key"]!["limits"]!["rpm"]!.GetValue<int>()));
            Assert.Equal(time.GetUtcNow().AddHours(1), rotation["replaced_key_expires_at"]!.GetValue<DateTimeOffset>());
            foreach (var key in new[] { oldKey, newKey })
            {
                using var during = await gw.Client.SendAsync(Chat("openai", "gpt-4o", key));
                Assert.Equal(HttpStatusCode.OK, during.StatusCode);
            }
            time.Advance(TimeSpan.FromMinutes(61));
            using (var oldAfter = await gw.Client.SendAsync(Chat("openai", "gpt-4o", oldKey)))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, oldAfter.StatusCode);
            }
            using (var newAfter = await gw.Client.SendAsync(Chat("openai", "gpt-4o", newKey)))
            {
                Assert.Equal(HttpStatusCode.OK, newAfter.StatusCode);
            }
            using (var again = await gw.PostJsonAsync($"/admin/v1/keys/{createdBody["id"]}/rotate", "{}"))
            {
                Assert.Equal(HttpStatusCode.NotFound, again.StatusCode); // an expired key is not rotated again
            }
        }

        // A restart keeps the change; deleting the tenant revokes its keys at once.
        await using (var gw = await Gateway.StartAsync(config, time))
        {
            var tenant = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/tenants/team-c"))!;
            Assert.Equal(["gpt-*"], tenant["models"]!.AsArray().Select(m => m!.GetValue<string>()));
            using (var ok = await gw.Client.SendAsync(Chat("openai", "gpt-4o", newKey)))
            {
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }
            using (var deleted = await SendJsonAsync(gw, HttpMethod.Delete, "/admin/v1/tenants/team-c"))
            {
                Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            }
            using (var refused = await gw.Client.SendAsync(Chat("openai", "gpt-4o", newKey)))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }
            using (var gone = await SendJsonAsync(gw, HttpMethod.Delete, "/admin/v1/tenants/team-c"))
            {
                Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            }
            using (var fileDelete = await SendJsonAsync(gw, HttpMethod.Delete, "/admin/v1/tenants/team-a"))
            {
                Assert.Equal(HttpStatusCode.Conflict, fileDelete.StatusCode);
            }
        }
        await using var c = await db.Store.OpenConnectionAsync(default);
        Assert.Equal(0L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT COUNT(*) FROM tenants"));
        Assert.Equal((2L, 2L), await Dapper.SqlMapper.QuerySingleAsync<(long, long)>(c,
            "SELECT COUNT(*), COUNT(revoked_at) FROM virtual_keys WHERE tenant = 'team-c'")); // both keys kept, revoked (their rows still name them)
    }

    [Fact]
    public async Task An_expired_key_is_refused_and_admin_validation_names_the_field()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var gw = await Gateway.StartAsync(FileTenants, time);
        using var bad = await gw.PostJsonAsync("/admin/v1/tenants", """{"name":"Team C!"}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("name", JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["error"]!["param"]!.GetValue<string>());
        using var fileTenant = await gw.PostJsonAsync("/admin/v1/tenants", """{"name":"team-a"}""");
        Assert.Equal(HttpStatusCode.Conflict, fileTenant.StatusCode);
        using var past = await gw.PostJsonAsync("/admin/v1/tenants/team-b/keys", """{"expires_at":"2026-11-30T00:00:00Z"}""");
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
        using var missing = await gw.PostJsonAsync("/admin/v1/tenants/team-z/keys", "{}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var created = await gw.PostJsonAsync("/admin/v1/tenants/team-b/keys", """{"expires_at":"2026-12-01T01:00:00Z"}""");
        var key = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
        using (var served = await gw.Client.SendAsync(Chat("gemini", "gemini-2.5-pro", key)))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode); // a file tenant may have virtual keys too
        }
        time.Advance(TimeSpan.FromHours(2));
        using var expired = await gw.Client.SendAsync(Chat("gemini", "gemini-2.5-pro", key));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        var tenants = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/tenants"))!["data"]!.AsArray();
        Assert.Equal(["default:file", "team-a:file", "team-b:file"], tenants.Select(t => $"{t!["name"]}:{t["origin"]}"));
        Assert.Equal("expired", JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/tenants/team-b/keys"))!["data"]![0]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_request_log_names_the_tenant_and_the_keys_prefix_never_the_key()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"sy-log-{Guid.NewGuid():N}");
        var log = Path.Combine(dir, "requests.jsonl");
        await using (var gw = await Gateway.StartAsync(FileTenants.Replace("auth:", $"server: {{request_log: {log}}}\nauth:", StringComparison.Ordinal)))
        {
            using var created = await gw.PostJsonAsync("/admin/v1/tenants/team-b/keys", "{}");
            var key = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
            using var a = await gw.Client.SendAsync(Chat("openai", "gpt-4o", "sk-team-a-key-1"));
            using var b = await gw.Client.SendAsync(Chat("openai", "gpt-4o", key));
            Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        }
        var lines = File.ReadAllLines(log).Select(l => JsonNode.Parse(l)!).Where(l => l["request_id"] is not null).ToList();
        Assert.Equal(["team-a", "team-b"], lines.Select(l => l["tenant"]!.GetValue<string>()));
        Assert.Equal("sk-t…ey-1", lines[0]["tenant_key"]!.GetValue<string>());
        Assert.StartsWith("sk-sy-", lines[1]["tenant_key"]!.GetValue<string>(), StringComparison.Ordinal);
        var text = File.ReadAllText(log);
        Assert.DoesNotContain("sk-team-a-key-1", text, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }
}
