using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Switchyard.Config;

namespace Switchyard.Observability;

/// <summary>
/// OpenTelemetry for the gateway: the <c>switchyard_*</c> instruments exported at <c>/metrics</c> by OpenTelemetry's
/// Prometheus exporter, and — when an OTLP endpoint is configured — a span per request with a child span per
/// upstream attempt, carrying the GenAI semantic-convention attributes.
/// </summary>
internal static class Telemetry
{
    public const string SourceName = "Switchyard";
    public static readonly ActivitySource Source = new(SourceName, Inbound.HealthEndpoints.Version);
    private static int s_hosts;

    public static IServiceCollection AddTelemetry(this IServiceCollection services, GatewayConfig config)
    {
        // Meters are subscribed to by name, process-wide. A served process has one gateway (meter "Switchyard");
        // when several share a process (the tests), each gets its own name so that its /metrics shows its own traffic.
        var host = Interlocked.Increment(ref s_hosts);
        var names = new TelemetryNames(host == 1 ? GatewayMetrics.MeterName : $"{GatewayMetrics.MeterName}.{host}");
        services.AddSingleton(names);
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<HealthGauges>();

        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(config.Telemetry.ServiceName, serviceVersion: Inbound.HealthEndpoints.Version))
            .WithMetrics(metrics => metrics
                .AddMeter(names.Meter)
                .AddPrometheusExporter(o =>
                {
                    o.ScrapeResponseCacheDurationMilliseconds = 0; // every scrape sees every request
                    o.ScopeInfoEnabled = false; // the series keep the labels they always had (no otel_scope_name)
                }));
        if (TracesEnabled(config.Telemetry, out var endpoint))
        {
            otel.WithTracing(tracing => tracing
                .AddSource(SourceName)
                .AddOtlpExporter(o =>
                {
                    o.Protocol = config.Telemetry.OtlpProtocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                    if (endpoint is not null)
                    {
                        o.Endpoint = endpoint;
                    }
                }));
        }
        return services;
    }

    /// <summary><c>/metrics</c> in the Prometheus text format, behind the admin guard.</summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics").Add(endpoint =>
        {
            var scrape = endpoint.RequestDelegate!;
            endpoint.RequestDelegate = http => Admin.AdminGuard.RunAsync(http, () => scrape(http));
        });
        return app;
    }

    /// <summary>
    /// Whether traces are exported, and where: <c>telemetry.otlp_endpoint</c> (a base URL, as
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>: the signal's path is added for http/protobuf), else — <paramref name="endpoint"/>
    /// null — the standard environment variables, which the exporter reads itself.
    /// </summary>
    private static bool TracesEnabled(TelemetryOptions options, out Uri? endpoint)
    {
        endpoint = options.OtlpEndpoint switch
        {
            null => null,
            var grpc when options.OtlpProtocol == "grpc" => grpc,
            var full when full.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal) => full,
            var root => new Uri(root.AbsoluteUri.TrimEnd('/') + "/v1/traces"),
        };
        return endpoint is not null
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
    }
}

/// <summary>The meter name of this gateway's instruments (see <see cref="Telemetry.AddTelemetry"/>).</summary>
internal sealed record TelemetryNames(string Meter);
