using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Switchyard.Tests.Storage;
using Xunit;

namespace Switchyard.Tests.Tenancy;

/// <summary>
/// Every secret the gateway holds or sees — upstream keys, static and virtual gateway keys, the admin key, the JWT
/// secret and tokens, credentials inside prompts — is searched for in the database (file and tables), the file log
/// and every admin API answer after real traffic, failures included: none appears in clear.
/// </summary>
public sealed class SecretsScanTests
{
    private const string UpstreamKey = "sk-upstream-SECRET-0123456789abcdef";
    private const string TenantKey = "sk-team-a-SECRET-0123456789abcdef";
    private const string AdminKey = "sk-admin-SECRET-0123456789abcdef";
    private const string JwtSecret = "jwt-SECRET-signing-key-0123456789abcdef";
    private const string PromptKey = "sk-proj-PROMPTSECRET0123456789abcdefXYZ";
    private const string RuntimeKey = "sk-runtime-SECRET-0123456789abcdef";
    private const string RuntimeProviderKey = "sk-runtime2-SECRET-0123456789abcdef";
    private const string HeaderToken = "hdr-SECRET-token-0123456789abcdef";
    private static readonly string MasterKey = Switchyard.Storage.CredentialVault.NewKey();

    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task No_secret_appears_in_clear_in_the_store_the_log_or_any_admin_answer(string dialect)
    {
        // The upstream echoes the key it was given in its error, as some providers do.
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => req.Json["messages"]![0]!["content"]!.GetValue<string>().Contains("fail", StringComparison.Ordinal)
            ? FakeUpstream.Json("{\"error\":{\"message\":\"Incorrect API key provided: " + ctx.Request.Headers.Authorization.ToString()[7..]
                + "\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}", 401)(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req));
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var dir = Path.Combine(Path.GetTempPath(), $"sy-scan-{Guid.NewGuid():N}");
        var logFile = Path.Combine(dir, "requests.jsonl");
        var config = ConfigLoader.Parse($$"""
            server: {request_log: "{{logFile}}"}
            auth:
              admin_key: {{AdminKey}}
              jwt: {issuer: https://idp.test, hs256_secret: "{{JwtSecret}}"}
            tenants:
              - {name: team-a, keys: [{{TenantKey}}], capture_bodies: true}
            providers: [{name: up, type: openai, base_url: "{{fake.Url}}/v1", keys: ["{{UpstreamKey}}"], max_failures: 100}]
            routes: [{model: "*", targets: [{provider: up}]}]
            """, "scan.yaml") with { Storage = db.Options };

