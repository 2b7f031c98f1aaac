using Switchyard.Inbound;
using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Switchyard.Config;

/// <summary>One immutable, validated configuration snapshot. Requests keep the snapshot they started with.</summary>
internal sealed record GatewayConfig(
    string Source,
    ServerOptions Server,
    AuthOptions Auth,
    FrozenDictionary<string, ProviderConfig> Providers,
    ImmutableArray<RouteConfig> Routes)
{
    public TelemetryOptions Telemetry { get; init; } = TelemetryOptions.Default;
    /// <summary>Where tenants' days begin (<c>limits_time_zone</c>, an IANA or Windows id; UTC by default).</summary>
    public TimeZoneInfo LimitsTimeZone { get; init; } = TimeZoneInfo.Utc;
    /// <summary>The file's tenants, <c>auth.keys</c> among them as the tenant "default".</summary>
    public ImmutableArray<Tenancy.TenantConfig> Tenants { get; init; } = [];
    /// <summary><c>ui.enabled</c> (read at start): the web console at <c>/ui</c>; on unless turned off.</summary>
    public bool ConsoleEnabled { get; init; } = true;
    /// <summary><c>pricing:</c> prices that take precedence over the bundled table, first match wins.</summary>
    public ImmutableArray<Tenancy.Pricing.PriceOverride> Pricing { get; init; } = [];
    /// <summary>The durable store (read at start).</summary>
    public Storage.StorageOptions Storage { get; init; } = Switchyard.Storage.StorageOptions.Default;
    /// <summary><c>cluster:</c> (read at start): shared hot state in Redis; null = single mode.</summary>
    public Cluster.ClusterOptions? Cluster { get; init; }

    /// <summary>Every upstream and gateway secret in this snapshot: what must never appear in logs or errors.</summary>
    public IEnumerable<string> Secrets() =>
        Auth.Keys.Concat(Auth.AdminKey is { } admin ? [admin] : []).Concat(Auth.Jwt?.Secret is { } jwtSecret ? [jwtSecret] : []).Concat(Tenants.SelectMany(t => t.Keys))
            .Concat(Providers.Values.SelectMany(p => p.Keys.Select(k => k.Secret))).Where(s => s.Length >= 4);
}

internal sealed record ServerOptions(long MaxRequestBodyBytes, string? Urls)
{
    /// <summary>The JSON-lines request log; null = off.</summary>
    public string? RequestLog { get; init; } = Observability.RequestLogOptions.DefaultPath;
    /// <summary>The request log rotates past this size (and at midnight UTC).</summary>
    public long RequestLogMaxBytes { get; init; } = 64L * 1024 * 1024;
    /// <summary>Include request bodies (secrets masked) in the request log: off unless asked for.</summary>
    public bool LogBodies { get; init; }
    /// <summary>Console log level: trace | debug | information | warning | error.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
    /// <summary>
    /// Reverse proxies whose <c>X-Forwarded-For</c> / <c>X-Forwarded-Proto</c> the gateway believes (<c>server.trusted_proxies</c>):
    /// behind them the caller's address is the forwarded one. A request carrying forwarding headers from any other peer is
    /// never taken for a local caller.
    /// </summary>
    public System.Collections.Immutable.ImmutableArray<System.Net.IPNetwork> TrustedProxies { get; init; } = [];
    /// <summary>Bounds on a request body's shape (<c>server.limits</c>).</summary>
    public InputLimits Limits { get; init; } = InputLimits.Default;
    /// <summary>Bounds on how a request arrives: Kestrel's header size and timeouts, the body's rate and deadline.</summary>
    public TransportLimits Transport { get; init; } = TransportLimits.Default;
    /// <summary>
    /// On SIGTERM (<c>server.shutdown_timeout</c>, read at start): readiness answers 503 and, after the drain delay, the
    /// listener closes; requests and streams still running have until this long after the signal to finish before they
    /// are cut, then the logs are flushed.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = DefaultShutdownTimeout;
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// On SIGTERM, how long the instance keeps taking requests while readiness answers 503 (<c>server.drain_delay</c>),
    /// so that a load balancer polling it stops sending before the listener closes; part of the shutdown timeout.
    /// </summary>
    public TimeSpan DrainDelay { get; init; }
    public const long DefaultMaxRequestBodyBytes = 32L * 1024 * 1024;
}

