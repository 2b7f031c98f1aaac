namespace Switchyard.Config;

internal static class ConfigFeature
{
    /// <summary>The snapshot in force, where it came from, and the reloader that swaps it (file watch, SIGHUP, admin).</summary>
    public static IServiceCollection AddGatewayConfig(this IServiceCollection services, GatewayConfig config, string? configPath)
    {
        services.AddSingleton(new ConfigHolder(config));
        services.AddSingleton(new ConfigSource(configPath));
        services.AddSingleton<ConfigReloader>();
        services.AddSingleton<ConfigChanges>();
        services.AddHostedService(sp => sp.GetRequiredService<ConfigReloader>());
        return services;
    }
}
