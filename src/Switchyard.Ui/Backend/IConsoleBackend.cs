using Microsoft.AspNetCore.Http;

namespace Switchyard.Ui.Backend;

/// <summary>
/// What the console asks of the gateway. The host implements it with the services the admin API runs on, under the
/// same authorization (a console user is an admin scope: everything, or one tenant), so the two never drift.
/// </summary>
public interface IConsoleBackend
{
    /// <summary>Who a credential (the admin key, an admin or tenant-admin JWT) logs in as; the refusal's reason when it is not one.</summary>
    ValueTask<(ConsoleUser? User, string? Refusal)> LogInAsync(string credential, HttpContext http);

    /// <summary>Whether the console asks for a credential at all (no admin key nor JWT configured: loopback callers only, as the admin API).</summary>
    bool OpenOnLoopback { get; }

    Task<DashboardView> DashboardAsync(ConsoleUser user, CancellationToken ct);

    IReadOnlyList<ProviderRow> Providers(ConsoleUser user);

    /// <summary>A page of the request log, newest first (a tenant admin's confined to its tenant); <see cref="LogPage.Next"/> fetches older rows.</summary>
    Task<LogPage> LogsAsync(ConsoleUser user, LogQuery query, CancellationToken ct);

    /// <summary>The tenants the user manages (a tenant admin: its own) with their virtual keys (by prefix, never the key).</summary>
    Task<IReadOnlyList<TenantRow>> TenantsAsync(ConsoleUser user, CancellationToken ct);

    /// <summary>A new virtual key for the tenant (recorded in the audit log as the user): the key itself is in the answer, this once.</summary>
    Task<(CreatedKey? Key, string? Refusal)> CreateVirtualKeyAsync(ConsoleUser user, string tenant, string? name, CancellationToken ct);

    /// <summary>Revokes a virtual key of a tenant the user manages (effective on the next request; audited).</summary>
    Task<string?> RevokeVirtualKeyAsync(ConsoleUser user, string id, CancellationToken ct);

    /// <summary>The routing table (full admins only).</summary>
    IReadOnlyList<RouteRow> Routes(ConsoleUser user);

    /// <summary>Where a model name goes, step by step; null when no route matches.</summary>
    ResolveView? Resolve(ConsoleUser user, string model);
}

/// <summary>The log's filters (each null matches anything) and the page: <see cref="Before"/> is the previous page's cursor.</summary>
/// <param name="Status">A code (429), a class (4xx) or "error" (400 and above).</param>
public sealed record LogQuery(string? Tenant, string? Model, string? Provider, string? Status, int Limit = 50, LogCursor? Before = null);

public sealed record LogCursor(long Ts, long Id);

public sealed record LogPage(IReadOnlyList<LogRow> Rows, LogCursor? Next, string? Problem = null);

/// <summary>One request of the log: keys by prefix or masked, the trail as the gateway wrote it, the captured body when capture is on.</summary>
public sealed record LogRow(long Id, DateTimeOffset Time, string RequestId, string? Tenant, string? TenantKey, string? User, string Protocol, string Model,
    string? Route, string? Provider, string? UpstreamModel, string? UpstreamKey, int Status, int Attempts, double LatencyMs, double? TtfbMs,
    int InputTokens, int OutputTokens, int CachedTokens, int ReasoningTokens, decimal? CostUsd, IReadOnlyList<string> Trail, string? Error, string? Body);

/// <summary>A route as the console lists it.</summary>
public sealed record RouteRow(string Model, string Origin, IReadOnlyList<string> AlsoMatches, string Strategy, IReadOnlyList<string> Targets, IReadOnlyList<string> Rules);

/// <summary>A name resolved: how it matched, the route, and each target with the upstream model it would ask for.</summary>
public sealed record ResolveView(string Model, string MatchedBy, string Route, string Strategy, IReadOnlyList<(string Provider, string UpstreamModel)> Targets);

/// <summary>A logged-in console user: a full admin (<see cref="Tenant"/> null) or one tenant's admin.</summary>
/// <param name="Actor">As the audit log names it: "admin key", "loopback" or "jwt:SUBJECT".</param>
public sealed record ConsoleUser(string Actor, string? Tenant)
{
    public bool IsFullAdmin => Tenant is null;
}

/// <summary>The dashboard: the last hour's totals, its traffic per provider and per model, the providers' health now.</summary>
public sealed record DashboardView(UsageTotals LastHour, UsageTotals LastDay, IReadOnlyList<UsageSlice> ByProvider, IReadOnlyList<UsageSlice> ByModel,
    IReadOnlyList<ProviderRow> Providers, int InFlight);

public sealed record UsageTotals(long Requests, long Errors, long InputTokens, long OutputTokens, decimal CostUsd, double AvgLatencyMs);

public sealed record UsageSlice(string Name, long Requests, long Errors, long Tokens, decimal CostUsd);

/// <summary>A provider as the console lists it: its health and its keys (masked).</summary>
public sealed record ProviderRow(string Name, string Type, string Origin, string? BaseUrl, string Health, double CooldownSeconds, int ConsecutiveFailures,
    int InFlight, double? EwmaTtfbMs, long Requests, long Failures, IReadOnlyList<KeyRow> Keys);

/// <summary>One key of a pool, masked, with its state (available, cooling_down, disabled) and counts.</summary>
public sealed record KeyRow(string Id, string Masked, string State, string? DisabledReason, DateTimeOffset? CooldownUntil, long Requests, long Successes, long Failures);

/// <summary>A tenant with its limits and its virtual keys.</summary>
public sealed record TenantRow(string Name, string Origin, IReadOnlyList<string> Models, string Limits, IReadOnlyList<VirtualKeyRow> Keys);

/// <summary>A virtual key as lists show it: its prefix; <see cref="State"/> active, expired or revoked.</summary>
public sealed record VirtualKeyRow(string Id, string? Name, string Prefix, string State, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>A key just created: <see cref="Key"/> is shown once and never again.</summary>
public sealed record CreatedKey(string Id, string Key, string Tenant, string? Name, string Prefix);
