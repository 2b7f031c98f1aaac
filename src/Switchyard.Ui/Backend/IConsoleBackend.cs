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

    /// <summary>The dashboard over the last hour, day or 30 days (a tenant admin's confined to its tenant).</summary>
    Task<DashboardView> DashboardAsync(ConsoleUser user, DashboardRange range, CancellationToken ct);

    IReadOnlyList<ProviderRow> Providers(ConsoleUser user);

    /// <summary>Adds a provider (<c>null</c>: done; else why not). Every change below is the admin API's, audited as the user.</summary>
    Task<string?> CreateProviderAsync(ConsoleUser user, NewProvider provider, CancellationToken ct);

    Task<string?> DeleteProviderAsync(ConsoleUser user, string name, CancellationToken ct);

    /// <summary>One real call to the provider with one of its keys (<paramref name="keyId"/>, else the first usable one).</summary>
    Task<(ConnectionTestView? Result, string? Refusal)> TestProviderAsync(ConsoleUser user, string name, string? keyId, string? model, CancellationToken ct);

    Task<string?> AddKeyAsync(ConsoleUser user, string provider, string key, CancellationToken ct);

    Task<string?> SetKeyEnabledAsync(ConsoleUser user, string provider, string id, bool enabled, CancellationToken ct);

    Task<string?> DeleteKeyAsync(ConsoleUser user, string provider, string id, CancellationToken ct);

    /// <summary>A page of the request log, newest first (a tenant admin's confined to its tenant); <see cref="LogPage.Next"/> fetches older rows.</summary>
    Task<LogPage> LogsAsync(ConsoleUser user, LogQuery query, CancellationToken ct);

    /// <summary>The tenants the user manages (a tenant admin: its own) with their virtual keys (by prefix, never the key).</summary>
    Task<IReadOnlyList<TenantRow>> TenantsAsync(ConsoleUser user, CancellationToken ct);

    /// <summary>A new virtual key for the tenant (recorded in the audit log as the user): the key itself is in the answer, this once.</summary>
    Task<(CreatedKey? Key, string? Refusal)> CreateVirtualKeyAsync(ConsoleUser user, string tenant, string? name, CancellationToken ct);

    /// <summary>Revokes a virtual key of a tenant the user manages (effective on the next request; audited).</summary>
    Task<string?> RevokeVirtualKeyAsync(ConsoleUser user, string id, CancellationToken ct);

    /// <summary>A new key in place of a working one (shown once); the old one keeps working for a day.</summary>
    Task<(CreatedKey? Key, string? Refusal)> RotateVirtualKeyAsync(ConsoleUser user, string id, CancellationToken ct);

    /// <summary>A new tenant (full admins only).</summary>
    Task<string?> CreateTenantAsync(ConsoleUser user, NewTenant tenant, CancellationToken ct);

    /// <summary>The routing table (full admins only).</summary>
    IReadOnlyList<RouteRow> Routes(ConsoleUser user);

    /// <summary>The strategies a route may pick its targets by.</summary>
    IReadOnlyList<string> RouteStrategies { get; }

    /// <summary>Creates a route, or changes a store route's strategy, targets and scenario rules (<paramref name="update"/>).</summary>
    Task<string?> SaveRouteAsync(ConsoleUser user, RouteForm route, bool update, CancellationToken ct);

    Task<string?> DeleteRouteAsync(ConsoleUser user, string model, CancellationToken ct);

    /// <summary>The audit log, newest first (a tenant admin's confined to its tenant).</summary>
    Task<AuditPage> AuditAsync(ConsoleUser user, string? action, long? before, CancellationToken ct);

    /// <summary>The effective config as JSON, secrets masked (full admins only; null for a tenant admin).</summary>
    string? Settings(ConsoleUser user);

    /// <summary>Sends one chat through the gateway itself (its own HTTP endpoint) and yields what comes back as it arrives.</summary>
    IAsyncEnumerable<PlaygroundEvent> PlayAsync(ConsoleUser user, PlaygroundRequest request, CancellationToken ct);

    /// <summary>Where a model name goes, step by step; null when no route matches.</summary>
    ResolveView? Resolve(ConsoleUser user, string model);
}

