using Switchyard.Config;
using Switchyard.Inbound;
using Switchyard.Keys;
using Switchyard.Routing;

namespace Switchyard.Observability;

/// <summary><c>GET /metrics</c> (Prometheus text through OpenTelemetry; admin key or loopback) and <c>GET /health/ready</c>.</summary>
internal static class ObservabilityEndpoints
{
    public static IEndpointRouteBuilder MapObservability(this IEndpointRouteBuilder app)
    {
        app.MapMetrics();
        // Ready: a config is loaded and at least one provider could take a request now.
        app.MapGet("/health/ready", (HttpContext http, ConfigHolder config, IKeyStateStore keys, IProviderHealthStore health, TimeProvider time) =>
        {
            var now = time.GetUtcNow();
            var usable = config.Current.Config.Providers.Values.Count(p => health.Get(p.Name).IsAvailable(now)
                && (p.Kind == ProviderKind.Mock || p.Keys.Any(k => keys.Get(p.Name, k).IsAvailable(k, now))));
            http.Response.StatusCode = usable > 0 ? 200 : 503;
            return ModelEndpoints.WriteJsonAsync(http, w =>
            {
                w.WriteStartObject();
                w.WriteString("status", usable > 0 ? "ready" : "not_ready");
                w.WriteNumber("providers_usable", usable);
                w.WriteNumber("providers", config.Current.Config.Providers.Count);
                w.WriteEndObject();
            });
        });
        return app;
    }
}
