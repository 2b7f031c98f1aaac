using System.Diagnostics.Metrics;

namespace Switchyard.Observability;

/// <summary>The gateway's instruments (System.Diagnostics.Metrics), exported at <c>GET /metrics</c> by OpenTelemetry.</summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Switchyard";

    /// <summary>Seconds: from a fast local hop to a long generation (OpenTelemetry's default buckets are for milliseconds).</summary>
    private static readonly InstrumentAdvice<double> SecondsBuckets = new()
    {
        HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    };

    private static readonly object[] Statuses = [.. Enumerable.Range(0, 600).Select(static s => (object)s)];

    /// <summary>An HTTP status as a label value, boxed once per status rather than once per request.</summary>
    public static object StatusLabel(int status) => (uint)status < (uint)Statuses.Length ? Statuses[status] : status;

    public GatewayMetrics(IMeterFactory meterFactory, TelemetryNames names)
    {
        var meter = meterFactory.Create(names.Meter);
        Requests = meter.CreateCounter<long>("switchyard_requests_total", description: "Requests answered, by client protocol, route, provider, upstream model and status.");
        Duration = meter.CreateHistogram<double>("switchyard_request_duration_seconds", "s", "Time from the request's arrival to its last byte.", tags: null, advice: SecondsBuckets);
        TimeToFirstByte = meter.CreateHistogram<double>("switchyard_upstream_ttfb_seconds", "s", "Time from sending a request upstream to its response headers.", tags: null, advice: SecondsBuckets);
        Tokens = meter.CreateCounter<long>("switchyard_tokens_total", description: "Tokens reported by upstreams, by kind (input, output, cached).");
        Retries = meter.CreateCounter<long>("switchyard_retries_total", description: "Attempts beyond the first, by reason.");
        // Observed from the counters the console reads too: one Interlocked operation per start and end, nothing else.
        meter.CreateObservableUpDownCounter("switchyard_in_flight_requests", () => Volatile.Read(ref _inFlight), description: "Requests being served now.");
        meter.CreateObservableUpDownCounter("switchyard_in_flight_streams", () => Volatile.Read(ref _inFlightStreams), description: "Streams being relayed to clients now.");
        Failovers = meter.CreateCounter<long>("switchyard_failovers_total", description: "Times a request moved on to another target, by the provider it left.");
        Overhead = meter.CreateHistogram<double>("switchyard_gateway_overhead_seconds", "s", "Time spent in the gateway itself: total time minus time waiting on upstreams.", tags: null, advice: SecondsBuckets);
    }

    private long _inFlight, _inFlightStreams;

    /// <summary>Requests and streams being served now (the console shows them; /metrics observes the same counters).</summary>
    public (long Requests, long Streams) Live => (Volatile.Read(ref _inFlight), Volatile.Read(ref _inFlightStreams));

    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    public void RequestEnded() => Interlocked.Decrement(ref _inFlight);

    public void StreamStarted() => Interlocked.Increment(ref _inFlightStreams);

    public void StreamEnded() => Interlocked.Decrement(ref _inFlightStreams);

    public Counter<long> Requests { get; }
    public Histogram<double> Duration { get; }
    public Histogram<double> TimeToFirstByte { get; }
    public Counter<long> Tokens { get; }
    public Counter<long> Retries { get; }
    public Counter<long> Failovers { get; }
    public Histogram<double> Overhead { get; }
}