/// <summary>
/// Traces over OTLP when an endpoint is set here or in <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>; metrics are always
/// served at <c>/metrics</c>. Read at start (like <c>server.urls</c>).
/// </summary>
/// <param name="OtlpProtocol"><c>http/protobuf</c> (default, port 4318) or <c>grpc</c> (port 4317).</param>
internal sealed record TelemetryOptions(Uri? OtlpEndpoint, string OtlpProtocol, string ServiceName)
{
    public static readonly TelemetryOptions Default = new(null, "http/protobuf", "switchyard");
}

/// <param name="AdminKey">Required on admin endpoints when set; without it they answer loopback callers only.</param>
internal sealed record AuthOptions(ImmutableArray<string> Keys, string? AdminKey = null)
{
    /// <summary><c>auth.jwt</c>: bearer JWTs from a configured issuer (null: none are accepted).</summary>
    public Tenancy.JwtOptions? Jwt { get; init; }
}

/// <summary>What a provider speaks (<see cref="OpenAIResponses"/>: OpenAI's Responses API, <c>type: openai-responses</c>).</summary>
internal enum ProviderKind { OpenAI, AzureOpenAI, Anthropic, Gemini, Mock, OpenAIResponses }

internal enum UpstreamAuthScheme { Default, Bearer, ApiKeyHeader, CustomHeader }

internal sealed record ProviderConfig
{
    public required string Name { get; init; }
    /// <summary>Where it is defined: <c>file</c> (changed in the file) or <c>store</c> (created through the admin API).</summary>
    public string Origin { get; init; } = ConfigOrigin.File;
    public required ProviderKind Kind { get; init; }
    public required Uri BaseUrl { get; init; }
    public ImmutableArray<UpstreamKey> Keys { get; init; } = [];
    public UpstreamAuthScheme Auth { get; init; }
    public string? AuthHeader { get; init; }
    /// <summary>Value template for a custom auth header; <c>{key}</c> stands for the secret.</summary>
    public string AuthFormat { get; init; } = "{key}";
    public ImmutableDictionary<string, string> Headers { get; init; } = ImmutableDictionary<string, string>.Empty;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan FirstByteTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public string MaxTokensField { get; init; } = "max_completion_tokens";
    public int? MaxOutputTokens { get; init; }
    public int DefaultMaxTokens { get; init; } = 8192;
    public bool SendReasoningEffort { get; init; }
    public string AnthropicVersion { get; init; } = "2023-06-01";
    /// <summary>How the key pool picks: round_robin | random | weighted | least_used.</summary>
    public string KeyStrategy { get; init; } = "round_robin";
    /// <summary>Provider-level failures (5xx, timeouts, connection errors) in a row before it cools down.</summary>
    public int MaxFailures { get; init; } = 3;
    public TimeSpan FailureCooldown { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Keep a session on one key (by <c>x-switchyard-session</c> / <c>x-claude-code-session-id</c>) so upstream prompt caches survive rotation.</summary>
    public bool KeyAffinity { get; init; }
    /// <summary>Claude Code mapping: Haiku-class requests go to <see cref="SmallModel"/>, the rest to <see cref="BigModel"/>; "passthrough" keeps the name.</summary>
    public string? BigModel { get; init; }
    public string? SmallModel { get; init; }
    /// <summary>Azure OpenAI: the <c>api-version</c> query parameter.</summary>
    public string ApiVersion { get; init; } = "2024-10-21";
    /// <summary>Azure OpenAI: upstream model name → deployment name (absent: the model name is the deployment).</summary>
    public ImmutableDictionary<string, string> Deployments { get; init; } = ImmutableDictionary<string, string>.Empty;
}

/// <summary>One upstream API key. <see cref="ToString"/> is masked so a key never leaks through logging.</summary>
internal sealed record UpstreamKey(string Secret, int Weight, int MaxFailures, TimeSpan Cooldown, bool Enabled)
{
    public string Masked { get; } = Mask(Secret);

    /// <summary>The key's stable name (statistics, the admin API): a fingerprint of the secret, never the secret.</summary>
    public string Id { get; } = Fingerprint(Secret);

    /// <summary><c>file</c>, or <c>store</c> for a key added through the admin API.</summary>
    public string Origin { get; init; } = ConfigOrigin.File;

