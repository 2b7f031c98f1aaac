using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Switchyard.Observability;

/// <summary>
/// A small Prometheus text-format exporter (no OpenTelemetry or Prometheus package is available here): a
/// MeterListener aggregates the gateway's counters, up-down counters and histograms per label set, and observable
/// gauges are read at scrape time. Format: https://prometheus.io/docs/instrumenting/exposition_formats/.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    /// <summary>Seconds: from a fast local hop to a long generation.</summary>
    public static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Series> _series = new();
    private readonly ConcurrentDictionary<Instrument, byte> _observables = new();

    public PrometheusExporter(IMeterFactory meterFactory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only this gateway's meters: several gateways (tests) may share one process.
            if (instrument.Meter.Name != GatewayMetrics.MeterName || !ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                return;
            }
            if (instrument.IsObservable)
            {
                _observables[instrument] = 0;
            }
            _series[instrument] = new Series(instrument);
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_series.TryGetValue(instrument, out var series))
        {
            series.Record(value, Labels(tags));
        }
    }

    /// <summary>The label set as Prometheus text (<c>a="x",b="y"</c>), sorted by name so one set has one spelling.</summary>
    internal static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }
        var pairs = new List<KeyValuePair<string, object?>>(tags.Length);
        foreach (var t in tags)
        {
            pairs.Add(t);
        }
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var sb = new StringBuilder();
        foreach (var (k, v) in pairs)
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }
            sb.Append(k).Append("=\"").Append(Escape(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "")).Append('"');
        }
        return sb.ToString();
    }

    internal static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public string Scrape()
    {
        _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        foreach (var series in _series.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            series.WriteTo(sb);
        }
        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private sealed class Series(Instrument instrument)
    {
        private readonly ConcurrentDictionary<string, Cell> _cells = new(StringComparer.Ordinal);
        private readonly bool _histogram = instrument is Histogram<double> or Histogram<long>;
        // Observed values are absolute (a gauge's level, an observable counter's running total): keep the last one.
        private readonly bool _observed = instrument.IsObservable;

        public string Name { get; } = instrument.Name;

        public void Record(double value, string labels)
        {
            var cell = _cells.GetOrAdd(labels, static _ => new Cell());
            lock (cell)
            {
                if (_observed)
                {
                    cell.Sum = value;
                    return;
                }
                cell.Sum += value;
                cell.Count++;
                if (_histogram)
                {
                    cell.Buckets ??= new long[Buckets.Length];
                    for (var i = 0; i < Buckets.Length; i++)
                    {
                        if (value <= Buckets[i])
                        {
                            cell.Buckets[i]++;
                            break; // stored per bucket; made cumulative when written
                        }
                    }
                }
            }
        }

        public void WriteTo(StringBuilder sb)
        {
            var type = _histogram ? "histogram"
                : instrument is ObservableGauge<long> or ObservableGauge<double> or UpDownCounter<long> or UpDownCounter<double> or ObservableUpDownCounter<long> ? "gauge"
                : "counter";
            if (instrument.Description is { } help)
            {
                sb.Append("# HELP ").Append(Name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            }
            sb.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
            foreach (var (labels, cell) in _cells.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                lock (cell)
                {
                    if (!_histogram)
                    {
                        Line(sb, Name, labels, null, cell.Sum);
                        continue;
                    }
                    long cumulative = 0;
                    for (var i = 0; i < Buckets.Length; i++)
                    {
                        cumulative += cell.Buckets?[i] ?? 0;
                        Line(sb, Name + "_bucket", labels, Buckets[i].ToString(CultureInfo.InvariantCulture), cumulative);
                    }
                    Line(sb, Name + "_bucket", labels, "+Inf", cell.Count);
                    Line(sb, Name + "_sum", labels, null, cell.Sum);
                    Line(sb, Name + "_count", labels, null, cell.Count);
                }
            }
        }

        private static void Line(StringBuilder sb, string name, string labels, string? le, double value)
        {
            sb.Append(name);
            if (labels.Length > 0 || le is not null)
            {
                sb.Append('{').Append(labels);
                if (le is not null)
                {
                    sb.Append(labels.Length > 0 ? "," : "").Append("le=\"").Append(le).Append('"');
                }
                sb.Append('}');
            }
            sb.Append(' ').Append(value.ToString("G17", CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private sealed class Cell
    {
        public double Sum;
        public long Count;
        public long[]? Buckets;
    }
}
