namespace Switchyard.Routing;

internal static class RoutingFeature
{
    /// <summary>Provider health (in memory for now), target strategies and the picker the attempt loop asks.</summary>
    public static IServiceCollection AddTargetRouting(this IServiceCollection services)
    {
        services.AddSingleton<IProviderHealthStore, InMemoryProviderHealthStore>();
        services.AddSingleton<TargetSelectionStrategies>();
        services.AddSingleton<TargetPicker>();
        return services;
    }
}
