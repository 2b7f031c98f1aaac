using System.Net;
using System.Security.Cryptography;
using System.Text;
using Switchyard.Config;

namespace Switchyard.Tenancy;

/// <summary>
/// Static gateway keys from <c>Authorization: Bearer</c>, <c>x-api-key</c>, <c>x-goog-api-key</c> or <c>?key=</c>.
/// With no keys configured the gateway is open, but only to loopback callers.
/// </summary>
internal static class GatewayAuth
{
    public static bool IsAuthorized(HttpContext http, AuthOptions auth)
    {
        if (auth.Keys.IsDefaultOrEmpty)
        {
            return http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip);
        }
        var presented = PresentedKey(http.Request);
        if (presented is null)
        {
            return false;
        }
        var bytes = Encoding.UTF8.GetBytes(presented);
        var ok = false;
        foreach (var key in auth.Keys)
        {
            ok |= CryptographicOperations.FixedTimeEquals(bytes, Encoding.UTF8.GetBytes(key));
        }
        return ok;
    }

    /// <summary>Admin endpoints: the admin key when one is configured, else loopback callers only.</summary>
    public static bool IsAdmin(HttpContext http, AuthOptions auth)
    {
        if (auth.AdminKey is null)
        {
            return http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip);
        }
        return PresentedKey(http.Request) is { } presented
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
