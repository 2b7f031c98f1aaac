using System.Collections.Concurrent;
using Switchyard.Config;

namespace Switchyard.Routing;

/// <summary>
/// The live health of one provider: consecutive failures (5xx, timeouts, connection errors) cool it down for
/// <c>failure_cooldown</c>, after which one trial request decides (half-open). Also the in-flight count and an EWMA of
/// time to first byte, which the least_busy and least_latency strategies read.
/// </summary>
internal sealed class ProviderState(Action<DateTimeOffset>? rested = null)
{
    private const double Alpha = 0.3;
    private readonly Lock _lock = new();
    private int _consecutiveFailures;
    private DateTimeOffset _cooldownUntil;
    private bool _halfOpen;
    private bool _trialInFlight;
    private int _inFlight;
    private double _ewmaTtfbMs = -1;
    private long _requests;
    private long _failures;
    private string? _lastError;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>EWMA of time to first byte in ms; negative until the first success.</summary>
    public double EwmaTtfbMs
    {
        get
        {
            lock (_lock)
            {
                return _ewmaTtfbMs;
            }
        }
    }

    public bool IsAvailable(DateTimeOffset now)
    {
        lock (_lock)
        {
            return _cooldownUntil <= now && !(_halfOpen && _trialInFlight);
        }
    }

    public bool TryBegin()
    {
        lock (_lock)
        {
            if (_halfOpen)
            {
                if (_trialInFlight)
                {
                    return false;
                }
                _trialInFlight = true;
            }
            _inFlight++;
            _requests++;
            return true;
        }
    }

    /// <param name="healthFailure">A provider-level failure (5xx, timeout, connection); key-level problems do not count.</param>
    public void End(ProviderConfig provider, bool healthFailure, TimeSpan? ttfb, string? error, DateTimeOffset now)
    {
        lock (_lock)
        {
            _inFlight--;
            _trialInFlight = false;
            if (ttfb is { } t)
            {
                var ms = t.TotalMilliseconds;
                _ewmaTtfbMs = _ewmaTtfbMs < 0 ? ms : (Alpha * ms) + ((1 - Alpha) * _ewmaTtfbMs);
            }
            if (!healthFailure)
            {
                _consecutiveFailures = 0;
                _halfOpen = false;
                return;
            }
            _failures++;
            _lastError = error;
            if (++_consecutiveFailures >= provider.MaxFailures || _halfOpen)
            {
                _cooldownUntil = now + provider.FailureCooldown;
                _halfOpen = true;
                rested?.Invoke(_cooldownUntil);
            }
        }
    }

    /// <summary>Another instance of the cluster saw this provider fail: it rests here too, then one trial decides.</summary>
    public void RestUntil(DateTimeOffset until)
    {
        lock (_lock)
        {
            if (until > _cooldownUntil)
            {
                _cooldownUntil = until;
                _halfOpen = true;
            }
        }
    }

    public ProviderHealthSnapshot Snapshot(DateTimeOffset now)
    {
        lock (_lock)
        {
            var state = _cooldownUntil > now ? "cooling_down" : _halfOpen ? "half_open" : "healthy";
            return new ProviderHealthSnapshot(state, _cooldownUntil > now ? (_cooldownUntil - now).TotalSeconds : 0, _consecutiveFailures, _inFlight,
                _ewmaTtfbMs < 0 ? null : Math.Round(_ewmaTtfbMs, 1), _requests, _failures, _lastError);
        }
    }
}

internal sealed record ProviderHealthSnapshot(string State, double CooldownRemainingSeconds, int ConsecutiveFailures, int InFlight,
    double? EwmaTtfbMs, long Requests, long Failures, string? LastError);

/// <summary>Where provider health lives: in memory now, shared through PostgreSQL when scaled out.</summary>
internal interface IProviderHealthStore
{
    ProviderState Get(string provider);
}

/// <summary>In this process's memory; a rest it starts is told to the cluster's other instances (in single mode, to nobody).</summary>
internal sealed class InMemoryProviderHealthStore(Cluster.IClusterNotices notices) : IProviderHealthStore
{
    private readonly ConcurrentDictionary<string, ProviderState> _states = new(StringComparer.Ordinal);

    public ProviderState Get(string provider) => _states.GetOrAdd(provider, name => new ProviderState(until => notices.ProviderResting(name, until)));
}
