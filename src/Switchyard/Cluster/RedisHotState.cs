using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using StackExchange.Redis;

namespace Switchyard.Cluster;

/// <summary>
/// The cluster's connection to Redis and whether it answers. A request never waits on Redis longer than
/// <c>cluster.redis_timeout</c>: a call that fails or takes longer marks Redis down, and until a ping succeeds again
/// callers fall back at once instead of trying. Writes that could not be made (a settlement, usage counted locally
/// while Redis was down) wait in a bounded queue and are made when it is back: that is the reconciliation.
/// </summary>
internal sealed partial class RedisHotState : IAsyncDisposable
{
    private const int MaxPending = 100_000;
    private readonly ClusterOptions _options;
    private readonly ConnectionMultiplexer _redis;
    private readonly ILogger<RedisHotState> _logger;
    private readonly ConcurrentQueue<Func<IDatabase, Task>> _pending = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _watch;
    private int _pendingCount;
    private long _fallbacks;
    private long _dropped;
    private volatile bool _available;
    private string? _lastError;
    private readonly string? _password;

    public RedisHotState(ClusterOptions options, IMeterFactory meters, Observability.TelemetryNames names, ILogger<RedisHotState> logger)
    {
        _options = options;
        _logger = logger;
        var config = ConfigurationOptions.Parse(options.Redis);
        config.AbortOnConnectFail = false; // start, and serve, while Redis is down
        config.BacklogPolicy = BacklogPolicy.FailFast; // a command while disconnected fails now instead of queueing behind the reconnect
        config.ConnectTimeout = 2000;
        config.ClientName = $"switchyard-{options.Instance}";
        _password = config.Password;
        Describe = string.Join(",", config.EndPoints.Select(EndPointCollection.ToString)); // never the password
        _redis = ConnectionMultiplexer.Connect(config);
        _available = _redis.IsConnected;
        if (!_available)
        {
            LogDown(logger, Describe, "not reachable at start");
        }
        var meter = meters.Create(names.Meter);
        meter.CreateObservableGauge("switchyard_cluster_redis_available", () => _available ? 1 : 0, description: "1 while this instance shares hot state through Redis, 0 while it counts locally.");
        meter.CreateObservableCounter("switchyard_cluster_local_fallbacks_total", () => Interlocked.Read(ref _fallbacks), description: "Requests whose limits were counted locally because Redis was unreachable or slow.");
        meter.CreateObservableGauge("switchyard_cluster_pending_writes", () => Volatile.Read(ref _pendingCount), description: "Counter writes waiting for Redis to come back.");
        meter.CreateObservableCounter("switchyard_cluster_dropped_writes_total", () => Interlocked.Read(ref _dropped), description: "Counter writes given up because the queue for Redis was full.");
        _watch = WatchAsync(_stopping.Token);
    }

    public ClusterOptions Options => _options;

    /// <summary>The servers, for logs and /health/ready (a configuration string may hold a password).</summary>
    public string Describe { get; }

    public bool Available => _available;

    public string? LastError => _lastError;

    public int PendingWrites => Volatile.Read(ref _pendingCount);

    public ISubscriber Subscriber => _redis.GetSubscriber();

    public IDatabase Database => _redis.GetDatabase();

    public IEnumerable<IServer> Servers => _redis.GetServers();

    /// <summary>A key (or channel) of this cluster: every one in the same hash slot.</summary>
    public string Key(string suffix) => $"{{{_options.KeyPrefix}}}:{suffix}";

    public void CountFallback() => Interlocked.Increment(ref _fallbacks);

    /// <summary>Runs a call within the time budget; default (and Redis marked down) when it fails or is too slow.</summary>
    public async ValueTask<(bool Ok, T? Value)> TryAsync<T>(Func<IDatabase, Task<T>> call)
    {
        if (!_available)
        {
            return (false, default);
        }
        try
        {
            return (true, await call(_redis.GetDatabase()).WaitAsync(_options.RedisTimeout).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            MarkDown(ex);
            return (false, default);
        }
    }

    /// <summary>A write off the request's path: made now when Redis answers, else queued until it does.</summary>
    public void Write(Func<IDatabase, Task> write)
    {
        if (!_available)
        {
            Enqueue(write);
            return;
        }
        _ = WriteNowAsync(write);
    }

    private async Task WriteNowAsync(Func<IDatabase, Task> write)
    {
        try
        {
            await write(_redis.GetDatabase()).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            MarkDown(ex);
            Enqueue(write);
        }
    }

    private void Enqueue(Func<IDatabase, Task> write)
    {
        if (Interlocked.Increment(ref _pendingCount) > MaxPending)
        {
            Interlocked.Decrement(ref _pendingCount);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _pending.Enqueue(write);
    }

    private void MarkDown(Exception ex)
    {
        _lastError = Redact(ex.Message);
        if (_available)
        {
            _available = false;
            LogDown(_logger, Describe, _lastError);
        }
    }

    /// <summary>While Redis is down: a ping every half second; when it answers, the queued writes are made, then callers use it again.</summary>
    private async Task WatchAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                if (_available && _pending.IsEmpty)
                {
                    continue;
                }
                try
                {
                    var db = _redis.GetDatabase();
                    await db.PingAsync().WaitAsync(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                    var replayed = 0;
                    while (_pending.TryPeek(out var write))
                    {
                        await write(db).WaitAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                        _pending.TryDequeue(out _);
                        Interlocked.Decrement(ref _pendingCount);
                        replayed++;
                    }
                    if (!_available)
                    {
                        _available = true;
                        LogBack(_logger, Describe, replayed);
                    }
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    _lastError = Redact(ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private string Redact(string message) => _password is { Length: > 0 } p ? message.Replace(p, "***", StringComparison.Ordinal) : message;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
        // Writes still queued at shutdown get one last chance (bounded): counters the next requests read.
        if (_available)
        {
            var db = _redis.GetDatabase();
            while (_pending.TryDequeue(out var write))
            {
                try
                {
                    await write(db).WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    break;
                }
            }
        }
        await _redis.CloseAsync().ConfigureAwait(false);
        _redis.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis {Redis} is unavailable ({Reason}): limits are counted on this instance until it is back")]
    private static partial void LogDown(ILogger logger, string redis, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis {Redis} is back: {Replayed} queued counter writes made; limits are shared again")]
    private static partial void LogBack(ILogger logger, string redis, int replayed);
}
