using System.Text.Json.Nodes;
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
internal sealed partial class ConsoleBackend(ConfigHolder config, JwtValidator jwt, VirtualKeys virtualKeys, IKeyStateStore keys, IProviderHealthStore health,
    UsageQueries usage, AuditLog audit, AdminActions actions, Observability.GatewayMetrics metrics, Store store, Playground playground, TimeProvider time) : IConsoleBackend
{
    private static AdminScope Scope(ConsoleUser user) => new(user.Tenant, user.Actor);

    /// <summary>JSON for people to read: indented, and "…" as itself (the page escapes what HTML needs).</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Readable = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public bool OpenOnLoopback => config.Current.Config.Auth is { AdminKey: null, Jwt: null };

    public async ValueTask<(ConsoleUser? User, string? Refusal)> LogInAsync(string credential, HttpContext http)
    {
        var (scope, refusal) = await AdminGuard.ResolveCredentialAsync(credential.Trim(), http, config.Current, jwt, virtualKeys).ConfigureAwait(false);
        return scope is null ? (null, refusal?.Error.Message ?? "Refused.") : (new ConsoleUser(scope.Actor, scope.Tenant), null);
    }

    public async Task<DashboardView> DashboardAsync(ConsoleUser user, DashboardRange range, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var zone = config.Current.Config.LimitsTimeZone;
        // An hour by the minute, a day by the half hour (minute rollups), 30 days by the day (day rollups).
        var (from, step) = range switch
        {
            DashboardRange.Hour => (now.AddHours(-1), (TimeSpan?)TimeSpan.FromMinutes(1)),
            DashboardRange.Day => (now.AddDays(-1), TimeSpan.FromMinutes(30)),
            _ => (ZonedCalendar.DayStart(now.AddDays(-29), zone), null),
        };
        var filter = new RequestFilter(from, now.AddMinutes(1)) { Tenant = user.Tenant };
        var points = await usage.SeriesAsync(filter, step, ct).ConfigureAwait(false);
        points = Complete(points, range, from, now, zone);
        var series = points.Select(p => new SeriesPoint(DateTimeOffset.FromUnixTimeMilliseconds(p.Bucket), p.Requests, p.Errors, p.InputTokens + p.OutputTokens,
            Tenancy.Pricing.PriceCard.FromNanos(p.CostNanos), Round(LatencyHistogram.Quantile(p.Histogram, 0.5)), Round(LatencyHistogram.Quantile(p.Histogram, 0.95)),
            p.TtfbCount == 0 ? null : Math.Round(p.TtfbMs / p.TtfbCount, 1))).ToList();
        var histogram = new long[LatencyHistogram.Columns.Length];
        foreach (var p in points)
        {
            for (var i = 0; i < histogram.Length; i++)
            {
                histogram[i] += p.Histogram[i];
            }
        }
        var requests = points.Sum(p => p.Requests);
        var ttfbCount = points.Sum(p => p.TtfbCount);
        var totals = new UsageTotals(requests, points.Sum(p => p.Errors), points.Sum(p => p.InputTokens), points.Sum(p => p.OutputTokens),
            Tenancy.Pricing.PriceCard.FromNanos(points.Sum(p => p.CostNanos)), requests == 0 ? 0 : Math.Round(points.Sum(p => p.LatencyMs) / requests, 1),
            Round(LatencyHistogram.Quantile(histogram, 0.5)), Round(LatencyHistogram.Quantile(histogram, 0.95)), ttfbCount == 0 ? null : Math.Round(points.Sum(p => p.TtfbMs) / ttfbCount, 1));
        var byProvider = Slices(await usage.UsageAsync(filter, [UsageDimension.Provider], zone, ct).ConfigureAwait(false), l => l.Provider);
        var byModel = Slices(await usage.UsageAsync(filter, [UsageDimension.Model], zone, ct).ConfigureAwait(false), l => l.Model);
        var byTenant = Slices(await usage.UsageAsync(filter, [UsageDimension.Tenant], zone, ct).ConfigureAwait(false), l => l.Tenant is { Length: > 0 } t ? t : "(open)");
        var providers = user.IsFullAdmin ? Providers(user) : [];
        var (inFlight, streams) = user.IsFullAdmin ? metrics.Live : (0, 0);
        return new DashboardView(range, totals, series, byProvider, byModel, byTenant, providers, inFlight, streams);
    }

    /// <summary>Every step of the range, the quiet ones as zeros, so a chart's line runs the whole range.</summary>
    private static List<UsagePoint> Complete(List<UsagePoint> points, DashboardRange range, DateTimeOffset from, DateTimeOffset now, TimeZoneInfo zone)
    {
        var known = points.ToDictionary(p => p.Bucket);
        var steps = new List<long>();
        if (range == DashboardRange.Month)
        {
            for (var day = from; day <= now; day = ZonedCalendar.NextDayStart(day, zone))
            {
                steps.Add(day.ToUnixTimeMilliseconds());
            }
        }
        else
        {
            var step = range == DashboardRange.Hour ? 60_000L : 1_800_000L;
            var first = from.ToUnixTimeMilliseconds();
            for (var t = first - first % step; t <= now.ToUnixTimeMilliseconds(); t += step)
            {
                steps.Add(t);
            }
        }
        return [.. steps.Select(t => known.GetValueOrDefault(t) ?? new UsagePoint(t, 0, 0, 0, 0, 0, 0, 0, 0, new long[LatencyHistogram.Columns.Length]))];
    }

    private static double? Round(double? ms) => ms is { } v ? Math.Round(v, 1) : null;

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
                return new KeyRow(k.Id, k.Masked, k.Enabled ? s.State : "disabled", k.Enabled ? s.DisabledReason : "enabled: false", s.CooldownUntil, s.Requests, s.Successes, s.Failures,
                    [.. s.StatusCounts.Select(c => (c.Key, c.Value))]);
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
        var filter = new RequestFilter(query.Within is { } within ? now - within : now.AddDays(-StorageOptions.DefaultRetentionDays - 1), now.AddMinutes(1))
        {
            Tenant = user.Tenant ?? Blank(query.Tenant),
            Key = Blank(query.Key)?.TrimEnd('…'),
            Model = Blank(query.Model),
            Provider = Blank(query.Provider),
            Protocol = Blank(query.Protocol),
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
            rows.Add(new TenantRow(t.Name, t.Origin, t.Models, LimitsDocument.Of(t.Limits).Describe(), await UsageAgainstLimitsAsync(t, ct).ConfigureAwait(false), list));
        }
        return rows;
    }

    /// <summary>Today's requests, tokens and spend and this month's spend against the tenant's limits (from the rollups; the limits' own day and month).</summary>
    private async Task<List<LimitUse>> UsageAgainstLimitsAsync(TenantConfig tenant, CancellationToken ct)
    {
        var l = tenant.Limits;
        var uses = new List<LimitUse>();
        if (l.RequestsPerDay is null && l.TokensPerDay is null && l.BudgetUsdPerDay is null && l.BudgetUsdPerMonth is null)
        {
            return uses;
        }
        var now = time.GetUtcNow();
        var zone = config.Current.Config.LimitsTimeZone;
        var today = Sum(await usage.UsageAsync(new RequestFilter(ZonedCalendar.DayStart(now, zone), now.AddMinutes(1)) { Tenant = tenant.Name }, [], zone, ct).ConfigureAwait(false));
        if (l.RequestsPerDay is { } rpd)
        {
            uses.Add(new LimitUse("requests today", today.Requests, rpd));
        }
        if (l.TokensPerDay is { } tpd)
        {
            uses.Add(new LimitUse("tokens today", today.InputTokens + today.OutputTokens, tpd));
        }
        if (l.BudgetUsdPerDay is { } bpd)
        {
            uses.Add(new LimitUse("USD today", Tenancy.Pricing.PriceCard.FromNanos(today.CostNanos), bpd));
        }
        if (l.BudgetUsdPerMonth is { } bpm)
        {
            var month = Sum(await usage.UsageAsync(new RequestFilter(ZonedCalendar.MonthStart(now, zone), now.AddMinutes(1)) { Tenant = tenant.Name }, [], zone, ct).ConfigureAwait(false));
            uses.Add(new LimitUse("USD this month", Tenancy.Pricing.PriceCard.FromNanos(month.CostNanos), bpm));
        }
        return uses;
    }

    private static UsageLine Sum(List<UsageLine> lines) => new(null, null, null, null, null, null)
    {
        Requests = lines.Sum(x => x.Requests),
        InputTokens = lines.Sum(x => x.InputTokens),
        OutputTokens = lines.Sum(x => x.OutputTokens),
        CostNanos = lines.Sum(x => x.CostNanos),
    };

    public async Task<(CreatedKey? Key, string? Refusal)> CreateVirtualKeyAsync(ConsoleUser user, string tenant, string? name, CancellationToken ct)
    {
        var change = await actions.CreateVirtualKeyAsync(Scope(user), tenant, new CreateKeyRequest(name, null, null), ct).ConfigureAwait(false);
        return change.Value is { } k ? (new CreatedKey(k.Id, k.Key, k.Tenant, k.Name, k.Prefix), null) : (null, change.Error!.Message);
    }

    public async Task<string?> RevokeVirtualKeyAsync(ConsoleUser user, string id, CancellationToken ct) =>
        (await actions.RevokeVirtualKeyAsync(Scope(user), id, ct).ConfigureAwait(false)).Error?.Message;

    public async Task<(CreatedKey? Key, string? Refusal)> RotateVirtualKeyAsync(ConsoleUser user, string id, CancellationToken ct)
    {
        var change = await actions.RotateVirtualKeyAsync(Scope(user), id, null, ct).ConfigureAwait(false);
        return change.Value is { Key: var k } ? (new CreatedKey(k.Id, k.Key, k.Tenant, k.Name, k.Prefix), null) : (null, change.Error!.Message);
    }

    public async Task<string?> CreateTenantAsync(ConsoleUser user, NewTenant tenant, CancellationToken ct)
    {
        var models = tenant.Models?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var limits = new LimitsDocument(tenant.RequestsPerDay, tenant.TokensPerDay, tenant.Rpm, null, null, tenant.BudgetUsdPerDay, tenant.BudgetUsdPerMonth);
        var change = await actions.CreateTenantAsync(Scope(user), new CreateTenantRequest(tenant.Name.Trim(), models, limits, null, null), ct).ConfigureAwait(false);
        return change.Error?.Message;
    }

    // ---- providers and keys ----------------------------------------------------------------------------------------

    public async Task<string?> CreateProviderAsync(ConsoleUser user, NewProvider provider, CancellationToken ct)
    {
        var body = new JsonObject { ["name"] = provider.Name.Trim(), ["type"] = provider.Type };
        if (Blank(provider.BaseUrl) is { } url)
        {
            body["base_url"] = url;
        }
        body["keys"] = Blank(provider.Key) is { } key ? new JsonArray(key) : new JsonArray();
        return (await actions.CreateProviderAsync(Scope(user), body, ct).ConfigureAwait(false)).Error?.Message;
    }

    public async Task<string?> DeleteProviderAsync(ConsoleUser user, string name, CancellationToken ct) =>
        (await actions.DeleteProviderAsync(Scope(user), name, null, ct).ConfigureAwait(false))?.Message;

    public async Task<(ConnectionTestView? Result, string? Refusal)> TestProviderAsync(ConsoleUser user, string name, string? keyId, string? model, CancellationToken ct)
    {
        var change = await actions.TestProviderAsync(Scope(user), name, Blank(keyId), Blank(model), ct).ConfigureAwait(false);
        return change.Value is { } t ? (new ConnectionTestView(t.Provider, t.Ok, t.Status, t.LatencyMs, t.Model, t.Key, t.Answer, t.Error), null) : (null, change.Error!.Message);
    }

    public async Task<string?> AddKeyAsync(ConsoleUser user, string provider, string key, CancellationToken ct) =>
        (await actions.AddKeyAsync(Scope(user), provider, new JsonObject { ["key"] = key.Trim() }, ct).ConfigureAwait(false)).Error?.Message;

    public async Task<string?> SetKeyEnabledAsync(ConsoleUser user, string provider, string id, bool enabled, CancellationToken ct) =>
        (await actions.SetKeyEnabledAsync(Scope(user), provider, id, enabled, ct).ConfigureAwait(false)).Error?.Message;

    public async Task<string?> DeleteKeyAsync(ConsoleUser user, string provider, string id, CancellationToken ct) =>
        (await actions.DeleteKeyAsync(Scope(user), provider, id, ct).ConfigureAwait(false))?.Message;

    // ---- routes ----------------------------------------------------------------------------------------------------

    public async Task<string?> SaveRouteAsync(ConsoleUser user, RouteForm route, bool update, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["strategy"] = route.Strategy,
            ["targets"] = new JsonArray([.. route.Targets.Where(t => !string.IsNullOrWhiteSpace(t.Provider)).Select(t => (JsonNode)(Blank(t.Model) is { } m
                ? new JsonObject { ["provider"] = t.Provider, ["model"] = m }
                : new JsonObject { ["provider"] = t.Provider }))]),
        };
        if (Blank(route.RulesJson) is { } rules)
        {
            try
            {
                body["rules"] = JsonNode.Parse(rules) is JsonArray array ? array : throw new System.Text.Json.JsonException("not an array");
            }
            catch (System.Text.Json.JsonException ex)
            {
                return $"Scenario rules must be a JSON array of rules ({ex.Message.Split(" Path:")[0]}).";
            }
        }
        else if (update)
        {
            body["rules"] = null; // emptied in the form: the route has none now
        }
        var model = route.Model.Trim();
        if (update)
        {
            return (await actions.UpdateRouteAsync(Scope(user), model, body, null, ct).ConfigureAwait(false)).Error?.Message;
        }
        body["model"] = model;
        return (await actions.CreateRouteAsync(Scope(user), body, ct).ConfigureAwait(false)).Error?.Message;
    }

    public IReadOnlyList<string> RouteStrategies => TargetSelectionStrategies.Names;

    public async Task<string?> DeleteRouteAsync(ConsoleUser user, string model, CancellationToken ct) =>
        (await actions.DeleteRouteAsync(Scope(user), model, null, ct).ConfigureAwait(false))?.Message;

    // ---- audit, settings, playground -------------------------------------------------------------------------------

    public async Task<AuditPage> AuditAsync(ConsoleUser user, string? action, long? before, CancellationToken ct)
    {
        const int Limit = 50;
        var rows = await audit.QueryAsync(new AuditQuery(user.Tenant, null, Blank(action), null, null, null, Limit + 1, before), ct).ConfigureAwait(false);
        var page = rows.Take(Limit).Select(e => new AuditRow(e.Id, DateTimeOffset.FromUnixTimeMilliseconds(e.Ts), e.Actor, e.Action, e.Target, e.Tenant, e.Before, e.After)).ToList();
        return new AuditPage(page, rows.Count > Limit ? page[^1].Id : null);
    }

    public string? Settings(ConsoleUser user) => user.IsFullAdmin
        ? EffectiveConfigEndpoints.Document(config, virtualKeys, keys, health, time, store).ToJsonString(Readable)
        : null;

    public IAsyncEnumerable<PlaygroundEvent> PlayAsync(ConsoleUser user, PlaygroundRequest request, CancellationToken ct) => playground.RunAsync(request, ct);

    private IEnumerable<TenantConfig> Tenants() => virtualKeys.AllTenants(config.Current);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public IReadOnlyList<RouteRow> Routes(ConsoleUser user) => !user.IsFullAdmin ? [] : RoutesOf(config.Current);

    private static List<RouteRow> RoutesOf(GatewaySnapshot snapshot) =>
        [.. snapshot.Config.Routes.Select(r => new RouteRow(r.Model.Length > 0 ? r.Model : "(keywords)", r.Origin,
            [.. r.Aliases, .. r.Keywords.Select(k => $"*{k}*"), .. (r.IsDefault ? ["(default)"] : Array.Empty<string>())], r.Strategy,
            [.. r.Targets.Select(t => t.Provider + (t.Model is { } m ? " → " + m : ""))],
            [.. r.Rules.Select(rule => $"{rule.When.Describe()} → {string.Join(", ", rule.Route.Targets.Select(t => t.Provider + (t.Model is { } m ? " → " + m : "")))}")],
            Form(r, snapshot)))];

    /// <summary>The edit form's values: the route as the admin API shows it.</summary>
    private static RouteForm Form(RouteConfig route, GatewaySnapshot snapshot)
    {
        var view = ConfigEndpoints.View(route, snapshot);
        return new RouteForm
        {
            Model = route.Model,
            Strategy = route.Strategy,
            Targets = [.. route.Targets.Select(t => new TargetForm { Provider = t.Provider, Model = t.Model })],
            RulesJson = view.Rules.Count == 0 ? null
                : System.Text.Json.JsonSerializer.SerializeToNode(view, AdminJson.Default.RouteSpecView)?["rules"]?.ToJsonString(Readable),
        };
    }

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

    private static List<UsageSlice> Slices(List<UsageLine> lines, Func<UsageLine, string?> name) =>
        [.. lines.OrderByDescending(l => l.Requests).Take(10).Select(l => new UsageSlice(name(l) ?? "(none)", l.Requests, l.Errors, l.InputTokens + l.OutputTokens,
            Tenancy.Pricing.PriceCard.FromNanos(l.CostNanos)))];
}
