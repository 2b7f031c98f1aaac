using System.Text.Json.Serialization;

namespace Switchyard.Admin;

// The admin API's bodies: written by the gateway and read by the CLI with the same source-generated contract.

/// <summary><c>GET /providers</c>.</summary>
internal sealed record ProvidersView(IReadOnlyList<ProviderView> Providers);

internal sealed record ProviderView(string Name, string Type, string? BaseUrl, string KeyStrategy, ProviderHealthView Health, IReadOnlyList<KeyView> Keys);

internal sealed record ProviderHealthView(string State, double CooldownRemainingSeconds, int ConsecutiveFailures, int InFlight, double? EwmaTtfbMs,
    long Requests, long Failures, string? LastError);

/// <summary>One key of a provider's pool, masked.</summary>
internal sealed record KeyView(int Index, string Key, bool Enabled, string? DisabledReason, DateTimeOffset? CooldownUntil, bool HalfOpen,
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
internal sealed record ResolvedRouteView(string Model, string MatchedBy, string Route, string Strategy, IReadOnlyList<ResolvedTargetView> Targets);

internal sealed record ResolvedTargetView(string Provider, string UpstreamModel);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProvidersView))]
[JsonSerializable(typeof(KeyEnabledView))]
[JsonSerializable(typeof(ReloadView))]
[JsonSerializable(typeof(RoutesView))]
[JsonSerializable(typeof(ResolvedRouteView))]
internal sealed partial class AdminJson : JsonSerializerContext;