/// <summary>The log's filters (each null matches anything) and the page: <see cref="Before"/> is the previous page's cursor.</summary>
/// <param name="Status">A code (429), a class (4xx) or "error" (400 and above).</param>
public sealed record LogQuery(string? Tenant, string? Model, string? Provider, string? Status, int Limit = 50, LogCursor? Before = null)
{
    /// <summary>A virtual key's prefix (or a static key as the log masks it).</summary>
    public string? Key { get; init; }

    /// <summary>The client protocol: openai, responses, anthropic or gemini.</summary>
    public string? Protocol { get; init; }

    /// <summary>Only requests this recent (null: the whole retention).</summary>
    public TimeSpan? Within { get; init; }
}

public sealed record LogCursor(long Ts, long Id);

public sealed record LogPage(IReadOnlyList<LogRow> Rows, LogCursor? Next, string? Problem = null);

/// <summary>One request of the log: keys by prefix or masked, the trail as the gateway wrote it, the captured body when capture is on.</summary>
public sealed record LogRow(long Id, DateTimeOffset Time, string RequestId, string? Tenant, string? TenantKey, string? User, string Protocol, string Model,
    string? Route, string? Provider, string? UpstreamModel, string? UpstreamKey, int Status, int Attempts, double LatencyMs, double? TtfbMs,
    int InputTokens, int OutputTokens, int CachedTokens, int ReasoningTokens, decimal? CostUsd, IReadOnlyList<string> Trail, string? Error, string? Body);

/// <summary>A route as the console lists it; <see cref="Form"/> fills the edit form (store routes).</summary>
public sealed record RouteRow(string Model, string Origin, IReadOnlyList<string> AlsoMatches, string Strategy, IReadOnlyList<string> Targets, IReadOnlyList<string> Rules,
    RouteForm Form);

/// <summary>The route form: the model name (or glob), the strategy, the targets in order, the scenario rules as the YAML shape in JSON.</summary>
public sealed class RouteForm
{
    public string Model { get; set; } = "";
    public string Strategy { get; set; } = "failover";
    public List<TargetForm> Targets { get; set; } = [new()];
    public string? RulesJson { get; set; }
}

public sealed class TargetForm
{
    public string Provider { get; set; } = "";
    public string? Model { get; set; }
}

/// <summary>A provider to add: the YAML's name, type, base URL and a first key.</summary>
public sealed class NewProvider
{
    public string Name { get; set; } = "";
    public string Type { get; set; } = "openai";
    public string? BaseUrl { get; set; }
    public string? Key { get; set; }
}

/// <summary>A tenant to create: its name, model globs (comma separated) and its limits (empty: none).</summary>
public sealed class NewTenant
{
    public string Name { get; set; } = "";
    public string? Models { get; set; }
    public int? RequestsPerDay { get; set; }
    public long? TokensPerDay { get; set; }
    public int? Rpm { get; set; }
    public decimal? BudgetUsdPerDay { get; set; }
    public decimal? BudgetUsdPerMonth { get; set; }
}

/// <summary>What the connection test found.</summary>
public sealed record ConnectionTestView(string Provider, bool Ok, int? Status, double LatencyMs, string Model, string Key, string? Answer, string? Error);

public sealed record AuditPage(IReadOnlyList<AuditRow> Rows, long? Next);

/// <summary>One audited change: who, what, on what, and the object before and after (secrets masked, as stored).</summary>
public sealed record AuditRow(long Id, DateTimeOffset Time, string Actor, string Action, string Target, string? Tenant, string? Before, string? After);

/// <summary>The playground's request: a client protocol (openai, responses, anthropic, gemini), a model, a prompt, streaming or not, the key to call with.</summary>
public sealed class PlaygroundRequest
{
    public string Protocol { get; set; } = "openai";
    public string Model { get; set; } = "";
    public string Prompt { get; set; } = "Say hello.";
    public bool Stream { get; set; } = true;
    public string? Key { get; set; }
}

