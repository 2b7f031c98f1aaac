using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Switchyard.Config;
using Switchyard.Storage;
using Switchyard.Tests.Infrastructure;
using Switchyard.Tests.Storage;
using Xunit;

namespace Switchyard.Tests.Admin;

/// <summary>Every change through the admin API is in the audit log: who, what, before and after (masked), when; queryable and paged.</summary>
public sealed class AuditLogTests
{
    private const string AdminKey = "sk-admin-audit-0123456789";
    private const string JwtSecret = "jwt-audit-signing-key-0123456789abcdef";
    private const string UpstreamKey = "sk-upstream-AUDIT-SECRET-0123456789";

    private static string Token(string subject, string role, string? tenant = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "https://idp.test",
        Claims = new Dictionary<string, object> { ["sub"] = subject, ["role"] = role, ["tenant"] = tenant ?? "" },
        Expires = DateTime.UtcNow.AddMinutes(10),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(JwtSecret)), SecurityAlgorithms.HmacSha256),
    });

    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task Each_change_is_recorded_with_its_actor_and_the_object_before_and_after(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var config = ConfigLoader.Parse($$"""
            auth:
              admin_key: {{AdminKey}}
              jwt: {issuer: https://idp.test, hs256_secret: "{{JwtSecret}}"}
            tenants: [{name: team-a, keys: [sk-team-a-0123456789]}]
            providers: [{name: mock, type: mock}]
            routes: [{model: "*", targets: [{provider: mock}]}]
            """, "audit.yaml") with { Storage = db.Options };
        await using var gw = await Gateway.StartAsync(config, masterKey: CredentialVault.NewKey());
        async Task<(HttpStatusCode Status, JsonNode? Body)> CallAsync(HttpMethod method, string path, string bearer, string? json = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            using var response = await gw.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.StartsWith('{') ? JsonNode.Parse(text) : null);
        }
        var ops = Token("ops-alice", "admin");

        Assert.Equal(HttpStatusCode.Created, (await CallAsync(HttpMethod.Post, "/admin/v1/providers", AdminKey, $$"""{"name": "r", "type": "openai", "keys": ["{{UpstreamKey}}"]}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Patch, "/admin/v1/providers/r", ops, """{"max_failures": 7}""")).Status);
        Assert.Equal(HttpStatusCode.Created, (await CallAsync(HttpMethod.Post, "/admin/v1/routes", ops, """{"model": "gpt-4o", "targets": [{"provider": "r"}]}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(HttpMethod.Post, "/admin/v1/routes", ops, """{"model": "x", "targets": []}""")).Status); // refused: not a change
        Assert.Equal(HttpStatusCode.Created, (await CallAsync(HttpMethod.Post, "/admin/v1/tenants", AdminKey, """{"name": "team-b"}""")).Status);
        var (_, created) = await CallAsync(HttpMethod.Post, "/admin/v1/tenants/team-a/keys", Token("lead-bob", "tenant_admin", "team-a"), """{"name": "ci"}""");
        var virtualKey = created!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Post, $"/admin/v1/keys/{created["id"]}/revoke", AdminKey)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await CallAsync(HttpMethod.Delete, "/admin/v1/routes/gpt-4o", AdminKey)).Status);

        var (status, page) = await CallAsync(HttpMethod.Get, "/admin/v1/audit", AdminKey);
        Assert.Equal(HttpStatusCode.OK, status);
        var entries = page!["data"]!.AsArray();
        Assert.Equal(["route.delete:admin key", "vkey.revoke:admin key", "vkey.create:jwt:lead-bob", "tenant.create:admin key", "route.create:jwt:ops-alice",
            "provider.update:jwt:ops-alice", "provider.create:admin key"], entries.Select(e => $"{e!["action"]}:{e["actor"]}"));
        var update = entries.Single(e => e!["action"]!.GetValue<string>() == "provider.update")!;
        Assert.Equal("provider/r", update["target"]!.GetValue<string>());
        Assert.Equal(3, update["before"]!["max_failures"]!.GetValue<int>());
        Assert.Equal(7, update["after"]!["max_failures"]!.GetValue<int>());
        Assert.Null(entries.Single(e => e!["action"]!.GetValue<string>() == "route.delete")!["after"]);
        Assert.Equal("team-a", entries.Single(e => e!["action"]!.GetValue<string>() == "vkey.create")!["tenant"]!.GetValue<string>());
        var all = page.ToJsonString();
        Assert.DoesNotContain(UpstreamKey, all, StringComparison.Ordinal);
        Assert.DoesNotContain(virtualKey, all, StringComparison.Ordinal);

        // Filters and pages.
        var provider = (await CallAsync(HttpMethod.Get, "/admin/v1/audit?target=provider/r", AdminKey)).Body!["data"]!.AsArray();
        Assert.Equal(["provider.update", "provider.create"], provider.Select(e => e!["action"]!.GetValue<string>()));
        Assert.Equal(2, (await CallAsync(HttpMethod.Get, "/admin/v1/audit?actor=jwt:ops-alice", AdminKey)).Body!["data"]!.AsArray().Count);
        var first = (await CallAsync(HttpMethod.Get, "/admin/v1/audit?limit=4", AdminKey)).Body!;
        var second = (await CallAsync(HttpMethod.Get, $"/admin/v1/audit?limit=4&cursor={first["next_cursor"]}", AdminKey)).Body!;
        Assert.Equal(entries.Select(e => e!["id"]!.GetValue<long>()),
            first["data"]!.AsArray().Concat(second["data"]!.AsArray()).Select(e => e!["id"]!.GetValue<long>()));
        Assert.Null(second["next_cursor"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(HttpMethod.Get, "/admin/v1/audit?cursor=abc", AdminKey)).Status);

        // A tenant admin reads its own tenant's entries only.
        var lead = Token("lead-bob", "tenant_admin", "team-a");
        var own = (await CallAsync(HttpMethod.Get, "/admin/v1/audit", lead)).Body!["data"]!.AsArray();
        Assert.Equal(["vkey.revoke", "vkey.create"], own.Select(e => e!["action"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(HttpMethod.Get, "/admin/v1/audit?tenant=team-b", lead)).Status);
    }
}
