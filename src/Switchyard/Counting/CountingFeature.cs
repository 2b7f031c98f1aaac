namespace Switchyard.Counting;

internal static class CountingFeature
{
    /// <summary>count_tokens / countTokens, with a short cache of identical counts.</summary>
    public static IServiceCollection AddTokenCounting(this IServiceCollection services)
    {
        services.AddSingleton<TokenCountHandler>();
        services.AddMemoryCache(o => o.SizeLimit = 10_000);
        return services;
    }
}
