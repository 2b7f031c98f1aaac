using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;
using Switchyard.Storage;
using Switchyard.Tenancy;

namespace Switchyard.Admin;

/// <summary>
/// Tenants and their virtual keys under <c>/admin/v1</c>: file tenants are listed with <c>origin: file</c> and changed in
/// the file; tenants created here live in the store. A new key is shown once, in the answer that creates it.
/// </summary>
internal static class TenantsEndpoints
{
    public static RouteGroupBuilder MapTenantsApi(this RouteGroupBuilder admin)
    {
        var api = admin.MapGroup("").WithTags("Tenants and virtual keys");
        // A tenant admin sees its tenant and manages its keys; creating, changing and deleting tenants takes the admin key.
        api.MapGet("/admin/v1/tenants", List).WithMetadata(TenantAdminAllowed.Instance).Produces<TenantsView>(200);
        api.MapPost("/admin/v1/tenants", CreateAsync).Body<CreateTenantRequest>().Produces<TenantView>(201);
        api.MapGet("/admin/v1/tenants/{name}", Get).WithMetadata(TenantAdminAllowed.Instance).Produces<TenantView>(200);
        api.MapPatch("/admin/v1/tenants/{name}", PatchAsync).Body<PatchTenantRequest>().Produces<TenantView>(200);
        api.MapDelete("/admin/v1/tenants/{name}", DeleteAsync);
        api.MapGet("/admin/v1/tenants/{name}/keys", ListKeysAsync).WithMetadata(TenantAdminAllowed.Instance).Produces<VirtualKeysView>(200);
        api.MapPost("/admin/v1/tenants/{name}/keys", CreateKeyAsync).WithMetadata(TenantAdminAllowed.Instance).Body<CreateKeyRequest>(required: false).Produces<CreatedKeyView>(201);
        api.MapPost("/admin/v1/keys/{id}/revoke", RevokeAsync).WithMetadata(TenantAdminAllowed.Instance).Produces<VirtualKeyView>(200);
        api.MapPost("/admin/v1/keys/{id}/rotate", RotateAsync).WithMetadata(TenantAdminAllowed.Instance).Body<RotateKeyRequest>(required: false).Produces<RotatedKeyView>(201);
        return admin;
    }

    private static JsonHttpResult<TenantsView> List(HttpContext http, ConfigHolder config, VirtualKeys keys)
    {
        var scope = AdminScope.Of(http);
        var tenants = keys.AllTenants(config.Current).Where(t => scope.Covers(t.Name)).Select(View).ToList();
        return TypedResults.Json(new TenantsView(tenants), AdminJson.Default.TenantsView);
    }

    private static Results<JsonHttpResult<TenantView>, AdminError> Get(string name, HttpContext http, ConfigHolder config, VirtualKeys keys) =>
        AdminScope.RefusesTenant(http, name) is { } outside ? outside
        : Find(name, config, keys) is { } tenant ? TypedResults.Json(View(tenant), AdminJson.Default.TenantView)
        : NoTenant(name);

