using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Switchyard.Tests.Storage;
using Xunit;

namespace Switchyard.Tests.Tenancy;

/// <summary>
/// Bearer JWTs of a configured issuer (HS256 secret, RS256 PEM keys, a JWKS file): the tenant and the end user come
/// from claims; a tenant-admin token manages only its own tenant, on every admin endpoint.
/// </summary>
public sealed class JwtTests
{
    private const string Secret = "a-test-signing-secret-of-at-least-32-bytes!";
    private const string Issuer = "https://idp.test";

    private static string Config(string keys = $"hs256_secret: \"{Secret}\"") => $$"""
        auth:
          admin_key: sk-admin-key-1
          jwt:
            issuer: {{Issuer}}
            audience: switchyard
            {{keys}}
            user_claim: email
        tenants:
          - {name: team-a, keys: [sk-team-a-key-1]}
          - {name: team-b, keys: [sk-team-b-key-1], models: ["gpt-*"]}
        providers: [{name: mock, type: mock}]
        routes: [{model: "*", targets: [{provider: mock}]}]
        """;

    private static string Token(SigningCredentials credentials, Dictionary<string, object> claims, string issuer = Issuer, string audience = "switchyard", TimeSpan? lifetime = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = now.AddMinutes(-2),
            NotBefore = now.AddMinutes(-2),
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(10)),
            SigningCredentials = credentials,
        });
    }

    private static readonly SigningCredentials Hs256 = new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret)), SecurityAlgorithms.HmacSha256);

    private static Dictionary<string, object> Claims(string tenant, string? role = null) =>
        role is null ? new() { ["sub"] = "svc-1", ["tenant"] = tenant, ["email"] = "alice@example.com" }
            : new() { ["sub"] = "ops-1", ["tenant"] = tenant, ["role"] = role };

    private static HttpRequestMessage Chat(string token, string model = "gpt-4o")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","user":"someone-else","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static async Task<HttpStatusCode> StatusAsync(Gateway gw, HttpRequestMessage request)
    {
        using var response = await gw.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task An_HS256_token_names_the_tenant_and_the_end_user_and_every_bad_token_is_a_401()
    {
        await using var db = await TestStore.CreateAsync("sqlite", migrate: false);
        await using (var gw = await Gateway.StartAsync(ConfigLoader.Parse(Config(), "j.yaml") with { Storage = db.Options }))
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(gw, Chat(Token(Hs256, Claims("team-b")))));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(gw, Chat(Token(Hs256, Claims("team-b")), "claude-x"))); // team-b's models apply
            var wrongKey = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-secret-of-at-least-32-bytes-long")), SecurityAlgorithms.HmacSha256);
            foreach (var bad in new[]
            {
                Token(wrongKey, Claims("team-a")),                                 // signature
                Token(Hs256, Claims("team-a"), issuer: "https://evil.test"),       // issuer
                Token(Hs256, Claims("team-a"), audience: "someone-else"),          // audience
                Token(Hs256, Claims("team-a"), lifetime: TimeSpan.FromMinutes(-1)),// expired
                Token(Hs256, Claims("team-z")),                                    // no such tenant
                Token(Hs256, new() { ["sub"] = "svc-1" }),                         // no tenant claim
                "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",                            // alg none, unsigned
            })
            {
                using var response = await gw.Client.SendAsync(Chat(bad));
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }
        }
        await using var c = await db.Store.OpenConnectionAsync(default);
        var first = await c.QueryFirstAsync<(string Tenant, string Key, string User)>("SELECT tenant, tenant_key, end_user FROM request_log ORDER BY id");
        Assert.Equal(("team-b", "jwt:svc-1", "alice@example.com"), first); // the token's user wins over the body's
        var stored = string.Join("|", await c.QueryAsync<string>("SELECT COALESCE(tenant_key, '') || COALESCE(error, '') || trail FROM request_log"));
        Assert.DoesNotContain(Secret, stored, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", stored, StringComparison.Ordinal); // no token is logged
    }

    [Fact]
    public async Task RS256_keys_come_from_PEM_files_or_a_JWKS_file()
    {
        using var rsa = RSA.Create(2048);
        var dir = Path.Combine(Path.GetTempPath(), $"sy-jwt-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var pem = Path.Combine(dir, "idp.pem");
        await File.WriteAllTextAsync(pem, rsa.ExportSubjectPublicKeyInfoPem());
        var signing = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256);
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "k1" });
        var jwks = Path.Combine(dir, "jwks.json");
        await File.WriteAllTextAsync(jwks, $$"""{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"{{jwk.N}}","e":"{{jwk.E}}"}]}""");
        try
        {
            foreach (var keys in new[] { $"public_keys: [\"{pem}\"]", $"jwks_file: \"{jwks}\"" })
            {
                await using var gw = await Gateway.StartAsync(Config(keys));
                Assert.Equal(HttpStatusCode.OK, await StatusAsync(gw, Chat(Token(signing, Claims("team-a")))));
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gw, Chat(Token(Hs256, Claims("team-a")))));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("jwt: {issuer: x}", "auth.jwt: give exactly one of hs256_secret, public_keys (PEM files) or jwks_file")]
    [InlineData("jwt: {issuer: x, hs256_secret: short}", "auth.jwt.hs256_secret: an HS256 secret must be at least 32 bytes")]
    [InlineData("jwt: {issuer: x, public_keys: [/nonexistent.pem]}", "auth.jwt.public_keys[0]: cannot read '/nonexistent.pem'")]
    [InlineData("jwt: {hs256_secret: a-test-signing-secret-of-at-least-32-bytes!}", "auth.jwt.issuer: 'issuer' is required")]
    public void JWT_configuration_mistakes_are_named(string jwt, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"auth:\n  {jwt}\nproviders: [{{name: m, type: mock}}]", "j.yaml"));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The admin endpoints a tenant admin may call (each confines it to its tenant; the test below checks how).</summary>
    private static readonly string[] TenantScoped =
    [
        "GET /admin/v1/tenants", "GET /admin/v1/tenants/{name}", "GET /admin/v1/tenants/{name}/keys", "POST /admin/v1/tenants/{name}/keys",
        "POST /admin/v1/keys/{id}/revoke", "POST /admin/v1/keys/{id}/rotate", "GET /admin/v1/usage", "GET /admin/v1/logs", "GET /admin/v1/audit",
    ];

    [Fact]
    public async Task A_tenant_admin_token_manages_only_its_own_tenant_on_every_admin_endpoint()
    {
        await using var gw = await Gateway.StartAsync(Config());
        var tenantAdmin = Token(Hs256, Claims("team-a", "tenant_admin"));
        var admin = Token(Hs256, Claims("team-a", "admin"));
        async Task<(HttpStatusCode Status, JsonNode? Body)> CallAsync(HttpMethod method, string path, string token, string? json = null)
        {
            var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await gw.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.StartsWith('{') ? JsonNode.Parse(text) : null);
        }

        // Traffic of both tenants, and a key of each.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gw, Chat(Token(Hs256, Claims("team-a")))));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gw, Chat(Token(Hs256, Claims("team-b")))));
        var keyB = (await CallAsync(HttpMethod.Post, "/admin/v1/tenants/team-b/keys", "sk-admin-key-1", "{}")).Body!["id"]!.GetValue<string>();
        var (createdOwn, ownKey) = await CallAsync(HttpMethod.Post, "/admin/v1/tenants/team-a/keys", tenantAdmin, "{}");
        Assert.Equal(HttpStatusCode.Created, createdOwn);
        var keyA = ownKey!["id"]!.GetValue<string>();

        // Its own tenant: allowed.
        Assert.Equal(["team-a"], (await CallAsync(HttpMethod.Get, "/admin/v1/tenants", tenantAdmin)).Body!["data"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Get, "/admin/v1/tenants/team-a", tenantAdmin)).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Get, "/admin/v1/tenants/team-a/keys", tenantAdmin)).Status);
        Assert.Equal(HttpStatusCode.Created, (await CallAsync(HttpMethod.Post, $"/admin/v1/keys/{keyA}/rotate", tenantAdmin, "{}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Post, $"/admin/v1/keys/{keyA}/revoke", tenantAdmin)).Status);
        await Task.Delay(300); // the request log's writer gathers for 20 ms
        var usage = (await CallAsync(HttpMethod.Get, "/admin/v1/usage?group_by=tenant", tenantAdmin)).Body!["data"]!.AsArray();
        Assert.Equal(["team-a"], usage.Select(u => u!["tenant"]!.GetValue<string>()));
        var logs = (await CallAsync(HttpMethod.Get, "/admin/v1/logs?limit=1000", tenantAdmin)).Body!["data"]!.AsArray();
        Assert.NotEmpty(logs);
        Assert.All(logs, l => Assert.Equal("team-a", l!["tenant"]!.GetValue<string>()));

        // Another tenant's: refused, whatever the way in.
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/admin/v1/tenants/team-b"), (HttpMethod.Get, "/admin/v1/tenants/team-b/keys"), (HttpMethod.Post, "/admin/v1/tenants/team-b/keys"),
            (HttpMethod.Post, $"/admin/v1/keys/{keyB}/revoke"), (HttpMethod.Post, $"/admin/v1/keys/{keyB}/rotate"),
            (HttpMethod.Get, "/admin/v1/usage?tenant=team-b"), (HttpMethod.Get, "/admin/v1/logs?tenant=team-b"), (HttpMethod.Get, "/admin/v1/audit?tenant=team-b"),
        })
        {
            var (status, body) = await CallAsync(method, path, tenantAdmin, method == HttpMethod.Post ? "{}" : null);
            Assert.True(status == HttpStatusCode.Forbidden, $"{method} {path}: {status}");
            Assert.Contains("manages the tenant 'team-a' only", body!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.Equal("active", (await CallAsync(HttpMethod.Get, "/admin/v1/tenants/team-b/keys", "sk-admin-key-1")).Body!["data"]![0]!["state"]!.GetValue<string>());

        // Every other admin endpoint takes the admin key or an admin token: found from the gateway's own endpoint table,
        // so an endpoint added later is covered without being listed here.
        var endpoints = gw.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } p && (p.StartsWith("/admin", StringComparison.Ordinal) || p.StartsWith("/providers", StringComparison.Ordinal))
                // The API's documentation is open, as any API's is: it holds no data.
                && p != Switchyard.Admin.AdminFeature.OpenApiPath && !p.StartsWith(Switchyard.Admin.AdminFeature.ReferencePath, StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!, Endpoint: e)))
            .ToList();
        Assert.Equal(TenantScoped.Order(StringComparer.Ordinal),
            endpoints.Where(e => e.Endpoint.Metadata.GetMetadata<Switchyard.Admin.TenantAdminAllowed>() is not null).Select(e => $"{e.Method} {e.Pattern}").Order(StringComparer.Ordinal));
        var global = endpoints.Where(e => e.Endpoint.Metadata.GetMetadata<Switchyard.Admin.TenantAdminAllowed>() is null).ToList();
        Assert.True(global.Count >= 8, $"{global.Count} global admin endpoints");
        foreach (var (method, pattern, _) in global)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{(\w+)[^}]*\}", m => m.Groups[1].Value switch
            {
                "name" => "team-a",
                "id" => keyA,
                "index" => "0",
                var other => other,
            });
            var (status, _) = await CallAsync(new HttpMethod(method), path, tenantAdmin, method is "POST" or "PATCH" ? "{}" : null);
            Assert.True(status == HttpStatusCode.Forbidden, $"{method} {path}: {status}");
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(HttpMethod.Get, "/metrics", tenantAdmin)).Status);

        // The admin role opens everything; a token with no admin role opens nothing.
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Get, "/providers", admin)).Status);
        Assert.Equal(2, (await CallAsync(HttpMethod.Get, "/admin/v1/tenants", admin)).Body!["data"]!.AsArray().Count(t => t!["name"]!.GetValue<string>().StartsWith("team-", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Get, "/metrics", admin)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(HttpMethod.Get, "/admin/v1/tenants", Token(Hs256, Claims("team-a")))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(HttpMethod.Get, "/admin/v1/tenants", Token(Hs256, Claims("team-a", "admin"), issuer: "https://evil.test"))).Status);
    }
}
