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
        app.MapGet("/health/ready", Ready);
        return app;
    }

    /// <summary>
    /// Readiness for a load balancer: 503 while the instance drains (SIGTERM), when no provider could take a request
    /// now, and in cluster mode while Redis is unreachable with <c>fail_closed</c>; 200 otherwise — with Redis down and
    /// fail-open the instance serves on local counters, and says so (<c>"status": "degraded"</c>).
    /// </summary>
    private static Task Ready(HttpContext http, ConfigHolder config, IKeyStateStore keys, IProviderHealthStore health, TimeProvider time, IHostApplicationLifetime lifetime)
    {
        var now = time.GetUtcNow();
        var usable = config.Current.Config.Providers.Values.Count(p => health.Get(p.Name).IsAvailable(now)
            && (p.Kind == ProviderKind.Mock || p.Keys.Any(k => keys.Get(p.Name, k).IsAvailable(k, now))));
        var redis = http.RequestServices.GetService<Cluster.RedisHotState>();
        var status = lifetime.ApplicationStopping.IsCancellationRequested ? "draining"
            : usable == 0 ? "not_ready"
            : redis is { Available: false } ? (redis.Options.FailClosed ? "unavailable" : "degraded")
            : "ready";
        http.Response.StatusCode = status is "ready" or "degraded" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return ModelEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", status);
            w.WriteNumber("providers_usable", usable);
            w.WriteNumber("providers", config.Current.Config.Providers.Count);
            w.WriteString("mode", redis is null ? "single" : "cluster");
            if (redis is not null)
            {
                w.WriteStartObject("cluster");
                w.WriteString("instance", redis.Options.Instance);
                w.WriteString("redis", redis.Describe);
                w.WriteBoolean("redis_available", redis.Available);
                w.WriteString("limits", redis.Available ? "shared" : redis.Options.FailClosed ? "refused (cluster.fail_closed)" : "counted on this instance until Redis is back");
                w.WriteNumber("pending_writes", redis.PendingWrites);
                if (!redis.Available && redis.LastError is { } error)
                {
                    w.WriteString("last_error", error);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        });
    }
}
