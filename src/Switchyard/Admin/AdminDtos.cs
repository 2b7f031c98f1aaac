using System.Text.Json.Serialization;

namespace Switchyard.Admin;

// The admin API's bodies: written by the gateway and read by the CLI with the same source-generated contract.

/// <summary><c>GET /providers</c>.</summary>
internal sealed record ProvidersView(IReadOnlyList<ProviderView> Providers);

internal sealed record ProviderView(string Name, string Type, string? BaseUrl, string KeyStrategy, ProviderHealthView Health, IReadOnlyList<KeyView> Keys);

internal sealed record ProviderHealthView(string State, double CooldownRemainingSeconds, int ConsecutiveFailures, int InFlight, double? EwmaTtfbMs,
    long Requests, long Failures, string? LastError);

/// <summary>One key of a provider's pool, masked; <c>id</c> is its fingerprint, as the <c>/admin/v1</c> key endpoints take it.</summary>
internal sealed record KeyView(int Index, string Id, string Key, bool Enabled, string? DisabledReason, DateTimeOffset? CooldownUntil, bool HalfOpen,
    int ConsecutiveFailures, DateTimeOffset? LastFailureAt, int? LastFailureStatus, DateTimeOffset? LastUsed, long Requests, long Successes,
    long Failures, int InFlight, IReadOnlyDictionary<string, long> StatusCodes);

/// <summary><c>POST /providers/{name}/keys/{index}/enable</c>.</summary>
internal sealed record KeyEnabledView(string Provider, string Key, bool Enabled);

