using Switchyard.Config;

namespace Switchyard.Observability;

internal static class ObservabilityFeature
{
    /// <summary>The request log (a background writer) and OpenTelemetry (metrics always, traces with an OTLP endpoint).</summary>
    public static IServiceCollection AddObservability(this IServiceCollection services, GatewayConfig config)
    {
        services.AddSingleton(new RequestLogOptions(config.Server.RequestLog) { MaxBytes = config.Server.RequestLogMaxBytes, Bodies = config.Server.LogBodies });
        services.AddSingleton<RequestLog>();
        services.AddMetrics();
        services.AddTelemetry(config);
        services.AddSingleton(sp => new StreamDeadline(sp.GetRequiredService<IHostApplicationLifetime>(), config.Server.ShutdownTimeout)); // read at start, as the host's own
        if (config.Server.DrainDelay > TimeSpan.Zero)
        {
            services.AddHostedService(sp => new DrainDelay(config.Server.DrainDelay, sp.GetRequiredService<ILogger<DrainDelay>>()));
        }
        return services;
    }
}
