using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Switchyard.Config;

namespace Switchyard.Tenancy.Pricing;

/// <summary>A <c>pricing:</c> entry of the config: USD per million tokens for upstream models matching a glob (optionally of one provider).</summary>
internal sealed record PriceOverride(string Model, string? Provider, decimal Input, decimal Output, decimal? CacheRead, decimal? CacheWrite)
{
    public const string Version = "config";

    private readonly Regex _pattern = Routing.RouteTable.GlobToRegex(Model);

    public bool Matches(string provider, string model) => (Provider is null || Provider == provider) && _pattern.IsMatch(model);

    public PriceCard ToCard() => new(Model, Version, TokenPrice.Flat(Input), TokenPrice.Flat(Output),
        CacheRead is { } r ? TokenPrice.Flat(r) : null, CacheWrite is { } w ? TokenPrice.Flat(w) : null);
}

/// <summary>
/// The prices of one config snapshot: the config's <c>pricing:</c> entries first (in file order), then the bundled
/// table. Lookups are cached per provider and upstream model, so a request pays a dictionary hit.
/// </summary>
internal sealed class PriceBook(GatewayConfig config, PriceTable table)
{
    private const int MaxCached = 10_000;
    private readonly ConcurrentDictionary<(string Provider, string Model), Func<DateTimeOffset, PriceCard>?> _cache = new();
    private readonly ImmutableArray<PriceCard> _overrides = [.. config.Pricing.Select(p => p.ToCard())];

    public PriceBook(GatewayConfig config) : this(config, PriceTable.Bundled)
    {
    }

    /// <summary>The card that prices <paramref name="model"/> served by <paramref name="provider"/> at <paramref name="at"/>; null when unpriced.</summary>
    public PriceCard? For(string provider, string model, DateTimeOffset at)
    {
        if (!_cache.TryGetValue((provider, model), out var card))
        {
            if (_cache.Count >= MaxCached)
            {
                _cache.Clear(); // many distinct model names must not grow memory
            }
            card = _cache[(provider, model)] = Resolve(provider, model);
        }
        return card?.Invoke(at);
    }

    /// <summary>A card by time (the bundled prices may change by date or time of day: off-peak rates).</summary>
    private Func<DateTimeOffset, PriceCard>? Resolve(string provider, string model)
    {
        for (var i = 0; i < config.Pricing.Length; i++)
        {
            if (config.Pricing[i].Matches(provider, model))
            {
                var card = _overrides[i];
                return _ => card;
            }
        }
        if (!config.Providers.TryGetValue(provider, out var p))
        {
            return null;
        }
        return table.Resolve(TableProvider(p.Kind), p.BaseUrl.ToString(), model) is { } priced ? priced.At : null;
    }

    /// <summary>The price table's provider for a provider kind whose URL the table may not recognise (a proxy, a fake).</summary>
    private static string? TableProvider(ProviderKind kind) => kind switch
    {
        ProviderKind.Anthropic => "anthropic",
        ProviderKind.Gemini => "google",
        ProviderKind.AzureOpenAI => "azure",
        _ => null, // OpenAI-compatible: recognised by URL (api.openai.com, api.deepseek.com, …) or by the model name
    };
}
