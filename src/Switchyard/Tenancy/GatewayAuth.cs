using System.Net;
using System.Security.Cryptography;
using System.Text;
using Switchyard.Config;

namespace Switchyard.Tenancy;

/// <summary>Who is calling: the tenant, and the key as logs may show it (a virtual key's prefix, a static key masked).</summary>
/// <param name="KeyId">A virtual key's id (null for a static key).</param>
internal sealed record Caller(TenantConfig Tenant, string Key, string? KeyId)
{
    /// <summary>A virtual key's own limits (on top of its tenant's).</summary>
    public UsageLimits KeyLimits { get; init; } = UsageLimits.None;

    /// <summary>The end user a JWT names (it wins over what the request says).</summary>
    public string? User { get; init; }
}

/// <summary>
/// Gateway keys from <c>Authorization: Bearer</c>, <c>x-api-key</c>, <c>x-goog-api-key</c> or <c>?key=</c>: a tenant's
/// static key from the file (<c>auth.keys</c> are the tenant "default"), a virtual key from the store, or a JWT of
/// <c>auth.jwt</c>'s issuer naming its tenant in a claim. With no key anywhere (and no JWT issuer) the gateway is open,
/// but only to loopback callers.
/// </summary>
internal static class GatewayAuth
{
    /// <summary>The open gateway's caller: loopback, no key configured anywhere.</summary>
    private static readonly Caller Open = new(new TenantConfig(TenantConfig.DefaultName, [], TenantConfig.AnyModel), "", null);

    /// <summary>The caller, or null when refused. Synchronous unless a virtual key is not in the cache yet.</summary>
    public static ValueTask<Caller?> AuthenticateAsync(HttpContext http, GatewaySnapshot snapshot, VirtualKeys virtualKeys, JwtValidator jwt)
    {
        if (PresentedKey(http.Request) is { } presented)
        {
            if (snapshot.Tenants.ByKey(presented) is { } caller)
            {
                return ValueTask.FromResult<Caller?>(caller);
            }
            if (presented.StartsWith(VirtualKeys.Prefix, StringComparison.Ordinal))
            {
                return FindVirtualAsync(http, snapshot, virtualKeys, presented);
            }
            if (snapshot.Config.Auth.Jwt is { } options && JwtValidator.LooksLikeJwt(presented))
            {
                return FromJwtAsync(snapshot, virtualKeys, jwt, options, presented);
            }
        }
        return ValueTask.FromResult(IsOpen(http, snapshot, virtualKeys) ? Open : null);
    }

    /// <summary>A valid token whose tenant claim names a tenant of the file or the store.</summary>
    private static async ValueTask<Caller?> FromJwtAsync(GatewaySnapshot snapshot, VirtualKeys virtualKeys, JwtValidator jwt, JwtOptions options, string token)
    {
        var (identity, _) = await jwt.ValidateAsync(token, options).ConfigureAwait(false);
        if (identity?.Tenant is not { } name || (snapshot.Tenants.ByName.GetValueOrDefault(name) ?? virtualKeys.StoreTenant(name)) is not { } tenant)
        {
            return null;
        }
        return new Caller(tenant, "jwt:" + identity.Subject, null) { User = identity.User };
    }

    private static async ValueTask<Caller?> FindVirtualAsync(HttpContext http, GatewaySnapshot snapshot, VirtualKeys virtualKeys, string presented)
    {
        if (await virtualKeys.FindUsableAsync(presented, http.RequestAborted).ConfigureAwait(false) is { } found
            && (snapshot.Tenants.ByName.GetValueOrDefault(found.Record.Tenant) ?? virtualKeys.StoreTenant(found.Record.Tenant)) is { } tenant)
        {
            return new Caller(tenant, found.Record.Prefix, found.Record.Id) { KeyLimits = found.Limits };
        }
        return IsOpen(http, snapshot, virtualKeys) ? Open : null;
    }

    private static bool IsOpen(HttpContext http, GatewaySnapshot snapshot, VirtualKeys virtualKeys) =>
        !snapshot.Tenants.HasStaticKeys && snapshot.Config.Auth.Jwt is null && !virtualKeys.AnyActive
        && IsLocal(http);

    /// <summary>
    /// The caller is on this machine: a loopback peer that forwards nobody. Behind a trusted proxy the forwarded-headers
    /// middleware has already replaced the peer with the forwarded client; a loopback peer still carrying
    /// <c>Forwarded</c> / <c>X-Forwarded-For</c> is an untrusted proxy speaking for someone else, so it is not local.
    /// </summary>
    public static bool IsLocal(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip)
        && !http.Request.Headers.ContainsKey("X-Forwarded-For") && !http.Request.Headers.ContainsKey("Forwarded");

    /// <summary>Admin endpoints: the admin key when one is configured, else loopback callers only.</summary>
    public static bool IsAdmin(HttpContext http, AuthOptions auth) => IsAdmin(PresentedKey(http.Request), http, auth);

    /// <summary>The admin key was presented (compared in constant time) — or none is configured and the caller is local.</summary>
    public static bool IsAdmin(string? presented, HttpContext http, AuthOptions auth)
    {
        if (auth.AdminKey is null)
        {
            return IsLocal(http);
        }
        return presented is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(auth.AdminKey));
    }

    public static string? PresentedKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization[7..].Trim();
        }
        foreach (var header in (ReadOnlySpan<string>)["x-api-key", "x-goog-api-key"])
        {
            if (request.Headers[header] is [{ Length: > 0 } value])
            {
                return value;
            }
        }
        return request.Query["key"] is [{ Length: > 0 } q] ? q : null;
    }
}
