using Microsoft.Extensions.Logging.Console;
using Switchyard.Config;
using Switchyard.Dispatch;
using Switchyard.Endpoints;
using Switchyard.Observability;
using Switchyard.Providers;
using Switchyard.Providers.Mock;

namespace Switchyard;

/// <summary>Builds the gateway's web host around one config snapshot (used by <c>serve</c> and by the tests).</summary>
internal static class GatewayHost
{
    /// <param name="overrides">Last word on services (tests swap the clock and the random source).</param>
    public static WebApplication Build(GatewayConfig config, string[] args, string urls, LogLevel minimumLevel = LogLevel.Information, Action<IServiceCollection>? overrides = null, string? configPath = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null; // the gateway enforces its own, configurable limit in the client's protocol
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        builder.Logging.SetMinimumLevel(minimumLevel > config.Server.LogLevel ? minimumLevel : config.Server.LogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new ConfigHolder(config));
        services.AddSingleton(new ConfigSource(configPath));
        services.AddSingleton<ConfigReloader>();
        services.AddHostedService(sp => sp.GetRequiredService<ConfigReloader>());
        services.AddSingleton<UpstreamHttp>();
        services.AddSingleton(Random.Shared);
        services.AddSingleton<Keys.IKeyStateStore, Keys.InMemoryKeyStateStore>();
        services.AddSingleton<Routing.IProviderHealthStore, Routing.InMemoryProviderHealthStore>();
        services.AddSingleton<Keys.KeySelectionStrategies>();
        services.AddSingleton<Routing.TargetSelectionStrategies>();
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<MockProvider>();
        services.AddSingleton<HttpAttempt>();
        services.AddSingleton<MockAttempt>();
        services.AddSingleton<ProxyHandler>();
        services.AddMetrics();
        services.AddTelemetry(config);
        services.AddSingleton(new Observability.RequestLogOptions(config.Server.RequestLog) { MaxBytes = config.Server.RequestLogMaxBytes, Bodies = config.Server.LogBodies });
        services.AddSingleton<Observability.RequestLog>();
        services.AddSingleton<Counting.TokenCountHandler>();
        services.AddMemoryCache(o => o.SizeLimit = 10_000);

        overrides?.Invoke(services);
        var app = builder.Build();
        app.Services.GetRequiredService<Observability.HealthGauges>(); // observable instruments exist once created
        app.MapChatApi();
        app.MapModelApi();
        Admin.ProvidersEndpoints.MapProvidersApi(app);
        Admin.RoutesEndpoints.MapRoutesApi(app);
        Observability.ObservabilityEndpoints.MapObservabilityApi(app);
        app.MapHealthApi();
        return app;
    }
}