    /// <summary>The first 16 hex digits of the secret's SHA-256.</summary>
    public static string Fingerprint(string secret) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)))[..16];

    public override string ToString() => Masked;

    public static string Mask(string secret) =>
        secret.Length <= 8 ? "****" : string.Concat(secret.AsSpan(0, 4), "…", secret.AsSpan(secret.Length - 4));
}

internal sealed record RouteTarget(string Provider, string? Model)
{
    public int Weight { get; init; } = 1;
    /// <summary>Lower goes first with the failover strategy.</summary>
    public int Priority { get; init; }
    public RequestPatch? Patch { get; init; }
}

/// <summary>Per-target changes to the request: cap the output limit, set the reasoning effort, drop parameters the upstream rejects.</summary>
internal sealed record RequestPatch(int? MaxTokens, string? ReasoningEffort, ImmutableArray<string> Drop);

internal enum RouteMode { Transformer, Direct }

/// <summary>When and how often to try again before anything reached the client.</summary>
internal sealed record RetryPolicy(int MaxRetries, FrozenSet<int> Statuses, TimeSpan Backoff, TimeSpan MaxBackoff, TimeSpan? Deadline)
{
    public static readonly RetryPolicy Default = new(3, FrozenSet.ToFrozenSet([408, 429, 500, 502, 503, 504, 529]), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), null);
}

internal sealed record RouteConfig(string Model, ImmutableArray<RouteTarget> Targets)
{
    /// <summary><c>file</c>, or <c>store</c> for a route created through the admin API.</summary>
    public string Origin { get; init; } = ConfigOrigin.File;
    public bool IsGlob => Model.Contains('*', StringComparison.Ordinal) || Model.Contains('?', StringComparison.Ordinal);
    public string Strategy { get; init; } = "failover";
    /// <summary>Matches when the requested name contains any of these (case-insensitive), after exact names, aliases and globs.</summary>
    public ImmutableArray<string> Keywords { get; init; } = [];
    /// <summary>Other exact names for this route.</summary>
    public ImmutableArray<string> Aliases { get; init; } = [];
    /// <summary>The route for any name nothing else matched.</summary>
    public bool IsDefault { get; init; }
    public RouteMode Mode { get; init; } = RouteMode.Transformer;
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;
    public string? BigModel { get; init; }
    public string? SmallModel { get; init; }
    /// <summary>Scenario rules, checked in order before the route's own targets (claude-code-router's <c>Router</c>).</summary>
    public ImmutableArray<RouteRule> Rules { get; init; } = [];
}

/// <summary>
/// A scenario rule of a route: when every condition of <see cref="When"/> holds, the request is served by
/// <see cref="Route"/> — the route itself with the rule's targets (and strategy) instead of its own.
/// </summary>
internal sealed record RouteRule(RuleConditions When, RouteConfig Route);

/// <summary>What a request must be for a rule to take it; every condition given must hold.</summary>
internal sealed record RuleConditions
{
    /// <summary>The request asks for thinking / reasoning (or, false, does not).</summary>
    public bool? Thinking { get; init; }
    /// <summary>The estimated input is at least this many tokens (long context).</summary>
    public int? MinInputTokens { get; init; }
    /// <summary>A tool of the request has this name or hosted kind (a glob: <c>web_search</c>, <c>mcp__*</c>).</summary>
    public string? ToolsInclude { get; init; }
    /// <summary>A Haiku-class request (Claude Code's background work) — or, false, any other.</summary>
    public bool? Background { get; init; }
    /// <summary>The client that sent it: claude-code, codex, gemini-cli or other.</summary>
    public string? Client { get; init; }

    public static readonly string[] Clients = ["claude-code", "codex", "gemini-cli", "other"];

    /// <summary>The conditions as the YAML says them: <c>thinking: true, min_input_tokens: 60000</c>.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Thinking is { } t)
        {
            parts.Add($"thinking: {(t ? "true" : "false")}");
        }
        if (MinInputTokens is { } m)
        {
            parts.Add($"min_input_tokens: {m}");
        }
        if (ToolsInclude is { } tool)
        {
            parts.Add($"tools_include: {tool}");
        }
        if (Background is { } b)
        {
            parts.Add($"background: {(b ? "true" : "false")}");
        }
        if (Client is { } c)
        {
            parts.Add($"client: {c}");
        }
        return string.Join(", ", parts);
    }
}

/// <summary>Where a provider, key or route is defined.</summary>
internal static class ConfigOrigin
{
    public const string File = "file", Store = "store";
}