/// <summary><c>POST /providers/reload</c>: <c>summary</c> when reloaded, <c>error</c> (file:line:column) when rejected.</summary>
internal sealed record ReloadView(string Status, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Summary,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <summary><c>GET /admin/routes</c>.</summary>
internal sealed record RoutesView(string Config, IReadOnlyList<RouteView> Routes);

internal sealed record RouteView(string Model, IReadOnlyList<string> Aliases, IReadOnlyList<string> Keywords, bool Default, string Strategy, string Mode,
    IReadOnlyList<RouteTargetView> Targets);

internal sealed record RouteTargetView(string Provider, string? Model, int Weight, int Priority);

/// <summary><c>GET /admin/routes/resolve?model=</c>.</summary>
internal sealed record ResolvedRouteView(string Model, string MatchedBy, string Route, string Strategy, IReadOnlyList<ResolvedTargetView> Targets)
{
    /// <summary>The route's scenario rules as checked against the request described in the query: which held, which took it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<RuleCheckView>? Rules { get; init; }
}

/// <summary>One scenario rule checked: its conditions, whether they all held, and whether it took the request (the first that held).</summary>
internal sealed record RuleCheckView(int Index, string When, bool Holds, bool Selected);

internal sealed record ResolvedTargetView(string Provider, string UpstreamModel);

/// <summary><c>POST /admin/v1/tenants</c>.</summary>
internal sealed record CreateTenantRequest(string? Name, IReadOnlyList<string>? Models, Tenancy.LimitsDocument? Limits, Tenancy.LimitsDocument? UserLimits, bool? CaptureBodies);

/// <summary><c>PATCH /admin/v1/tenants/{name}</c>: each field given replaces the tenant's (<c>{}</c> clears limits); absent ones stay.</summary>
internal sealed record PatchTenantRequest(IReadOnlyList<string>? Models, Tenancy.LimitsDocument? Limits, Tenancy.LimitsDocument? UserLimits, bool? CaptureBodies);

/// <summary><c>POST /admin/v1/keys/{id}/rotate</c>: how long the old key keeps working (default a day; 0 = it stops now).</summary>
internal sealed record RotateKeyRequest(int? GraceSeconds);

/// <summary>The new key of a rotation (shown once) and when the key it replaces stops working.</summary>
internal sealed record RotatedKeyView(CreatedKeyView Key, string Replaces, DateTimeOffset ReplacedKeyExpiresAt);

/// <summary>A tenant: from the config file (<c>origin: file</c>, changed there) or created here (<c>origin: store</c>).</summary>
internal sealed record TenantView(string Name, string Origin, IReadOnlyList<string> Models, int StaticKeys, Tenancy.LimitsDocument Limits, Tenancy.LimitsDocument UserLimits,
    bool CaptureBodies);

internal sealed record TenantsView(IReadOnlyList<TenantView> Data);

/// <summary><c>POST /admin/v1/tenants/{name}/keys</c>.</summary>
internal sealed record CreateKeyRequest(string? Name, DateTimeOffset? ExpiresAt, Tenancy.LimitsDocument? Limits);

/// <summary>A virtual key as lists show it: its prefix, never the key. <c>state</c>: active, expired or revoked.</summary>
internal sealed record VirtualKeyView(string Id, string Tenant, string? Name, string Prefix, string State, DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, Tenancy.LimitsDocument Limits);

/// <summary>The answer to creating a key: the only time <c>key</c> is shown.</summary>
internal sealed record CreatedKeyView(string Id, string Key, string Tenant, string? Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    Tenancy.LimitsDocument Limits);

internal sealed record VirtualKeysView(IReadOnlyList<VirtualKeyView> Data);

/// <summary>One group of <c>GET /admin/v1/usage</c>: the values it is grouped by, then the sums.</summary>
internal sealed record UsageLineView(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Tenant,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? User,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Model,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Provider,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Day,
    long Requests, long Errors, long InputTokens, long OutputTokens, long CachedTokens, long CacheWriteTokens, long ReasoningTokens,
    decimal CostUsd, double AvgLatencyMs);

internal sealed record UsageView(IReadOnlyList<UsageLineView> Data, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<string> GroupBy);

/// <summary>One request of <c>GET /admin/v1/logs</c> (keys by prefix or masked; the trail as the gateway wrote it).</summary>
internal sealed record LogEntryView(long Id, DateTimeOffset Time, string RequestId, string? Tenant, string? TenantKey, string? User, string Protocol,
    string Model, string? Route, string? Provider, string? UpstreamModel, string? UpstreamKey, int Status, int Attempts, double LatencyMs, double? TtfbMs,
    int InputTokens, int OutputTokens, int CachedTokens, int CacheWriteTokens, int ReasoningTokens, decimal? CostUsd, string? PriceVersion,
    IReadOnlyList<string> Trail, string? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Body);

/// <summary>A page of the log, newest first; <c>next_cursor</c> fetches the next (older) page, null at the end.</summary>
internal sealed record LogsView(IReadOnlyList<LogEntryView> Data, string? NextCursor);

/// <summary>A provider as <c>/admin/v1/providers</c> shows it: the YAML shape, header values and keys masked, where it comes from.</summary>
internal sealed record ProviderSpecView(string Name, string Origin, string Type, string? BaseUrl, string? Auth, string? AuthHeader, string AuthFormat,
    IReadOnlyDictionary<string, string> Headers, string ConnectTimeout, string FirstByteTimeout, string IdleTimeout, string MaxTokensField,
    int? MaxOutputTokens, int DefaultMaxTokens, bool ReasoningEffort, string AnthropicVersion, string ApiVersion, IReadOnlyDictionary<string, string> Deployments,
    string KeyStrategy, int MaxFailures, string FailureCooldown, bool KeyAffinity, string? BigModel, string? SmallModel, string Health,
    IReadOnlyList<ProviderKeyView> Keys,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Version);

/// <summary>One key of a pool: its id (a fingerprint), masked, where it comes from, its settings and its state now.</summary>
/// <param name="State">available, cooling_down or disabled.</param>
internal sealed record ProviderKeyView(string Id, string Key, string Origin, int Weight, int MaxFailures, string Cooldown, bool Enabled, string State,
    string? DisabledReason, DateTimeOffset? CooldownUntil);

/// <summary><c>GET /admin/v1/providers</c>; <c>problems</c>: what of the store is shadowed by the file or inactive.</summary>
internal sealed record ProviderSpecsView(IReadOnlyList<ProviderSpecView> Data, IReadOnlyList<string> Problems);

internal sealed record ProviderKeysView(IReadOnlyList<ProviderKeyView> Data);

/// <summary>A route as <c>/admin/v1/routes</c> shows it: the YAML shape and where it comes from.</summary>
internal sealed record RouteSpecView(string Model, string Origin, IReadOnlyList<string> Aliases, IReadOnlyList<string> Keywords, bool Default, string Strategy,
    string Mode, IReadOnlyList<RouteTargetSpecView> Targets, string? BigModel, string? SmallModel, RetrySpecView Retry,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Version)
{
    /// <summary>Scenario rules in the YAML shape, in the order they are checked.</summary>
    public IReadOnlyList<RouteRuleSpecView> Rules { get; init; } = [];
}

/// <summary>One scenario rule: the conditions (only those given) and the targets they select.</summary>
internal sealed record RouteRuleSpecView(RuleConditionsView When, string Strategy, IReadOnlyList<RouteTargetSpecView> Targets);

internal sealed record RuleConditionsView(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Thinking,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? MinInputTokens,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ToolsInclude,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Background,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Client);

internal sealed record RouteTargetSpecView(string Provider, string? Model, int Weight, int Priority,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PatchSpecView? Patch);

internal sealed record PatchSpecView(int? MaxTokens, string? ReasoningEffort, IReadOnlyList<string> Drop);

internal sealed record RetrySpecView(int MaxRetries, IReadOnlyList<int> Statuses, string Backoff, string MaxBackoff, string? Deadline);

/// <summary><c>GET /admin/v1/routes</c>, in the order they are matched within each kind (exact, alias, glob, keyword, default).</summary>
internal sealed record RouteSpecsView(IReadOnlyList<RouteSpecView> Data, IReadOnlyList<string> Problems);

/// <summary>One change of <c>GET /admin/v1/audit</c>: who, what, the object before and after (as the API shows it, masked), when.</summary>
internal sealed record AuditEntryView(long Id, DateTimeOffset Time, string Actor, string Action, string Target, string? Tenant,
    System.Text.Json.Nodes.JsonNode? Before, System.Text.Json.Nodes.JsonNode? After);

/// <summary>A page of the audit log, newest first; <c>next_cursor</c> fetches older entries, null at the end.</summary>
internal sealed record AuditView(IReadOnlyList<AuditEntryView> Data, string? NextCursor);

/// <summary><c>POST /admin/v1/providers/{name}/test</c>: which key (an id of the pool, or a key to try before adding it) and model; both optional.</summary>
internal sealed record ProviderTestRequest(string? Key, string? Model);

/// <summary>The connection test's answer: status, latency, the upstream's answer or error, its rate-limit headers.</summary>
internal sealed record ProviderTestView(string Provider, bool Ok, int? Status, double LatencyMs, string Model, string Key, string? Answer, string? Error,
    IReadOnlyDictionary<string, string> RateLimits);

/// <summary>One key in <c>GET /v1/api-keys/stats</c> (the shape the seed's users read: provider → masked key → this).</summary>
internal sealed record KeyStatsSeedView(long TotalRequests, long SuccessfulRequests, long FailedRequests, double SuccessRate, DateTimeOffset? LastUsed,
    IReadOnlyDictionary<string, long> StatusCodes);

/// <summary>What a reload changed, as the audit log records it.</summary>
internal sealed record ReloadAuditView(string Trigger, string Summary);

// ---- request bodies as the OpenAPI document describes them (the handlers read them with the config loader, which
// also names a wrong field; these records give their shape to the document and to clients) -----------------------

/// <summary><c>POST /admin/v1/providers</c> (and, as a JSON merge patch, <c>PATCH</c>): the YAML provider shape.</summary>
/// <param name="Keys">Each a key string, or <c>{key, weight?, max_failures?, cooldown?, enabled?}</c>.</param>
internal sealed record ProviderSpecRequest(string Name, string Type, string? BaseUrl, IReadOnlyList<System.Text.Json.Nodes.JsonNode>? Keys,
    string? Auth, string? AuthHeader, string? AuthFormat, IReadOnlyDictionary<string, string>? Headers, string? ConnectTimeout,
    string? FirstByteTimeout, string? IdleTimeout, string? MaxTokensField, int? MaxOutputTokens, int? DefaultMaxTokens, bool? ReasoningEffort,
    string? AnthropicVersion, string? Preset, string? ApiVersion, IReadOnlyDictionary<string, string>? Deployments, string? KeyStrategy,
    int? MaxFailures, string? FailureCooldown, bool? KeyAffinity, string? BigModel, string? SmallModel);

/// <summary><c>POST /admin/v1/providers/{name}/keys</c>.</summary>
internal sealed record KeySpecRequest(string Key, int? Weight, int? MaxFailures, string? Cooldown, bool? Enabled);

/// <summary><c>POST /admin/v1/routes</c> (and, as a JSON merge patch, <c>PATCH</c>): the YAML route shape.</summary>
internal sealed record RouteSpecRequest(string Model, IReadOnlyList<string>? Aliases, IReadOnlyList<string>? Keywords, bool? Default, string? Strategy,
    string? Mode, IReadOnlyList<RouteTargetRequest> Targets, string? BigModel, string? SmallModel, RetryRequest? Retry, IReadOnlyList<RouteRuleRequest>? Rules);

internal sealed record RouteTargetRequest(string Provider, string? Model, int? Weight, int? Priority, PatchRequest? Patch);

internal sealed record PatchRequest(int? MaxTokens, string? ReasoningEffort, IReadOnlyList<string>? Drop);

internal sealed record RetryRequest(int? MaxRetries, IReadOnlyList<int>? Statuses, string? Backoff, string? MaxBackoff, string? Deadline);

/// <summary>A scenario rule: its conditions (at least one) and the targets they select.</summary>
internal sealed record RouteRuleRequest(RuleConditionsView When, IReadOnlyList<RouteTargetRequest> Targets, string? Strategy);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProvidersView))]
[JsonSerializable(typeof(KeyEnabledView))]
[JsonSerializable(typeof(ReloadView))]
[JsonSerializable(typeof(RoutesView))]
[JsonSerializable(typeof(ResolvedRouteView))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(TenantView))]
[JsonSerializable(typeof(TenantsView))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(VirtualKeyView))]
[JsonSerializable(typeof(CreatedKeyView))]
[JsonSerializable(typeof(VirtualKeysView))]
[JsonSerializable(typeof(PatchTenantRequest))]
[JsonSerializable(typeof(RotateKeyRequest))]
[JsonSerializable(typeof(RotatedKeyView))]
[JsonSerializable(typeof(UsageView))]
[JsonSerializable(typeof(LogsView))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(ProviderSpecView))]
[JsonSerializable(typeof(ProviderSpecsView))]
[JsonSerializable(typeof(ProviderKeyView))]
[JsonSerializable(typeof(ProviderKeysView))]
[JsonSerializable(typeof(RouteSpecView))]
[JsonSerializable(typeof(RouteSpecsView))]
[JsonSerializable(typeof(AuditView))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, KeyStatsSeedView>>))]
[JsonSerializable(typeof(ProviderTestRequest))]
[JsonSerializable(typeof(ProviderTestView))]
[JsonSerializable(typeof(ReloadAuditView))]
[JsonSerializable(typeof(ProviderSpecRequest))]
[JsonSerializable(typeof(KeySpecRequest))]
[JsonSerializable(typeof(RouteSpecRequest))]
internal sealed partial class AdminJson : JsonSerializerContext;
