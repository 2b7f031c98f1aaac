using System.Collections.Immutable;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Tenancy.Pricing;

/// <summary>A price in USD per million tokens; with tiers, the price of the highest tier whose start the prompt passes applies to all of the request's tokens.</summary>
internal sealed record TokenPrice(decimal Base, ImmutableArray<(long Start, decimal Price)> Tiers)
{
    public static TokenPrice Flat(decimal perMillion) => new(perMillion, []);

    public decimal PerMillion(long inputTokens)
    {
        var price = Base;
        foreach (var (start, tier) in Tiers)
        {
            if (inputTokens > start)
            {
                price = tier;
            }
        }
        return price;
    }
}

/// <summary>
/// What one upstream model costs: input, output, cache-read and cache-write tokens (USD per million). Reasoning tokens
/// are output tokens. A cache price the source does not give is the input price.
/// </summary>
/// <param name="Version">Where the prices come from, recorded with each request's cost: <c>genai-prices@0.1.8</c> or <c>config</c>.</param>
internal sealed record PriceCard(string Model, string Version, TokenPrice Input, TokenPrice Output, TokenPrice? CacheRead, TokenPrice? CacheWrite)
{
    /// <summary>The cost of <paramref name="usage"/> (whose input counts the cached tokens too), to the nano-dollar.</summary>
    public decimal Cost(Usage usage) =>
        Cost(usage.InputTokens, usage.CacheReadTokens, usage.CacheWriteTokens, usage.OutputTokens);

    public decimal Cost(long inputTokens, long cacheReadTokens, long cacheWriteTokens, long outputTokens)
    {
        var uncached = Math.Max(0, inputTokens - cacheReadTokens - cacheWriteTokens);
        var input = Input.PerMillion(inputTokens);
        var cost = uncached * input
            + cacheReadTokens * (CacheRead?.PerMillion(inputTokens) ?? input)
            + cacheWriteTokens * (CacheWrite?.PerMillion(inputTokens) ?? input)
            + outputTokens * Output.PerMillion(inputTokens);
        return Math.Round(cost / 1_000_000m, 9, MidpointRounding.AwayFromZero);
    }

    /// <summary>Nano-dollars (10⁻⁹ USD): how costs are stored and summed, exactly.</summary>
    public static long ToNanos(decimal usd) => (long)Math.Round(usd * 1_000_000_000m, MidpointRounding.AwayFromZero);

    public static decimal FromNanos(long nanos) => nanos / 1_000_000_000m;
}
