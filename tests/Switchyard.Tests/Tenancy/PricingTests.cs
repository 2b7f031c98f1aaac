using System.Globalization;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;
using Switchyard.Tenancy.Pricing;
using Xunit;

namespace Switchyard.Tests.Tenancy;

/// <summary>
/// The bundled price table answers as the npm package it comes from (@pydantic/genai-prices) does: the expected
/// figures below are that package's own calcPrice results for the same usage, model and provider.
/// </summary>
public sealed class PricingTests
{
    private static readonly DateTimeOffset Noon = DateTimeOffset.Parse("2026-12-01T12:00:00Z", CultureInfo.InvariantCulture);

    private static Usage Tokens(int input, int output, int cacheRead = 0, int cacheWrite = 0) =>
        new() { InputTokens = input, OutputTokens = output, CacheReadTokens = cacheRead, CacheWriteTokens = cacheWrite };

    [Fact]
    public void The_bundled_table_records_its_source_and_knows_the_major_vendors()
    {
        Assert.Equal("genai-prices@0.1.8", PriceTable.Bundled.Version);
        Assert.True(PriceTable.Bundled.ModelCount > 1000, $"{PriceTable.Bundled.ModelCount} models");
    }

    [Fact]
    public void Anthropic_tiers_apply_to_the_whole_request_once_the_prompt_passes_200k_and_cache_tokens_have_their_own_prices()
    {
        var card = PriceTable.Bundled.Find("anthropic", null, "claude-sonnet-4-5", Noon)!;
        // 1M prompt (400k read from cache, 100k written to it) and 1M output: genai-prices says 3.99 + 22.5.
        Assert.Equal(26.49m, card.Cost(Tokens(1_000_000, 1_000_000, cacheRead: 400_000, cacheWrite: 100_000)));
        // Under the tier: $3 / $15 per million, cache read $0.30, cache write $3.75.
        Assert.Equal((100 * 3m + 100 * 15m) / 1_000_000, card.Cost(Tokens(100, 100)));
        Assert.Equal((400 * 3m + 1000 * 0.3m + 600 * 3.75m + 50 * 15m) / 1_000_000, card.Cost(Tokens(2000, 50, cacheRead: 1000, cacheWrite: 600)));
    }

    [Fact]
    public void OpenAI_is_recognised_by_its_URL_and_cached_input_is_priced_as_cached()
    {
        var card = PriceTable.Bundled.Find(null, "https://api.openai.com/v1/", "gpt-4o-2024-08-06", Noon)!;
        Assert.Equal("gpt-4o", card.Model);
        Assert.Equal(12m, card.Cost(Tokens(1_000_000, 1_000_000, cacheRead: 400_000)));
        // A compact date is retried as an ISO one, as the package does.
        Assert.Equal(0.75m, PriceTable.Bundled.Find(null, "https://api.openai.com/v1/", "gpt-4o-mini-20240718", Noon)!.Cost(Tokens(1_000_000, 1_000_000)));
    }

    [Fact]
    public void Gemini_long_prompts_cost_more_and_OpenRouter_names_its_models_by_vendor()
    {
        Assert.Equal(15.75m, PriceTable.Bundled.Find("google", "http://127.0.0.1:9/", "gemini-2.5-pro", Noon)!.Cost(Tokens(300_000, 1_000_000)));
        Assert.Equal(18m, PriceTable.Bundled.Find(null, "https://openrouter.ai/api/v1", "anthropic/claude-sonnet-4", Noon)!.Cost(Tokens(1_000_000, 1_000_000)));
    }

    [Fact]
    public void DeepSeek_prices_change_with_the_time_of_day()
    {
        var usage = Tokens(1_000_000, 1_000_000, cacheRead: 200_000);
        var day = PriceTable.Bundled.Find(null, "https://api.deepseek.com/v1", "deepseek-chat", DateTimeOffset.Parse("2026-12-01T10:00:00Z", CultureInfo.InvariantCulture))!;
        var night = PriceTable.Bundled.Find(null, "https://api.deepseek.com/v1", "deepseek-chat", DateTimeOffset.Parse("2026-12-01T20:00:00Z", CultureInfo.InvariantCulture))!;
        Assert.Equal(1.33m, day.Cost(usage));
        Assert.Equal(0.665m, night.Cost(usage));
    }

    [Fact]
    public void A_model_the_table_does_not_know_is_unpriced()
    {
        Assert.Null(PriceTable.Bundled.Find(null, "http://127.0.0.1:11434/v1", "my-own-finetune", Noon));
    }

    [Fact]
    public void Config_prices_come_first_in_file_order_and_may_name_a_provider()
    {
        var config = ConfigLoader.Parse("""
            providers:
              - {name: local, type: openai, base_url: "http://127.0.0.1:11434/v1", keys: [ollama]}
              - {name: openai, type: openai, base_url: "https://api.openai.com/v1", keys: [sk-x]}
            routes: [{model: "*", targets: [{provider: openai}]}]
            pricing:
              - {model: "*", provider: local, input: 0, output: 0}
              - {model: "gpt-4o*", input: 2, output: 8, cache_read: 0.5}
            """, "p.yaml");
        var book = new PriceBook(config);
        var local = book.For("local", "gpt-4o", Noon)!;
        Assert.Equal((PriceOverride.Version, 0m), (local.Version, local.Cost(Tokens(1000, 1000))));
        var overridden = book.For("openai", "gpt-4o-mini", Noon)!;
        Assert.Equal("config", overridden.Version);
        Assert.Equal(2m + 8m - 0.75m, overridden.Cost(Tokens(1_000_000, 1_000_000, cacheRead: 500_000)));
        var bundled = book.For("openai", "o3", Noon)!;
        Assert.Equal("genai-prices@0.1.8", bundled.Version);
        Assert.Null(book.For("nobody", "o3", Noon)); // not a configured provider: only a config price could apply
    }

    [Theory]
    [InlineData("[{model: x, output: 1}]", "pricing[0].input: 'input' is required")]
    [InlineData("[{model: x, input: 1, output: -2}]", "pricing[0].output: '-2' is not an amount of US dollars")]
    [InlineData("[{model: x, provider: nope, input: 1, output: 1}]", "pricing[0].provider: no provider is named 'nope'")]
    [InlineData("[{model: x, input: 1, output: 1, cache_hit: 1}]", "pricing[0].cache_hit: unknown key 'cache_hit'")]
    public void Price_mistakes_are_named(string pricing, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($$"""
            providers: [{name: mock, type: mock}]
            pricing: {{pricing}}
            """, "p.yaml"));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Costs_are_kept_in_nano_dollars_so_sums_are_exact()
    {
        var card = new PriceOverride("m", null, 0.1m, 0.3m, null, null).ToCard();
        var one = PriceCard.ToNanos(card.Cost(Tokens(7, 3)));
        Assert.Equal(1_600, one); // 7 × $0.1/M + 3 × $0.3/M = $0.0000016
        Assert.Equal(1.6m, PriceCard.FromNanos(one * 1_000_000));
    }
}
