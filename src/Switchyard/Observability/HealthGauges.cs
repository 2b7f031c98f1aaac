using System.Diagnostics.Metrics;
using Switchyard.Config;
using Switchyard.Keys;
using Switchyard.Routing;

namespace Switchyard.Observability;

/// <summary>Key and provider health as gauges, read from the state stores at scrape time.</summary>
internal sealed class HealthGauges
{
    public HealthGauges(IMeterFactory meterFactory, TelemetryNames names, ConfigHolder config, IKeyStateStore keys, IProviderHealthStore health, RequestLog requestLog, TimeProvider time)
    {
        var meter = meterFactory.Create(names.Meter);
        meter.CreateObservableCounter("switchyard_log_dropped_total", () => requestLog.Dropped, description: "Request-log lines dropped because the writer fell behind.");
        meter.CreateObservableGauge("switchyard_provider_available", () =>
            config.Current.Config.Providers.Values.Select(p => new Measurement<long>(health.Get(p.Name).IsAvailable(time.GetUtcNow()) ? 1 : 0, new KeyValuePair<string, object?>("provider", p.Name))),
            description: "1 when the provider takes requests, 0 while it cools down after failures.");
        meter.CreateObservableGauge("switchyard_keys_available", () =>
            config.Current.Config.Providers.Values.Where(p => p.Kind != ProviderKind.Mock).Select(p => new Measurement<long>(
                p.Keys.Count(k => keys.Get(p.Name, k).IsAvailable(k, time.GetUtcNow())), new KeyValuePair<string, object?>("provider", p.Name))),
            description: "Keys of the provider's pool that may be picked now.");
    }
}
