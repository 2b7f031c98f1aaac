namespace Switchyard.Providers;

internal static class ProvidersFeature
{
    /// <summary>The pooled upstream HTTP client, the in-process mock provider and the connection test.</summary>
    public static IServiceCollection AddProviders(this IServiceCollection services)
    {
        services.AddSingleton<UpstreamHttp>();
        services.AddSingleton<Mock.MockProvider>();
        services.AddSingleton<ConnectionTest>();
        return services;
    }
}
