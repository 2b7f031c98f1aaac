using Switchyard.Config;
using Switchyard.Inbound;
using Switchyard.Protocols.Canonical;
using Switchyard.Tenancy;

namespace Switchyard.Admin;

/// <summary>What an admin caller may manage: everything, or one tenant (a tenant-admin JWT); and who it is, for the audit log.</summary>
/// <param name="Actor">"admin key", "loopback" (no admin key configured) or "jwt:SUBJECT".</param>
internal sealed record AdminScope(string? Tenant, string Actor = "admin key")
{
    public static readonly AdminScope Full = new((string?)null);

    public bool IsFull => Tenant is null;

    public bool Covers(string tenant) => Tenant is null || Tenant == tenant;

    /// <summary>The scope the guard found for this request.</summary>
    public static AdminScope Of(HttpContext http) => http.Items[typeof(AdminScope)] as AdminScope ?? Full;

    /// <summary>The 403 when this request's scope does not cover <paramref name="tenant"/>, else null.</summary>
    public static AdminError? RefusesTenant(HttpContext http, string tenant) =>
        Of(http) is var scope && !scope.Covers(tenant) ? scope.Outside($"the tenant '{tenant}'") : null;

    /// <summary>The 403 for a tenant admin reaching outside its tenant.</summary>
    public AdminError Outside(string what) =>
        new(new GatewayError(ErrorKind.Permission, $"This token manages the tenant '{Tenant}' only, not {what}."));
}

/// <summary>Endpoint metadata: a tenant admin may call this endpoint, which confines it to its own tenant.</summary>
internal sealed class TenantAdminAllowed
{
    public static readonly TenantAdminAllowed Instance = new();
}

/// <summary>
/// The one check in front of every admin endpoint: the admin key when configured (else loopback callers), or a JWT of
/// <c>auth.jwt</c>'s issuer with the role <c>admin</c> (everything) or <c>tenant_admin</c> (its own tenant, on the
/// endpoints marked <see cref="TenantAdminAllowed"/>).
/// </summary>
internal sealed class AdminGuard(ConfigHolder config, JwtValidator jwt, VirtualKeys keys) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var (scope, refusal) = await ResolveAsync(http, config.Current, jwt, keys);
        if (refusal is not null)
        {
            return refusal;
        }
        if (!scope!.IsFull && http.GetEndpoint()?.Metadata.GetMetadata<TenantAdminAllowed>() is null)
        {
            return scope.Outside("this endpoint: it takes the admin key or an admin token");
        }
        http.Items[typeof(AdminScope)] = scope;
        return await next(context);
    }

    /// <summary>For endpoints that are not route handlers (the metrics scrape): full admins only.</summary>
    public static async Task RunAsync(HttpContext http, Func<Task> next)
    {
        var services = http.RequestServices;
        var (scope, refusal) = await ResolveAsync(http, services.GetRequiredService<ConfigHolder>().Current, services.GetRequiredService<JwtValidator>(),
            services.GetRequiredService<VirtualKeys>());
        var refused = refusal ?? (scope!.IsFull ? null : scope.Outside("the metrics"));
        await (refused is not null ? refused.ExecuteAsync(http) : next());
    }

    private static readonly AdminScope Loopback = new(null, "loopback");

    private static ValueTask<(AdminScope? Scope, AdminError? Refusal)> ResolveAsync(HttpContext http, GatewaySnapshot snapshot, JwtValidator jwt, VirtualKeys keys)
    {
        var presented = GatewayAuth.PresentedKey(http.Request);
        return ResolveAsync(presented, GatewayAuth.IsAdmin(presented, http, snapshot.Config.Auth), snapshot, jwt, keys);
    }

    /// <summary>What a credential typed into the console's login is worth: the same rules as a request's header.</summary>
    public static ValueTask<(AdminScope? Scope, AdminError? Refusal)> ResolveCredentialAsync(string credential, HttpContext http, GatewaySnapshot snapshot, JwtValidator jwt,
        VirtualKeys keys)
    {
        var presented = credential.Length == 0 ? null : credential;
        return ResolveAsync(presented, GatewayAuth.IsAdmin(presented, http, snapshot.Config.Auth), snapshot, jwt, keys);
    }

    private static async ValueTask<(AdminScope? Scope, AdminError? Refusal)> ResolveAsync(string? presented, bool isAdmin, GatewaySnapshot snapshot, JwtValidator jwt, VirtualKeys keys)
    {
        var auth = snapshot.Config.Auth;
        if (isAdmin)
        {
            return (auth.AdminKey is null ? Loopback : AdminScope.Full, null);
        }
        if (auth.Jwt is { } options && presented is not null && JwtValidator.LooksLikeJwt(presented))
        {
            var (identity, why) = await jwt.ValidateAsync(presented, options);
            if (identity is null)
            {
                return (null, new AdminError(new GatewayError(ErrorKind.Authentication, $"The admin token is refused: {why}.")));
            }
            if (identity.Role == JwtOptions.AdminRole)
            {
                return (new AdminScope(null, "jwt:" + identity.Subject), null);
            }
            if (identity.Role == JwtOptions.TenantAdminRole && identity.Tenant is { } tenant
                && (snapshot.Tenants.ByName.ContainsKey(tenant) || keys.StoreTenant(tenant) is not null))
            {
                return (new AdminScope(tenant, "jwt:" + identity.Subject), null);
            }
            return (null, new AdminError(new GatewayError(ErrorKind.Permission,
                $"The token's {options.RoleClaim} claim must be '{JwtOptions.AdminRole}', or '{JwtOptions.TenantAdminRole}' with a {options.TenantClaim} claim naming a tenant.")));
        }
        return (null, new AdminError(auth.AdminKey is null && auth.Jwt is null
            ? new GatewayError(ErrorKind.Permission, "Admin endpoints answer loopback callers only when no auth.admin_key is configured.")
            : new GatewayError(ErrorKind.Authentication, "Invalid or missing admin key.")));
    }
}

/// <summary>An admin error in OpenAI's error shape (the admin API's one shape), secrets masked.</summary>
internal sealed class AdminError(GatewayError error) : IResult
{
    public GatewayError Error { get; } = error;

    public Task ExecuteAsync(HttpContext httpContext) =>
        ClientWriter.WriteErrorAsync(httpContext, ClientProtocol.OpenAI, Error, "req_admin", httpContext.RequestServices.GetRequiredService<ConfigHolder>().Current.Secrets);
}
