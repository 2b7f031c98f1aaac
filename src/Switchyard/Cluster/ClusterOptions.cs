namespace Switchyard.Cluster;

/// <summary>
/// <c>cluster:</c> (read at start): N identical gateways sharing PostgreSQL (durable state) and Redis (hot state: limit
/// windows, reservations, concurrency leases, cooldowns, change notices). Absent: single mode, all hot state in memory.
/// </summary>
/// <param name="Redis">A StackExchange.Redis configuration string (<c>127.0.0.1:6379,password=…</c>).</param>
internal sealed record ClusterOptions(string Redis)
{
    /// <summary>This instance's name in Redis and in its spill file's name (default: the machine name and process id are not stable, so the machine name).</summary>
    public string Instance { get; init; } = Environment.MachineName;

    /// <summary>Refuse requests that count against limits (503) while Redis is unreachable, instead of counting them locally.</summary>
    public bool FailClosed { get; init; }

    /// <summary>The longest a request waits on Redis before it falls back (<c>redis_timeout</c>).</summary>
    public TimeSpan RedisTimeout { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A request's concurrency slot outlives its instance by at most this (renewed while the request runs).</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Every key and channel starts with this, in braces: one hash slot, so the multi-key scripts also run on Redis Cluster.</summary>
    public string KeyPrefix { get; init; } = "switchyard";
}
