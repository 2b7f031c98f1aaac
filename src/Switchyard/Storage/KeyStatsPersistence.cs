using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Switchyard.Config;
using Switchyard.Keys;

namespace Switchyard.Storage;

/// <summary>One upstream key's statistics as the store keeps them.</summary>
internal sealed record UpstreamKeyStatsRecord(string Provider, string KeyFingerprint, string KeyMasked, long Requests, long Successes, long Failures,
    string StatusCounts, long? LastUsedAt, long? LastFailureAt, long? LastFailureStatus, long UpdatedAt);

/// <summary>
/// Upstream keys' statistics (requests, successes, failures, status codes, last use and failure — what <c>GET /providers</c>
/// shows) survive a restart: loaded into the key states before the gateway listens, written every few seconds and at
/// shutdown. Off the hot path: requests only update the in-memory counters, as before.
/// </summary>
internal sealed partial class KeyStatsPersistence(Store store, ConfigHolder config, IKeyStateStore states, TimeProvider time, ILogger<KeyStatsPersistence> logger)
    : BackgroundService
{
    private static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(5);
    private readonly Dictionary<(string, string), long> _written = [];

    /// <summary>Before the gateway listens: each configured key starts from the counts it had.</summary>
    public void Load()
    {
        using var connection = store.OpenConnectionAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var rows = connection.Query<UpstreamKeyStatsRecord>(
            "SELECT provider AS Provider, key_fingerprint AS KeyFingerprint, key_masked AS KeyMasked, requests AS Requests, successes AS Successes, "
            + "failures AS Failures, status_counts AS StatusCounts, last_used_at AS LastUsedAt, last_failure_at AS LastFailureAt, "
            + "last_failure_status AS LastFailureStatus, updated_at AS UpdatedAt FROM upstream_key_stats")
            .ToDictionary(r => (r.Provider, r.KeyFingerprint));
        foreach (var (provider, key) in Keys())
        {
            if (rows.TryGetValue((provider.Name, key.Id), out var r))
            {
                var counts = JsonSerializer.Deserialize(r.StatusCounts, KeyStatsJson.Default.DictionaryStringInt64) ?? [];
                states.Get(provider.Name, key).Seed(r.Requests, r.Successes, r.Failures, counts.ToDictionary(c => int.Parse(c.Key, System.Globalization.CultureInfo.InvariantCulture), c => c.Value),
                    Time(r.LastUsedAt), Time(r.LastFailureAt), (int?)r.LastFailureStatus);
                _written[(provider.Name, r.KeyFingerprint)] = r.Requests;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(FlushEvery, stoppingToken).ConfigureAwait(false);
                await FlushAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down: StopAsync writes the last counts
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Writes the keys whose counts moved since the last write; a store that fails is tried again next time.</summary>
    public async Task FlushAsync()
    {
        var now = time.GetUtcNow();
        var changed = new List<UpstreamKeyStatsRecord>();
        foreach (var (provider, key) in Keys())
        {
            var fingerprint = key.Id;
            var s = states.Get(provider.Name, key).Snapshot(key, now);
            if (_written.TryGetValue((provider.Name, fingerprint), out var written) && written == s.Requests)
            {
                continue;
            }
            changed.Add(new UpstreamKeyStatsRecord(provider.Name, fingerprint, key.Masked, s.Requests, s.Successes, s.Failures,
                JsonSerializer.Serialize(s.StatusCounts.ToDictionary(c => c.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), c => c.Value), KeyStatsJson.Default.DictionaryStringInt64),
                s.LastUsed?.ToUnixTimeMilliseconds(), s.LastFailureAt?.ToUnixTimeMilliseconds(), s.LastFailureStatus, now.ToUnixTimeMilliseconds()));
        }
        if (changed.Count == 0)
        {
            return;
        }
        try
        {
            await using var connection = await store.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
            await connection.ExecuteAsync(
                "INSERT INTO upstream_key_stats (provider, key_fingerprint, key_masked, requests, successes, failures, status_counts, last_used_at, "
                + "last_failure_at, last_failure_status, updated_at) VALUES (@Provider, @KeyFingerprint, @KeyMasked, @Requests, @Successes, @Failures, "
                + "@StatusCounts, @LastUsedAt, @LastFailureAt, @LastFailureStatus, @UpdatedAt) ON CONFLICT (provider, key_fingerprint) DO UPDATE SET "
                + "key_masked = excluded.key_masked, requests = excluded.requests, successes = excluded.successes, failures = excluded.failures, "
                + "status_counts = excluded.status_counts, last_used_at = excluded.last_used_at, last_failure_at = excluded.last_failure_at, "
                + "last_failure_status = excluded.last_failure_status, updated_at = excluded.updated_at", changed, tx).ConfigureAwait(false);
            await tx.CommitAsync().ConfigureAwait(false);
            foreach (var r in changed)
            {
                _written[(r.Provider, r.KeyFingerprint)] = r.Requests;
            }
        }
        catch (Exception ex) when (Store.IsUnavailable(ex))
        {
            LogFlushFailed(logger, store.Options.Describe(), ex.Message);
        }
    }

    private IEnumerable<(ProviderConfig Provider, UpstreamKey Key)> Keys() =>
        config.Current.Config.Providers.Values.Where(p => p.Kind != ProviderKind.Mock).SelectMany(p => p.Keys.Select(k => (p, k)));

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream key statistics could not be written to the store {Store} ({Reason}); trying again in a few seconds")]
    private static partial void LogFlushFailed(ILogger logger, string store, string reason);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, long>))]
internal sealed partial class KeyStatsJson : System.Text.Json.Serialization.JsonSerializerContext;