/// <summary>Part of the playground's answer: the status and routing headers first, then text as it arrives (and the raw wire), or an error.</summary>
public sealed record PlaygroundEvent(PlaygroundEventKind Kind, string Text, IReadOnlyList<(string Name, string Value)>? Headers = null);

public enum PlaygroundEventKind { Head, Text, Raw, Error }

public enum DashboardRange { Hour, Day, Month }

/// <summary>A name resolved: how it matched, the route, and each target with the upstream model it would ask for.</summary>
public sealed record ResolveView(string Model, string MatchedBy, string Route, string Strategy, IReadOnlyList<(string Provider, string UpstreamModel)> Targets);

/// <summary>A logged-in console user: a full admin (<see cref="Tenant"/> null) or one tenant's admin.</summary>
/// <param name="Actor">As the audit log names it: "admin key", "loopback" or "jwt:SUBJECT".</param>
public sealed record ConsoleUser(string Actor, string? Tenant)
{
    public bool IsFullAdmin => Tenant is null;
}

/// <summary>The dashboard over its range: totals, the series over time, traffic per provider, model and tenant, what runs now, the providers' health.</summary>
public sealed record DashboardView(DashboardRange Range, UsageTotals Totals, IReadOnlyList<SeriesPoint> Series, IReadOnlyList<UsageSlice> ByProvider,
    IReadOnlyList<UsageSlice> ByModel, IReadOnlyList<UsageSlice> ByTenant, IReadOnlyList<ProviderRow> Providers, long InFlight, long Streams);

/// <param name="P50Ms">Latency percentiles from the rollups' histogram (null without traffic); <paramref name="AvgTtfbMs"/> over requests with a first byte.</param>
public sealed record UsageTotals(long Requests, long Errors, long InputTokens, long OutputTokens, decimal CostUsd, double AvgLatencyMs, double? P50Ms, double? P95Ms, double? AvgTtfbMs);

/// <summary>One step of the series (a minute, half an hour or a day).</summary>
public sealed record SeriesPoint(DateTimeOffset Start, long Requests, long Errors, long Tokens, decimal CostUsd, double? P50Ms, double? P95Ms, double? AvgTtfbMs);

public sealed record UsageSlice(string Name, long Requests, long Errors, long Tokens, decimal CostUsd);

/// <summary>A provider as the console lists it: its health and its keys (masked).</summary>
public sealed record ProviderRow(string Name, string Type, string Origin, string? BaseUrl, string Health, double CooldownSeconds, int ConsecutiveFailures,
    int InFlight, double? EwmaTtfbMs, long Requests, long Failures, IReadOnlyList<KeyRow> Keys);

/// <summary>One key of a pool, masked, with its state (available, cooling_down, disabled) and counts.</summary>
public sealed record KeyRow(string Id, string Masked, string State, string? DisabledReason, DateTimeOffset? CooldownUntil, long Requests, long Successes, long Failures,
    IReadOnlyList<(int Status, long Count)> StatusCodes)
{
    public string SuccessRate => Requests == 0 ? "-" : $"{100.0 * Successes / Requests:0.#} %";
}

/// <summary>A tenant with its limits, its usage against them, and its virtual keys.</summary>
public sealed record TenantRow(string Name, string Origin, IReadOnlyList<string> Models, string Limits, IReadOnlyList<LimitUse> Usage, IReadOnlyList<VirtualKeyRow> Keys);

/// <summary>How much of one limit is used now (requests today, spend this month, …).</summary>
public sealed record LimitUse(string Label, decimal Used, decimal Limit)
{
    public double Percent => Limit <= 0 ? 100 : (double)Math.Min(100m, Used / Limit * 100m);
}

/// <summary>A virtual key as lists show it: its prefix; <see cref="State"/> active, expired or revoked.</summary>
public sealed record VirtualKeyRow(string Id, string? Name, string Prefix, string State, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>A key just created: <see cref="Key"/> is shown once and never again.</summary>
public sealed record CreatedKey(string Id, string Key, string Tenant, string? Name, string Prefix);
