using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Console;
using Switchyard.Admin;
using Switchyard.Cluster;
using Switchyard.Config;
using Switchyard.Counting;
using Switchyard.Dispatch;
using Switchyard.Inbound;
using Switchyard.Keys;
using Switchyard.Observability;
using Switchyard.Providers;
using Switchyard.Responses;
using Switchyard.Routing;
using Switchyard.Storage;
using Switchyard.Tenancy;
using Switchyard.Ui;

namespace Switchyard;

/// <summary>Builds the gateway's web host around one config snapshot (used by <c>serve</c> and by the tests).</summary>
internal static class GatewayHost
{
    /// <param name="overrides">Last word on services (tests swap the clock and the random source).</param>
    public static WebApplication Build(GatewayConfig config, string[] args, string urls, LogLevel minimumLevel = LogLevel.Information, Action<IServiceCollection>? overrides = null, string? configPath = null)
    {
        // The application is "switchyard" wherever it is hosted (the tests host it too): its static web assets manifests are named so.
        // Switchyard reads its YAML file and the environment, never appsettings.json; reloading that would watch the working
        // directory recursively, and the defaults (data/, logs/) are under it: every SQLite commit and log write woke a
        // watcher thread that stat'ed the file.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [.. args, "--hostBuilder:reloadConfigOnChange=false"], ApplicationName = "switchyard" });
        var assets = Path.Combine(AppContext.BaseDirectory, "switchyard.staticwebassets.runtime.json");
        if (File.Exists(assets))
        {
            // Run from the build output (not published): the console's assets are served from where the build left them.
            builder.Configuration[WebHostDefaults.StaticWebAssetsKey] = assets;
            Microsoft.AspNetCore.Hosting.StaticWebAssets.StaticWebAssetsLoader.UseStaticWebAssets(builder.Environment, builder.Configuration);
        }
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null; // the gateway enforces its own, configurable limit in the client's protocol
            var transport = config.Server.Transport;
            k.Limits.MaxRequestHeadersTotalSize = (int)Math.Min(int.MaxValue, transport.HeaderBytes);
            k.Limits.RequestHeadersTimeout = transport.HeaderTimeout;
            k.Limits.MinRequestBodyDataRate = transport.MinBodyRate > 0 ? new MinDataRate(transport.MinBodyRate, transport.BodyRateGrace) : null;
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
        // A start that fails is said once, by the caller (serve: one line for a port in use; anything else rethrown).
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // With this category enabled ASP.NET Core creates an Activity per request only to scope its log lines, and
        // HttpClient then makes a child of it for every upstream call: per-request work nothing reads. The request
        // span comes from RequestSpans, which reads the caller's traceparent itself.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

        var services = builder.Services;
        services.Configure<HostOptions>(o => o.ShutdownTimeout = config.Server.ShutdownTimeout);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Random.Shared);
        services.AddGatewayConfig(config, configPath);
        services.AddObservability(config);
        services.AddInbound();
        services.AddResponses();
        services.AddTokenCounting();
        services.AddTargetRouting();
        services.AddKeyPools();
        services.AddDispatch();
        services.AddProviders();
        services.AddStorage(config.Storage);
        services.AddTenancy();
        services.AddCluster(config.Cluster);
        services.AddAdminApi();
        if (config.ConsoleEnabled)
        {
            services.AddConsole();
            services.AddSingleton<WebConsole.Playground>();
            services.AddSingleton<Ui.Backend.IConsoleBackend, WebConsole.ConsoleBackend>();
        }

        overrides?.Invoke(services);
        var app = builder.Build();
        app.Services.GetRequiredService<HealthGauges>(); // observable instruments exist once created
        app.MigrateStore().LoadTenancy();
        app.UseTrustedProxies(config.Server.TrustedProxies);
        app.MapInbound();
        app.MapResponsesApi();
        app.MapAdmin();
        app.MapObservability();
        if (config.ConsoleEnabled)
        {
            app.MapConsole();
        }
        return app;
    }
}
