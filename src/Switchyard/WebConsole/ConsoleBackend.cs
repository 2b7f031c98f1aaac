using Switchyard.Admin;
using Switchyard.Config;
using Switchyard.Keys;
using Switchyard.Routing;
using Switchyard.Storage;
using Switchyard.Tenancy;
using Switchyard.Ui.Backend;

namespace Switchyard.WebConsole;

/// <summary>
/// The web console's view of the gateway, on the services the admin API uses and under its authorization: a console
/// user is the <see cref="AdminScope"/> its login resolved to (the admin key, or an admin / tenant-admin JWT).
/// Everything read here comes from memory or the usage rollups, never the request log.
/// </summary>
internal sealed class ConsoleBackend(ConfigHolder config, JwtValidator jwt, VirtualKeys virtualKeys, IKeyStateStore keys, IProviderHealthStore health,
    UsageQueries usage, AuditLog audit, TimeProvider time) : IConsoleBackend
{
    public bool OpenOnLoopback => config.Current.Config.Auth is { AdminKey: null, Jwt: null };

    public async ValueTask<(ConsoleUser? User, string? Refusal)> LogInAsync(string credential, HttpContext http)
    {
        var (scope, refusal) = await AdminGuard.ResolveCredentialAsync(credential.Trim(), http, config.Current, jwt, virtualKeys).ConfigureAwait(false);
        return scope is null ? (null, refusal?.Error.Message ?? "Refused.") : (new ConsoleUser(scope.Actor, scope.Tenant), null);
    }

    public async Task<DashboardView> DashboardAsync(ConsoleUser user, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var zone = config.Current.Config.LimitsTimeZone;
        var hour = new RequestFilter(now.AddHours(-1), now.AddMinutes(1)) { Tenant = user.Tenant };
        var day = hour with { From = now.AddDays(-1) };
        var lastHour = Totals(await usage.UsageAsync(hour, [], zone, ct).ConfigureAwait(false));
        var lastDay = Totals(await usage.UsageAsync(day, [], zone, ct).ConfigureAwait(false));
        var byProvider = Slices(await usage.UsageAsync(day, [UsageDimension.Provider], zone, ct).ConfigureAwait(false), l => l.Provider);
        var byModel = Slices(await usage.UsageAsync(day, [UsageDimension.Model], zone, ct).ConfigureAwait(false), l => l.Model);
        var providers = user.IsFullAdmin ? Providers(user) : [];
        return new DashboardView(lastHour, lastDay, byProvider, byModel, providers, providers.Sum(p => p.InFlight));
    }

    /// <summary>Providers are the operators': a tenant admin sees none (as the admin API refuses it the providers).</summary>
    public IReadOnlyList<ProviderRow> Providers(ConsoleUser user)
    {
        if (!user.IsFullAdmin)
        {
            return [];
        }
        var now = time.GetUtcNow();
        return [.. config.Current.Config.Providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p =>
        {
            var h = health.Get(p.Name).Snapshot(now);
            var pool = p.Keys.Where(k => k.Secret.Length > 0).Select(k =>
            {
                var s = keys.Get(p.Name, k).Snapshot(k, now);
                return new KeyRow(k.Id, k.Masked, s.State, s.DisabledReason, s.CooldownUntil, s.Requests, s.Successes, s.Failures);
            }).ToList();
            return new ProviderRow(p.Name, p.Kind.ToString().ToLowerInvariant(), p.Origin, p.Kind == ProviderKind.Mock ? null : p.BaseUrl.ToString(), h.State,
                Math.Round(h.CooldownRemainingSeconds, 1), h.ConsecutiveFailures, h.InFlight, h.EwmaTtfbMs, h.Requests, h.Failures, pool);
        })];
    }

    public async Task<LogPage> LogsAsync(ConsoleUser user, LogQuery query, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        (int, int)? status = null;
        if (query.Status is { Length: > 0 } s)
        {
            status = Admin.UsageEndpoints.StatusRange(s.Trim());
            if (status is null)
            {
                return new LogPage([], null, "Status takes a code (429), a class (4xx) or 'error'.");
            }
        }
        var filter = new RequestFilter(now.AddDays(-StorageOptions.DefaultRetentionDays - 1), now.AddMinutes(1))
        {
            Tenant = user.Tenant ?? Blank(query.Tenant),
            Model = Blank(query.Model),
            Provider = Blank(query.Provider),
            Status = status,
        };
        var limit = Math.Clamp(query.Limit, 1, 500);
        var rows = await usage.LogsAsync(filter, limit + 1, query.Before is { } b ? (b.Ts, b.Id) : null, ct).ConfigureAwait(false);
        var page = rows.Take(limit).Select(r => new LogRow(r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.Ts), r.RequestId, r.Tenant, r.TenantKey, r.EndUser, r.Protocol,
            r.Model, r.Route, r.Provider, r.UpstreamModel, r.UpstreamKey, r.Status, r.Attempts, r.LatencyMs, r.TtfbMs, r.InputTokens, r.OutputTokens, r.CachedTokens,
            r.ReasoningTokens, r.CostNanos is { } c ? Tenancy.Pricing.PriceCard.FromNanos(c) : null,
            System.Text.Json.JsonSerializer.Deserialize(r.Trail, StoreJson.Default.ListString) ?? [], r.Error, r.Body)).ToList();
        return new LogPage(page, rows.Count > limit ? new LogCursor(rows[limit - 1].Ts, rows[limit - 1].Id) : null);
    }

    public async Task<IReadOnlyList<TenantRow>> TenantsAsync(ConsoleUser user, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var rows = new List<TenantRow>();
        foreach (var t in Tenants().Where(t => user.Tenant is null || user.Tenant == t.Name))
        {
            var list = (await virtualKeys.ListAsync(t.Name, ct).ConfigureAwait(false)).Select(k => TenantsEndpoints.View(k, now))
                .Select(k => new VirtualKeyRow(k.Id, k.Name, k.Prefix, k.State, k.CreatedAt, k.ExpiresAt)).ToList();
            rows.Add(new TenantRow(t.Name, t.Origin, t.Models, LimitsDocument.Of(t.Limits).Describe(), list));
        }
        return rows;
    }

    public async Task<(CreatedKey? Key, string? Refusal)> CreateVirtualKeyAsync(ConsoleUser user, string tenant, string? name, CancellationToken ct)
    {
        if (user.Tenant is { } own && own != tenant)
        {
            return (null, $"You manage the tenant '{own}' only.");
        }
        if (!Tenants().Any(t => t.Name == tenant))
        {
            return (null, $"No tenant '{tenant}'.");
        }
        var (key, record) = await virtualKeys.CreateAsync(tenant, Blank(name), null, UsageLimits.None, ct).ConfigureAwait(false);
        var view = TenantsEndpoints.View(record, time.GetUtcNow().ToUnixTimeMilliseconds());
        await audit.RecordAsync(user.Actor, "vkey.create", $"tenant/{tenant}/vkey/{record.Id}", tenant, null,
            System.Text.Json.JsonSerializer.Serialize(view, AdminJson.Default.VirtualKeyView), ct).ConfigureAwait(false);
        return (new CreatedKey(record.Id, key, tenant, record.Name, record.Prefix), null);
    }

    public async Task<string?> RevokeVirtualKeyAsync(ConsoleUser user, string id, CancellationToken ct)
    {
        if (await virtualKeys.FindAsync(id, ct).ConfigureAwait(false) is not { } found || (user.Tenant is { } own && own != found.Tenant))
        {
            return $"No virtual key '{id}'.";
        }
        if (await virtualKeys.RevokeAsync(id, ct).ConfigureAwait(false) is not { } record)
        {
            return $"No virtual key '{id}'.";
        }
        var view = TenantsEndpoints.View(record, time.GetUtcNow().ToUnixTimeMilliseconds());
        await audit.RecordAsync(user.Actor, "vkey.revoke", $"tenant/{record.Tenant}/vkey/{id}", record.Tenant, null,
            System.Text.Json.JsonSerializer.Serialize(view, AdminJson.Default.VirtualKeyView), ct).ConfigureAwait(false);
        return null;
    }

    private IEnumerable<TenantConfig> Tenants() => virtualKeys.AllTenants(config.Current);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public IReadOnlyList<RouteRow> Routes(ConsoleUser user) => !user.IsFullAdmin ? [] :
        [.. config.Current.Config.Routes.Select(r => new RouteRow(r.Model.Length > 0 ? r.Model : "(keywords)", r.Origin,
            [.. r.Aliases, .. r.Keywords.Select(k => $"*{k}*"), .. (r.IsDefault ? ["(default)"] : Array.Empty<string>())], r.Strategy,
            [.. r.Targets.Select(t => t.Provider + (t.Model is { } m ? " → " + m : ""))],
            [.. r.Rules.Select(rule => $"{rule.When.Describe()} → {string.Join(", ", rule.Route.Targets.Select(t => t.Provider + (t.Model is { } m ? " → " + m : "")))}")]))];

    public ResolveView? Resolve(ConsoleUser user, string model)
    {
        var snapshot = config.Current;
        if (!user.IsFullAdmin || snapshot.Routes.Resolve(model.Trim()) is not { } route)
        {
            return null;
        }
        return new ResolveView(model.Trim(), route.MatchedBy, route.Route.Model, route.Route.Strategy,
            [.. route.Route.Targets.Select(t => (t.Provider, route.UpstreamModel(t, snapshot.Config.Providers[t.Provider])))]);
    }

    private static UsageTotals Totals(List<UsageLine> lines)
    {
        var requests = lines.Sum(l => l.Requests);
        return new UsageTotals(requests, lines.Sum(l => l.Errors), lines.Sum(l => l.InputTokens), lines.Sum(l => l.OutputTokens),
            Tenancy.Pricing.PriceCard.FromNanos(lines.Sum(l => l.CostNanos)), requests == 0 ? 0 : Math.Round(lines.Sum(l => l.LatencyMs) / requests, 1));
    }

    private static List<UsageSlice> Slices(List<UsageLine> lines, Func<UsageLine, string?> name) =>
        [.. lines.OrderByDescending(l => l.Requests).Take(10).Select(l => new UsageSlice(name(l) ?? "(none)", l.Requests, l.Errors, l.InputTokens + l.OutputTokens,
            Tenancy.Pricing.PriceCard.FromNanos(l.CostNanos)))];
}
