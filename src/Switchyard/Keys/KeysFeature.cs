namespace Switchyard.Keys;

internal static class KeysFeature
{
    /// <summary>Key state (in memory for now), key strategies and the pools the attempt loop draws from.</summary>
    public static IServiceCollection AddKeyPools(this IServiceCollection services)
    {
        services.AddSingleton<IKeyStateStore, InMemoryKeyStateStore>();
        services.AddSingleton<KeySelectionStrategies>();
        services.AddSingleton<KeyPools>();
        return services;
    }
}
