using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Switchyard.Config;
using Switchyard.Keys;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;
using Switchyard.Storage;
using Switchyard.Tenancy;

namespace Switchyard.Admin;

/// <summary>
/// The changes an admin makes — providers, their keys, routes, tenants, virtual keys — each checked against the
/// caller's <see cref="AdminScope"/>, applied, and recorded in the audit log as that caller. The admin API's endpoints
/// and the web console both call these, so the two can never do different things or answer differently.
/// </summary>
internal sealed partial class AdminActions(ConfigChanges changes, ConfigHolder config, IKeyStateStore keys, IProviderHealthStore health, AuditLog audit,
    Providers.ConnectionTest test, VirtualKeys virtualKeys, TimeProvider time)
{
    // ---- providers and their keys (operators only) -----------------------------------------------------------------

    public async Task<Change<ProviderSpecView>> CreateProviderAsync(AdminScope scope, JsonObject body, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        var change = await changes.CreateProviderAsync(body, ct).ConfigureAwait(false);
        if (change.Error is { } error)
        {
            return error;
        }
        var after = ProviderView(change.Value!);
        await RecordAsync(scope, "provider.create", "provider/" + after.Name, null, null, after, AdminJson.Default.ProviderSpecView).ConfigureAwait(false);
        return new(after, null);
    }

    public async Task<Change<ProviderSpecView>> UpdateProviderAsync(AdminScope scope, string name, JsonObject patch, long? ifMatch, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        var before = config.Current.Config.Providers.GetValueOrDefault(name) is { } was ? ProviderView(was) : null;
        var change = await changes.UpdateProviderAsync(name, patch, ifMatch, ct).ConfigureAwait(false);
        if (change.Error is { } error)
        {
            return error;
        }
        var after = ProviderView(change.Value!);
        await RecordAsync(scope, "provider.update", "provider/" + name, null, before, after, AdminJson.Default.ProviderSpecView).ConfigureAwait(false);
        return new(after, null);
    }

    public async Task<GatewayError?> DeleteProviderAsync(AdminScope scope, string name, long? ifMatch, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        var before = config.Current.Config.Providers.GetValueOrDefault(name) is { } was ? ProviderView(was) : null;
        var change = await changes.DeleteProviderAsync(name, ifMatch, ct).ConfigureAwait(false);
        if (change.Error is { } error)
        {
            return error;
        }
        await RecordAsync(scope, "provider.delete", "provider/" + name, null, before, null, AdminJson.Default.ProviderSpecView).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// One minimal real call: with the key of the pool named by <paramref name="key"/> (its id), with <paramref name="key"/>
    /// itself when it is not an id (a key to try before adding it), or with the first usable key of the pool.
    /// </summary>
    public async Task<Change<ProviderTestView>> TestProviderAsync(AdminScope scope, string name, string? key, string? model, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        var snapshot = config.Current;
        if (!snapshot.Config.Providers.TryGetValue(name, out var provider))
        {
            return NotFound($"No provider '{name}'.");
        }
        UpstreamKey? chosen;
        if (key is { Length: > 0 } given)
        {
            chosen = ConfigEndpoints.Pool(provider).FirstOrDefault(k => k.Id == given)
                ?? (KeyIdPattern().IsMatch(given) ? null : new UpstreamKey(given, 1, 1, TimeSpan.Zero, true));
            if (chosen is null)
            {
                return NotFound($"No key '{given}' on the provider '{name}' (give a key id of GET /admin/v1/providers/{name}/keys, or the key itself to try it).");
            }
        }
        else
        {
            var now = time.GetUtcNow();
            chosen = ConfigEndpoints.Pool(provider).FirstOrDefault(k => keys.Get(name, k).IsAvailable(k, now)) ?? ConfigEndpoints.Pool(provider).FirstOrDefault() ?? provider.Keys.FirstOrDefault();
        }
        if ((model is { Length: > 0 } m ? m : TestModel(provider, snapshot.Config)) is not { } asked)
        {
            return GatewayError.Invalid($"No route names a model for '{name}': say which one to try ({{\"model\": …}}).", "model");
        }
        var result = await test.RunAsync(provider, chosen, asked, snapshot.Secrets, ct).ConfigureAwait(false);
        return new(new ProviderTestView(name, result.Ok, result.Status, result.LatencyMs, result.Model, result.Key, result.Answer, result.Error, result.RateLimits), null);
    }

    /// <summary>A model this provider serves: a route target's model, a route's exact name, or the provider's big/small model.</summary>
    private static string? TestModel(ProviderConfig provider, GatewayConfig config)
    {
        var targets = config.Routes.SelectMany(r => r.Targets.Where(t => t.Provider == provider.Name).Select(t => (Route: r, Target: t))).ToList();
        return targets.Select(x => x.Target.Model).FirstOrDefault(m => m is { Length: > 0 } && m != "passthrough")
            ?? targets.Where(x => !x.Route.IsGlob && x.Route.Model.Length > 0).Select(x => x.Route.Model).FirstOrDefault()
            ?? new[] { provider.BigModel, provider.SmallModel }.FirstOrDefault(m => m is { Length: > 0 } && m != "passthrough");
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[0-9a-f]{16}$")]
    private static partial System.Text.RegularExpressions.Regex KeyIdPattern();

    public async Task<Change<ProviderKeyView>> AddKeyAsync(AdminScope scope, string provider, JsonObject body, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        var change = await changes.AddKeyAsync(provider, body, ct).ConfigureAwait(false);
        if (change.Error is { } error)
        {
            return error;
        }
        var after = ConfigEndpoints.View(provider, change.Value!, keys, time.GetUtcNow());
        await RecordAsync(scope, "key.add", $"provider/{provider}/key/{after.Id}", null, null, after, AdminJson.Default.ProviderKeyView).ConfigureAwait(false);
        return new(after, null);
    }

    public async Task<Change<ProviderKeyView>> SetKeyEnabledAsync(AdminScope scope, string provider, string id, bool enabled, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        var before = KeyView(provider, id);
        var change = await changes.SetKeyEnabledAsync(provider, id, enabled, ct).ConfigureAwait(false);
        if (change.Error is { } error)
        {
            return error;
        }
        var after = ConfigEndpoints.View(provider, change.Value!, keys, time.GetUtcNow());
        await RecordAsync(scope, enabled ? "key.enable" : "key.disable", $"provider/{provider}/key/{id}", null, before, after, AdminJson.Default.ProviderKeyView).ConfigureAwait(false);
        return new(after, null);
    }

    public async Task<GatewayError?> DeleteKeyAsync(AdminScope scope, string provider, string id, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        var before = KeyView(provider, id);
        var change = await changes.DeleteKeyAsync(provider, id, ct).ConfigureAwait(false);
        if (change.Error is { } error)
        {
            return error;
        }
        await RecordAsync(scope, "key.delete", $"provider/{provider}/key/{id}", null, before, null, AdminJson.Default.ProviderKeyView).ConfigureAwait(false);
        return null;
    }

    // ---- routes (operators only) -----------------------------------------------------------------------------------

    public async Task<Change<RouteSpecView>> CreateRouteAsync(AdminScope scope, JsonObject body, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        var change = await changes.CreateRouteAsync(body, ct).ConfigureAwait(false);
        if (change.Error is { } error)
        {
            return error;
        }
        var after = ConfigEndpoints.View(change.Value!, config.Current);
        await RecordAsync(scope, "route.create", "route/" + after.Model, null, null, after, AdminJson.Default.RouteSpecView).ConfigureAwait(false);
        return new(after, null);
    }

    public async Task<Change<RouteSpecView>> UpdateRouteAsync(AdminScope scope, string model, JsonObject patch, long? ifMatch, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        var before = StoreRouteView(model);
        var change = await changes.UpdateRouteAsync(model, patch, ifMatch, ct).ConfigureAwait(false);
        if (change.Error is { } error)
        {
            return error;
        }
        var after = ConfigEndpoints.View(change.Value!, config.Current);
        await RecordAsync(scope, "route.update", "route/" + model, null, before, after, AdminJson.Default.RouteSpecView).ConfigureAwait(false);
        return new(after, null);
    }

    public async Task<GatewayError?> DeleteRouteAsync(AdminScope scope, string model, long? ifMatch, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        var before = StoreRouteView(model);
        var change = await changes.DeleteRouteAsync(model, ifMatch, ct).ConfigureAwait(false);
        if (change.Error is { } error)
        {
            return error;
        }
        await RecordAsync(scope, "route.delete", "route/" + model, null, before, null, AdminJson.Default.RouteSpecView).ConfigureAwait(false);
        return null;
    }

    // ---- tenants and virtual keys ----------------------------------------------------------------------------------

    public async Task<Change<TenantView>> CreateTenantAsync(AdminScope scope, CreateTenantRequest body, CancellationToken ct)
    {
        if (OperatorsOnly(scope) is { } refused)
        {
            return refused;
        }
        if (body.Name is null || !TenantConfig.IsValidName(body.Name))
        {
            return GatewayError.Invalid($"'name' must be {TenantConfig.NameRule}.", "name");
        }
        if (body.Models is { } globs && globs.Any(string.IsNullOrWhiteSpace))
        {
            return GatewayError.Invalid("'models' must list non-empty globs over model names (e.g. \"gpt-*\").", "models");
        }
        if ((InvalidLimits(body.Limits, "limits") ?? InvalidLimits(body.UserLimits, "user_limits")) is { } badLimits)
        {
            return badLimits;
        }
        if (config.Current.Tenants.ByName.ContainsKey(body.Name))
        {
            return FileTenant(body.Name);
        }
        var tenant = new TenantConfig(body.Name, [], body.Models is { Count: > 0 } m ? m.ToImmutableArray() : TenantConfig.AnyModel, "store")
        {
            Limits = body.Limits?.ToLimits() ?? UsageLimits.None,
            UserLimits = body.UserLimits?.ToLimits() ?? UsageLimits.None,
            CaptureBodies = body.CaptureBodies ?? false,
        };
        if (await virtualKeys.CreateTenantAsync(tenant, ct).ConfigureAwait(false) is not { } created)
        {
            return new GatewayError(ErrorKind.Conflict, $"The tenant '{body.Name}' exists already.");
        }
        var view = TenantsEndpoints.View(created);
        await RecordAsync(scope, "tenant.create", "tenant/" + created.Name, created.Name, null, view, AdminJson.Default.TenantView).ConfigureAwait(false);
        return new(view, null);
    }

    public async Task<Change<CreatedKeyView>> CreateVirtualKeyAsync(AdminScope scope, string tenant, CreateKeyRequest body, CancellationToken ct)
    {
        if (!scope.Covers(tenant))
        {
            return scope.Outside($"the tenant '{tenant}'").Error;
        }
        if (TenantsEndpoints.Find(tenant, config, virtualKeys) is null)
        {
            return NotFound($"No tenant '{tenant}'.");
        }
        if (InvalidLimits(body.Limits, "limits") is { } badLimits)
        {
            return badLimits;
        }
        if (body.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            return GatewayError.Invalid("'expires_at' is in the past.", "expires_at");
        }
        var limits = body.Limits?.ToLimits() ?? UsageLimits.None;
        var (key, record) = await virtualKeys.CreateAsync(tenant, string.IsNullOrWhiteSpace(body.Name) ? null : body.Name.Trim(), body.ExpiresAt, limits, ct).ConfigureAwait(false);
        await RecordAsync(scope, "vkey.create", $"tenant/{tenant}/vkey/{record.Id}", tenant, null,
            TenantsEndpoints.View(record, time.GetUtcNow().ToUnixTimeMilliseconds()), AdminJson.Default.VirtualKeyView).ConfigureAwait(false);
        return new(new CreatedKeyView(record.Id, key, record.Tenant, record.Name, record.Prefix, DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedAt),
            body.ExpiresAt, LimitsDocument.Of(limits)), null);
    }

    /// <summary>Revokes a virtual key (effective on the next request); another tenant's key is refused as if it did not exist.</summary>
    public async Task<Change<VirtualKeyView>> RevokeVirtualKeyAsync(AdminScope scope, string id, CancellationToken ct)
    {
        if (await OutsideKeyAsync(scope, id, ct).ConfigureAwait(false) is { } outside)
        {
            return outside;
        }
        if (await virtualKeys.RevokeAsync(id, ct).ConfigureAwait(false) is not { } record)
        {
            return NotFound($"No virtual key '{id}'.");
        }
        var after = TenantsEndpoints.View(record, time.GetUtcNow().ToUnixTimeMilliseconds());
        await RecordAsync(scope, "vkey.revoke", $"tenant/{record.Tenant}/vkey/{id}", record.Tenant, null, after, AdminJson.Default.VirtualKeyView).ConfigureAwait(false);
        return new(after, null);
    }

    private const int DefaultGraceSeconds = 24 * 3600, MaxGraceSeconds = 30 * 24 * 3600;

    /// <summary>A new key in place of a working one; the old key keeps working for the grace period (default a day, 0: it stops now).</summary>
    public async Task<Change<RotatedKeyView>> RotateVirtualKeyAsync(AdminScope scope, string id, int? graceSeconds, CancellationToken ct)
    {
        if (await OutsideKeyAsync(scope, id, ct).ConfigureAwait(false) is { } outside)
        {
            return outside;
        }
        if (graceSeconds is < 0 or > MaxGraceSeconds)
        {
            return GatewayError.Invalid($"'grace_seconds' must be from 0 to {MaxGraceSeconds} (30 days).", "grace_seconds");
        }
        if (await virtualKeys.RotateAsync(id, TimeSpan.FromSeconds(graceSeconds ?? DefaultGraceSeconds), ct).ConfigureAwait(false) is not { } rotated)
        {
            return NotFound($"No working virtual key '{id}' (it does not exist, or it was revoked or has expired).");
        }
        var (secret, record, oldExpiresAt) = rotated;
        await RecordAsync(scope, "vkey.rotate", $"tenant/{record.Tenant}/vkey/{id}", record.Tenant, null, TenantsEndpoints.View(record, record.CreatedAt),
            AdminJson.Default.VirtualKeyView).ConfigureAwait(false);
        var created = new CreatedKeyView(record.Id, secret, record.Tenant, record.Name, record.Prefix, DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedAt),
            record.ExpiresAt is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null, LimitsDocument.Read(record.Limits));
        return new(new RotatedKeyView(created, id, oldExpiresAt), null);
    }

    /// <summary>A tenant admin may touch its own tenant's keys only (another tenant's key is refused as if it did not exist).</summary>
    private async Task<GatewayError?> OutsideKeyAsync(AdminScope scope, string id, CancellationToken ct) =>
        scope.IsFull || (await virtualKeys.FindAsync(id, ct).ConfigureAwait(false) is { } key && scope.Covers(key.Tenant)) ? null : scope.Outside($"the key '{id}'").Error;

    internal static GatewayError FileTenant(string name) => new(ErrorKind.Conflict, $"The tenant '{name}' is defined in the config file: change it there.");

    internal static GatewayError? InvalidLimits(LimitsDocument? limits, string field) =>
        limits?.InvalidField() is { } bad ? GatewayError.Invalid($"'{field}.{bad}' must be at least {(bad.StartsWith("budget", StringComparison.Ordinal) ? 0 : 1)}.", $"{field}.{bad}") : null;

    // ---- shared ----------------------------------------------------------------------------------------------------

    /// <summary>Providers, keys, routes and tenants are the operators': a tenant admin is refused them.</summary>
    private static GatewayError? OperatorsOnly(AdminScope scope) =>
        scope.IsFull ? null : new GatewayError(ErrorKind.Permission, $"This token manages the tenant '{scope.Tenant}' only; providers, keys, routes and tenants are the operators'.");

    private ProviderSpecView ProviderView(ProviderConfig p) => ConfigEndpoints.View(p, config.Current, keys, health, time.GetUtcNow());

    private ProviderKeyView? KeyView(string provider, string id) =>
        config.Current.Config.Providers.TryGetValue(provider, out var p) && ConfigEndpoints.Pool(p).FirstOrDefault(k => k.Id == id) is { } key
            ? ConfigEndpoints.View(provider, key, keys, time.GetUtcNow()) : null;

    private RouteSpecView? StoreRouteView(string model) =>
        config.Current.Config.Routes.FirstOrDefault(r => r.Model == model && r.Origin == ConfigOrigin.Store) is { } route ? ConfigEndpoints.View(route, config.Current) : null;

    private Task RecordAsync<T>(AdminScope scope, string action, string target, string? tenant, T? before, T? after, JsonTypeInfo<T> type) where T : class =>
        audit.RecordAsync(scope.Actor, action, target, tenant, before is null ? null : JsonSerializer.Serialize(before, type),
            after is null ? null : JsonSerializer.Serialize(after, type), CancellationToken.None);

    private static GatewayError NotFound(string message) => new(ErrorKind.NotFound, message);
}