    private static async Task<Results<JsonHttpResult<TenantView>, AdminError>> CreateAsync(HttpRequest request, AdminActions actions)
    {
        var (body, problem) = await ReadAsync(request, AdminJson.Default.CreateTenantRequest);
        if (body is null)
        {
            return Invalid($"The body must be a JSON object {{\"name\": …, \"models\"?: [globs], \"limits\"?: {{…}}, \"user_limits\"?: {{…}}}}{problem}.", null);
        }
        var change = await actions.CreateTenantAsync(AdminScope.Of(request.HttpContext), body, request.HttpContext.RequestAborted);
        return change.Error is { } error ? new AdminError(error) : TypedResults.Json(change.Value!, AdminJson.Default.TenantView, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<Results<JsonHttpResult<TenantView>, AdminError>> PatchAsync(string name, HttpRequest request, ConfigHolder config, VirtualKeys keys)
    {
        if (config.Current.Tenants.ByName.ContainsKey(name))
        {
            return FileTenant(name);
        }
        if (keys.StoreTenant(name) is not { } tenant)
        {
            return NoTenant(name);
        }
        var (body, problem) = await ReadAsync(request, AdminJson.Default.PatchTenantRequest);
        if (body is null)
        {
            return Invalid($"The body must be a JSON object {{\"models\"?: [globs], \"limits\"?: {{…}}, \"user_limits\"?: {{…}}}}{problem}.", null);
        }
        if (body.Models is { } globs && (globs.Count == 0 || globs.Any(string.IsNullOrWhiteSpace)))
        {
            return Invalid("'models' must list non-empty globs over model names (e.g. \"gpt-*\"; \"*\" for any).", "models");
        }
        if ((InvalidLimits(body.Limits, "limits") ?? InvalidLimits(body.UserLimits, "user_limits")) is { } badLimits)
        {
            return badLimits;
        }
        var changed = tenant with
        {
            Models = body.Models is { } m ? [.. m] : tenant.Models,
            Limits = body.Limits?.ToLimits() ?? tenant.Limits,
            UserLimits = body.UserLimits?.ToLimits() ?? tenant.UserLimits,
            CaptureBodies = body.CaptureBodies ?? tenant.CaptureBodies,
        };
        if (await keys.UpdateTenantAsync(changed, request.HttpContext.RequestAborted) is not { } updated)
        {
            return NoTenant(name);
        }
        await AuditEndpoints.RecordAsync(request.HttpContext, "tenant.update", "tenant/" + name, name, View(tenant), View(updated), AdminJson.Default.TenantView);
        return TypedResults.Json(View(updated), AdminJson.Default.TenantView);
    }

    private static async Task<Results<NoContent, AdminError>> DeleteAsync(string name, HttpContext http, ConfigHolder config, VirtualKeys keys)
    {
        if (config.Current.Tenants.ByName.ContainsKey(name))
        {
            return FileTenant(name);
        }
        var before = keys.StoreTenant(name);
        if (before is null || !await keys.DeleteTenantAsync(name, http.RequestAborted))
        {
            return NoTenant(name);
        }
        await AuditEndpoints.RecordAsync(http, "tenant.delete", "tenant/" + name, name, View(before), null, AdminJson.Default.TenantView);
        return TypedResults.NoContent();
    }

    private static AdminError FileTenant(string name) => new(AdminActions.FileTenant(name));

    private static async Task<Results<JsonHttpResult<VirtualKeysView>, AdminError>> ListKeysAsync(string name, HttpContext http, ConfigHolder config, VirtualKeys keys, TimeProvider time, CancellationToken ct)
    {
        if (AdminScope.RefusesTenant(http, name) is { } outside)
        {
            return outside;
        }
        if (Find(name, config, keys) is null)
        {
            return NoTenant(name);
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var list = (await keys.ListAsync(name, ct)).Select(k => View(k, now)).ToList();
        return TypedResults.Json(new VirtualKeysView(list), AdminJson.Default.VirtualKeysView);
    }

    private static async Task<Results<JsonHttpResult<CreatedKeyView>, AdminError>> CreateKeyAsync(string name, HttpRequest request, AdminActions actions)
    {
        var (body, problem) = request.ContentLength is 0 ? (new CreateKeyRequest(null, null, null), "") : await ReadAsync(request, AdminJson.Default.CreateKeyRequest);
        if (body is null)
        {
            return Invalid($"The body must be a JSON object {{\"name\"?: …, \"expires_at\"?: ISO 8601 time, \"limits\"?: {{…}}}}{problem}.", null);
        }
        var change = await actions.CreateVirtualKeyAsync(AdminScope.Of(request.HttpContext), name, body, request.HttpContext.RequestAborted);
        return change.Error is { } error ? new AdminError(error) : TypedResults.Json(change.Value!, AdminJson.Default.CreatedKeyView, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<Results<JsonHttpResult<VirtualKeyView>, AdminError>> RevokeAsync(string id, HttpContext http, AdminActions actions, CancellationToken ct)
    {
        var change = await actions.RevokeVirtualKeyAsync(AdminScope.Of(http), id, ct);
        return change.Error is { } error ? new AdminError(error) : TypedResults.Json(change.Value!, AdminJson.Default.VirtualKeyView);
    }

    private static async Task<Results<JsonHttpResult<RotatedKeyView>, AdminError>> RotateAsync(string id, HttpRequest request, AdminActions actions)
    {
        var (body, problem) = request.ContentLength is 0 ? (new RotateKeyRequest(null), "") : await ReadAsync(request, AdminJson.Default.RotateKeyRequest);
        if (body is null)
        {
            return Invalid($"The body must be a JSON object {{\"grace_seconds\"?: seconds the old key keeps working}}{problem}.", null);
        }
        var change = await actions.RotateVirtualKeyAsync(AdminScope.Of(request.HttpContext), id, body.GraceSeconds, request.HttpContext.RequestAborted);
        return change.Error is { } error ? new AdminError(error) : TypedResults.Json(change.Value!, AdminJson.Default.RotatedKeyView, statusCode: StatusCodes.Status201Created);
    }

    internal static TenantConfig? Find(string name, ConfigHolder config, VirtualKeys keys) =>
        config.Current.Tenants.ByName.GetValueOrDefault(name) ?? keys.StoreTenant(name);

    internal static TenantView View(TenantConfig t) => new(t.Name, t.Origin, t.Models, t.Keys.Length, LimitsDocument.Of(t.Limits), LimitsDocument.Of(t.UserLimits), t.CaptureBodies);

    internal static VirtualKeyView View(VirtualKeyRecord k, long now) => new(k.Id, k.Tenant, k.Name, k.Prefix,
        k.RevokedAt is not null ? "revoked" : VirtualKeys.IsUsable(k, now) ? "active" : "expired",
        DateTimeOffset.FromUnixTimeMilliseconds(k.CreatedAt), Time(k.ExpiresAt), Time(k.RevokedAt), LimitsDocument.Read(k.Limits));

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    private static AdminError NoTenant(string name) => new(new GatewayError(ErrorKind.NotFound, $"No tenant '{name}'."));

    private static AdminError Invalid(string message, string? param) => new(GatewayError.Invalid(message, param));

    private static AdminError? InvalidLimits(LimitsDocument? limits, string field) => AdminActions.InvalidLimits(limits, field) is { } bad ? new AdminError(bad) : null;

    /// <summary>The body, or null and why not (where the JSON went wrong: an unknown limit's name, a wrong type).</summary>
    private static async Task<(T? Body, string Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return (await JsonSerializer.DeserializeAsync(request.Body, type, request.HttpContext.RequestAborted), "");
        }
        catch (JsonException ex)
        {
            var unknown = System.Text.RegularExpressions.Regex.Match(ex.Message, "The JSON property '([^']+)' could not be mapped");
            var what = unknown.Success ? $"unknown field '{unknown.Groups[1].Value}'" : ex.Message.Split(" Path:")[0];
            return (null, ex.Path is { Length: > 1 } path ? $" (at {path}: {what})" : $" ({what})");
        }
    }

}
