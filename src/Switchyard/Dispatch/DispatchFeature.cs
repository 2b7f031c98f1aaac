namespace Switchyard.Dispatch;

internal static class DispatchFeature
{
    /// <summary>The attempt loop and one upstream attempt per provider kind.</summary>
    public static IServiceCollection AddDispatch(this IServiceCollection services)
    {
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<RetryBackoff>();
        services.AddSingleton<HttpAttempt>();
        services.AddSingleton<MockAttempt>();
        services.AddSingleton<UpstreamAttempts>();
        return services;
    }
}