        var jwt = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://idp.test",
            Claims = new Dictionary<string, object> { ["sub"] = "svc", ["tenant"] = "team-a" },
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(JwtSecret)), SecurityAlgorithms.HmacSha256),
        });
        var secrets = new List<string> { UpstreamKey, TenantKey, AdminKey, JwtSecret, PromptKey, jwt, RuntimeKey, RuntimeProviderKey, HeaderToken, MasterKey };
        var answers = new StringBuilder();
        await using (var gw = await Gateway.StartAsync(config, masterKey: MasterKey))
        {
            async Task<string> SendAsync(HttpMethod method, string path, string? bearer, string? json = null)
            {
                var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
                if (bearer is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
                }
                using var response = await gw.Client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                answers.AppendLine(text).AppendLine(response.Headers.ToString());
                return text;
            }
            var created = JsonNode.Parse(await SendAsync(HttpMethod.Post, "/admin/v1/tenants/team-a/keys", AdminKey, "{}"))!;
            var virtualKey = created["key"]!.GetValue<string>();
            answers.Replace(virtualKey, ""); // the one answer that must show it: the key's creation
            secrets.Add(virtualKey);
            // Credentials added at runtime: a key in the file provider's pool, a provider with its key and a header token.
            await SendAsync(HttpMethod.Post, "/admin/v1/providers/up/keys", AdminKey, $$"""{"key": "{{RuntimeKey}}"}""");
            await SendAsync(HttpMethod.Post, "/admin/v1/providers", AdminKey,
                $$"""{"name": "up2", "type": "openai", "base_url": "{{fake.Url}}/v1", "keys": ["{{RuntimeProviderKey}}"], "headers": {"X-Token": "{{HeaderToken}}"}, "max_failures": 100}""");
            await SendAsync(HttpMethod.Post, "/admin/v1/routes", AdminKey, """{"model": "runtime-model", "targets": [{"provider": "up2"}]}""");
            await SendAsync(HttpMethod.Post, "/v1/chat/completions", TenantKey, """{"model":"runtime-model","messages":[{"role":"user","content":"hi"}]}""");
            await SendAsync(HttpMethod.Post, "/v1/chat/completions", TenantKey, """{"model":"runtime-model","messages":[{"role":"user","content":"please fail"}]}""");
            foreach (var key in new[] { TenantKey, virtualKey, jwt })
            {
                await SendAsync(HttpMethod.Post, "/v1/chat/completions", key, $$"""{"model":"gpt-4o","messages":[{"role":"user","content":"my key is {{PromptKey}}, also {{UpstreamKey}}"}]}""");
                await SendAsync(HttpMethod.Post, "/v1/chat/completions", key, """{"model":"gpt-4o","messages":[{"role":"user","content":"please fail"}]}""");
            }
            await SendAsync(HttpMethod.Post, "/v1/chat/completions", TenantKey + "x", """{"model":"gpt-4o","messages":[]}"""); // a wrong key
            await Task.Delay(300); // the log writers gather for 20 ms
            foreach (var path in new[] { "/admin/v1/tenants", "/admin/v1/tenants/team-a", "/admin/v1/tenants/team-a/keys", "/admin/v1/usage?group_by=key,user",
                "/admin/v1/logs?limit=1000", "/providers", "/admin/routes", "/metrics", "/admin/v1/providers", "/admin/v1/providers/up", "/admin/v1/providers/up2",
                "/admin/v1/providers/up/keys", "/admin/v1/providers/up2/keys", "/admin/v1/routes" })
            {
                await SendAsync(HttpMethod.Get, path, AdminKey);
            }
            var logs = JsonNode.Parse(await SendAsync(HttpMethod.Get, "/admin/v1/logs?limit=1000", AdminKey))!["data"]!.AsArray();
            Assert.Contains(logs, l => l!["body"]?.GetValue<string>().Contains("my key is sk-p***", StringComparison.Ordinal) == true); // captured, masked
            Assert.Contains(logs, l => l!["status"]!.GetValue<int>() == 401 && l["error"] is not null);
            Assert.Contains(logs, l => l!["model"]!.GetValue<string>() == "runtime-model" && l["status"]!.GetValue<int>() == 200);
            Assert.Equal(2, fake.Requests.Count(r => r.Header("authorization") == "Bearer " + RuntimeProviderKey && r.Header("x-token") == HeaderToken));
        }

        var places = new Dictionary<string, string> { ["admin and client answers"] = answers.ToString(), ["file log"] = await File.ReadAllTextAsync(logFile) };
        await using (var c = await db.Store.OpenConnectionAsync(default))
        {
            var tables = dialect == "sqlite"
                ? await c.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table'")
                : await c.QueryAsync<string>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
            foreach (var table in tables)
            {
                var rows = await c.QueryAsync(dialect == "sqlite" ? $"SELECT * FROM \"{table}\"" : $"SELECT to_jsonb(t)::text AS row FROM \"{table}\" t");
                places[$"table {table}"] = string.Join("\n", rows.Select(r => string.Join("|", ((IDictionary<string, object?>)r).Values)));
            }
        }
        if (dialect == "sqlite")
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(db.Options.Path)!))
            {
                places[$"file {Path.GetFileName(file)}"] = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file));
            }
        }
        Assert.Contains("table request_log", places.Keys);
        foreach (var (place, text) in places)
        {
            foreach (var secret in secrets)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{place} holds a secret in clear: {secret[..6]}…");
            }
        }
        Directory.Delete(dir, recursive: true);
    }
}
