namespace Switchyard.Providers;

internal static class ProvidersFeature
{
    /// <summary>The pooled upstream HTTP client and the in-process mock provider.</summary>
    public static IServiceCollection AddProviders(this IServiceCollection services)
    {
        services.AddSingleton<UpstreamHttp>();
        services.AddSingleton<Mock.MockProvider>();
        return services;
    }
}
