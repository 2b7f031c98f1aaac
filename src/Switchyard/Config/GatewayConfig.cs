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
    /// <summary>Every upstream and gateway secret in this snapshot: what must never appear in logs or errors.</summary>
    public IEnumerable<string> Secrets() =>
        Auth.Keys.Concat(Providers.Values.SelectMany(p => p.Keys.Select(k => k.Secret))).Where(s => s.Length >= 4);
}

internal sealed record ServerOptions(long MaxRequestBodyBytes, string? Urls)
{
    public const long DefaultMaxRequestBodyBytes = 32L * 1024 * 1024;
}

internal sealed record AuthOptions(ImmutableArray<string> Keys);

internal enum ProviderKind { OpenAI, AzureOpenAI, Anthropic, Gemini, Mock }

internal enum UpstreamAuthScheme { Default, Bearer, ApiKeyHeader, CustomHeader }

internal sealed record ProviderConfig
{
    public required string Name { get; init; }
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
    /// <summary>Azure OpenAI: the <c>api-version</c> query parameter.</summary>
    public string ApiVersion { get; init; } = "2024-10-21";
    /// <summary>Azure OpenAI: upstream model name → deployment name (absent: the model name is the deployment).</summary>
    public ImmutableDictionary<string, string> Deployments { get; init; } = ImmutableDictionary<string, string>.Empty;
}

/// <summary>One upstream API key. <see cref="ToString"/> is masked so a key never leaks through logging.</summary>
internal sealed record UpstreamKey(string Secret, int Weight, int MaxFailures, TimeSpan Cooldown, bool Enabled)
{
    public string Masked => Mask(Secret);

    public override string ToString() => Masked;

    public static string Mask(string secret) =>
        secret.Length <= 8 ? "****" : string.Concat(secret.AsSpan(0, 4), "…", secret.AsSpan(secret.Length - 4));
}

internal sealed record RouteTarget(string Provider, string? Model);

internal sealed record RouteConfig(string Model, ImmutableArray<RouteTarget> Targets)
{
    public bool IsGlob => Model.Contains('*', StringComparison.Ordinal) || Model.Contains('?', StringComparison.Ordinal);
}
