using Switchyard.Config;

namespace Switchyard.Keys;

/// <summary>What happened on one attempt with one key, as far as the key's health is concerned.</summary>
internal enum KeyOutcome { Success, RateLimited, AuthFailed, Failed }

/// <summary>
/// The live state of one upstream key: counters for the statistics page, and the small state machine that
/// decides whether the key may be picked (healthy → cooling down → half-open trial → healthy, or disabled).
/// One lock per key: contention is per key, and each operation is a handful of field updates.
/// </summary>
internal sealed class KeyState
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, long> _statusCounts = [];
    private long _requests;
    private long _successes;
    private long _failures;
    private int _inFlight;
    private int _consecutiveFailures;
    private DateTimeOffset? _lastUsed;
    private DateTimeOffset? _lastFailureAt;
    private int? _lastFailureStatus;
    private DateTimeOffset _cooldownUntil;
    private bool _halfOpen;
    private bool _trialInFlight;
    private string? _disabledReason;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Until when the key rests, if it does.</summary>
    public DateTimeOffset? CooldownUntil
    {
        get
        {
            lock (_lock)
            {
                return _cooldownUntil == default ? null : _cooldownUntil;
            }
        }
    }
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Whether the key may take a request now; a half-open key admits one trial at a time.</summary>
    public bool IsAvailable(UpstreamKey key, DateTimeOffset now)
    {
        if (!key.Enabled)
        {
            return false;
        }
        lock (_lock)
        {
            return _disabledReason is null && _cooldownUntil <= now && !(_halfOpen && _trialInFlight);
        }
    }

    /// <summary>Claims the key for one attempt; false when another request took its only half-open trial first.</summary>
    public bool TryBegin(DateTimeOffset now)
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
            _requests++;
            _inFlight++;
            _lastUsed = now;
            return true;
        }
    }

    /// <returns>"disabled", "cooled" or "recovered" when this outcome changed the key's state, else null.</returns>
    public string? End(UpstreamKey key, KeyOutcome outcome, int? status, TimeSpan? retryAfter, DateTimeOffset now)
    {
        lock (_lock)
        {
            var wasResting = _halfOpen || _disabledReason is not null;
            var wasCooling = _cooldownUntil > now;
            _inFlight--;
            _trialInFlight = false;
            if (status is { } s)
            {
                _statusCounts[s] = _statusCounts.GetValueOrDefault(s) + 1;
            }
            if (outcome == KeyOutcome.Success)
            {
                _successes++;
                _consecutiveFailures = 0;
                _halfOpen = false;
                return wasResting ? "recovered" : null;
            }
            _failures++;
            _lastFailureAt = now;
            _lastFailureStatus = status;
            switch (outcome)
            {
                case KeyOutcome.AuthFailed:
                    _disabledReason = $"upstream rejected the key (HTTP {status})";
                    break;
                case KeyOutcome.RateLimited:
                    _consecutiveFailures++;
                    _cooldownUntil = Max(_cooldownUntil, now + (retryAfter ?? key.Cooldown));
                    _halfOpen = true;
                    break;
                default:
                    _consecutiveFailures++;
                    break;
            }
            if (_consecutiveFailures >= key.MaxFailures)
            {
                // Too many in a row: rest for the cooldown, then one trial request decides (half-open).
                _cooldownUntil = Max(_cooldownUntil, now + key.Cooldown);
                _halfOpen = true;
            }
            return outcome == KeyOutcome.AuthFailed ? "disabled" : !wasCooling && _cooldownUntil > now ? "cooled" : null;
        }
    }

    /// <summary>Steer away before a 429: the upstream said this key has no requests left until <paramref name="until"/>.</summary>
    /// <returns>Whether that rests the key longer than it already did.</returns>
    public bool Exhausted(DateTimeOffset until)
    {
        lock (_lock)
        {
            var longer = until > _cooldownUntil;
            _cooldownUntil = Max(_cooldownUntil, until);
            return longer;
        }
    }

    /// <summary>Out of rotation until <see cref="Enable"/> (an operator's decision; not a failure).</summary>
    public void Disable(string reason)
    {
        lock (_lock)
        {
            _disabledReason = reason;
        }
    }

    public void Enable()
    {
        lock (_lock)
        {
            _disabledReason = null;
            _consecutiveFailures = 0;
            _cooldownUntil = default;
            _halfOpen = false;
        }
    }

    public KeySnapshot Snapshot(UpstreamKey key, DateTimeOffset now)
    {
        lock (_lock)
        {
            return new KeySnapshot(
                key.Masked, key.Enabled && _disabledReason is null, _disabledReason,
                _cooldownUntil > now ? _cooldownUntil : null, _halfOpen, _consecutiveFailures,
                _lastFailureAt, _lastFailureStatus, _lastUsed, _requests, _successes, _failures, _inFlight,
                new SortedDictionary<int, long>(_statusCounts));
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>At start, the counters a previous run left in the store (before this run has counted anything).</summary>
    public void Seed(long requests, long successes, long failures, IReadOnlyDictionary<int, long> statusCounts, DateTimeOffset? lastUsed,
        DateTimeOffset? lastFailureAt, int? lastFailureStatus)
    {
        lock (_lock)
        {
            _requests += requests;
            _successes += successes;
            _failures += failures;
            foreach (var (status, count) in statusCounts)
            {
                _statusCounts[status] = _statusCounts.GetValueOrDefault(status) + count;
            }
            _lastUsed ??= lastUsed;
            _lastFailureAt ??= lastFailureAt;
            _lastFailureStatus ??= lastFailureStatus;
        }
    }
}

/// <summary>A consistent copy of one key's state, for <c>GET /providers</c> and the CLI.</summary>
internal sealed record KeySnapshot(
    string Key, bool Enabled, string? DisabledReason, DateTimeOffset? CooldownUntil, bool HalfOpen, int ConsecutiveFailures,
    DateTimeOffset? LastFailureAt, int? LastFailureStatus, DateTimeOffset? LastUsed, long Requests, long Successes, long Failures,
    int InFlight, SortedDictionary<int, long> StatusCounts)
{
    /// <summary>As the admin API and the console name it: available, cooling_down or disabled.</summary>
    public string State => !Enabled ? "disabled" : CooldownUntil is not null ? "cooling_down" : "available";
}
