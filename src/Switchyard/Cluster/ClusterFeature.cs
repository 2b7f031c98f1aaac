using Switchyard.Tenancy;

namespace Switchyard.Cluster;

internal static class ClusterFeature
{
    /// <summary>
    /// Single mode (no <c>cluster:</c>): nothing to share. Cluster mode: limits counted in Redis, notices published and
    /// applied through it (after <c>AddTenancy</c>, whose in-memory limit gate it replaces).
    /// </summary>
    public static IServiceCollection AddCluster(this IServiceCollection services, ClusterOptions? options)
    {
        if (options is null)
        {
            services.AddSingleton<IClusterNotices>(NoClusterNotices.Instance);
            return services;
        }
        services.AddSingleton(options);
        services.AddSingleton<RedisHotState>();
        services.AddSingleton<RedisNotices>();
        services.AddSingleton<IClusterNotices>(sp => sp.GetRequiredService<RedisNotices>());
        services.AddSingleton<RedisLimits>();
        services.AddSingleton<ILimitGate>(sp => sp.GetRequiredService<RedisLimits>());
        services.AddHostedService<ClusterListener>();
        return services;
    }
}
