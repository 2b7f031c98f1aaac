using System.Text;
using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.Caching.Memory;
using Switchyard.Storage;

namespace Switchyard.Responses;

/// <summary>A stored answer: the conversation it answered (as Responses items) and the response object itself.</summary>
internal sealed record StoredResponse(string Id, string Tenant, long CreatedAt, byte[] InputItems, byte[] Response)
{
    public long Bytes => InputItems.Length + Response.Length + 64;
}

/// <summary>
/// Stored responses (<c>store: true</c>), for <c>GET /v1/responses/{id}</c> and <c>previous_response_id</c> against
/// upstreams that keep no state. Two tiers: memory, which has an answer the moment it is saved (bounded by
/// <see cref="MaxBytes"/>, least recently used out first), and the gateway's store (<c>responses</c> table), written
/// behind by one writer off the request path, so answers survive a restart and reach other instances. An answer is
/// kept <see cref="KeepFor"/> after it was made (OpenAI's 30 days); it belongs to the tenant that made it.
/// </summary>
internal sealed partial class ResponseStore(Store store, TimeProvider time, ILogger<ResponseStore> logger) : IHostedService, IDisposable
{
    public const long MaxBytes = 256L * 1024 * 1024;
    public static readonly TimeSpan KeepFor = TimeSpan.FromDays(30);
    private static readonly TimeSpan RetryStoreAfter = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);
    private static readonly TimeSpan DeleteWaitsAtMost = TimeSpan.FromSeconds(10);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = MaxBytes, CompactionPercentage = 0.25 });
    // Saves and deletes in one queue: a delete runs after every save queued before it, so nothing deleted comes back.
    private readonly Channel<Change> _changes = Channel.CreateBounded<Change>(new BoundedChannelOptions(16_384) { SingleReader = true });
    private Task? _writer;
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;

    private abstract record Change;
    private sealed record Saved(StoredResponse Response) : Change;
    private sealed record Deleted(string Id, string Tenant, TaskCompletionSource<bool> Done) : Change;

    /// <summary>On the request's path: in memory now, in the store soon (never waits for it).</summary>
    public void Save(StoredResponse response)
    {
        _cache.Set(response.Id, response, Entry(response));
        if (!_changes.Writer.TryWrite(new Saved(response)))
        {
            LogQueueFull(logger, response.Id); // the store is far behind: this answer lives in memory only
        }
    }

    /// <summary>The tenant's stored response, or null (another tenant's, or an expired one, is as absent as a missing one).</summary>
    public async ValueTask<StoredResponse?> GetAsync(string id, string tenant, CancellationToken ct)
    {
        if (_cache.TryGetValue(id, out StoredResponse? found))
        {
            return found!.Tenant == tenant && found.CreatedAt >= Oldest() ? found : null;
        }
        StoredResponse? row;
        try
        {
            await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
            row = (await connection.QueryAsync<Row>(new CommandDefinition(
                "SELECT id AS Id, tenant AS Tenant, created_at AS CreatedAt, input_items AS InputItems, response AS Response FROM responses WHERE id = @id",
                new { id }, cancellationToken: ct)).ConfigureAwait(false)).Select(r => r.ToStored()).FirstOrDefault();
        }
        catch (Exception ex) when (Store.IsUnavailable(ex))
        {
            LogReadFailed(logger, store.Options.Describe(), ex.Message);
            return null;
        }
        if (row is null || row.CreatedAt < Oldest())
        {
            return null;
        }
        _cache.Set(row.Id, row, Entry(row));
        return row.Tenant == tenant ? row : null;
    }

    /// <summary>Deletes the tenant's response (memory and store); false when it had none by that id.</summary>
    public async Task<bool> DeleteAsync(string id, string tenant, CancellationToken ct)
    {
        if (_cache.TryGetValue(id, out StoredResponse? found) && found!.Tenant != tenant)
        {
            return false;
        }
        _cache.Remove(id);
        var deleted = new Deleted(id, tenant, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _changes.Writer.WriteAsync(deleted, ct).ConfigureAwait(false);
        try
        {
            return await deleted.Done.Task.WaitAsync(DeleteWaitsAtMost, ct).ConfigureAwait(false) || found is not null;
        }
        catch (TimeoutException)
        {
            return found is not null; // the store is down: the delete is queued and runs when it is back
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Shutdown: every answer saved so far is written before this returns.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _changes.Writer.TryComplete();
        if (_writer is not null)
        {
            await _writer.ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Change>(256);
        var reader = _changes.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < 256 && reader.TryRead(out var change))
            {
                batch.Add(change);
            }
            // A store that fails is tried again until it takes the batch (later changes wait behind it, in order);
            // at shutdown a store that is down gets one last try.
            while (!await TryWriteAsync(batch).ConfigureAwait(false) && !reader.Completion.IsCompleted)
            {
                await Task.Delay(RetryStoreAfter).ConfigureAwait(false);
            }
            batch.Clear();
            await PruneIfDueAsync().ConfigureAwait(false);
        }
    }

    private async Task<bool> TryWriteAsync(List<Change> batch)
    {
        try
        {
            await using var connection = await store.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
            var results = new List<(Deleted, bool)>();
            foreach (var change in batch)
            {
                if (change is Saved { Response: var r })
                {
                    await connection.ExecuteAsync(
                        "INSERT INTO responses (id, tenant, created_at, input_items, response) VALUES (@Id, @Tenant, @CreatedAt, @InputItems, @Response) "
                        + "ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, created_at = excluded.created_at, input_items = excluded.input_items, response = excluded.response",
                        new Row(r.Id, r.Tenant, r.CreatedAt, Encoding.UTF8.GetString(r.InputItems), Encoding.UTF8.GetString(r.Response)), tx).ConfigureAwait(false);
                }
                else if (change is Deleted d)
                {
                    var rows = await connection.ExecuteAsync("DELETE FROM responses WHERE id = @Id AND tenant = @Tenant", new { d.Id, d.Tenant }, tx).ConfigureAwait(false);
                    results.Add((d, rows > 0));
                }
            }
            await tx.CommitAsync().ConfigureAwait(false);
            foreach (var (d, found) in results)
            {
                d.Done.TrySetResult(found);
            }
            return true;
        }
        catch (Exception ex) when (Store.IsUnavailable(ex))
        {
            LogWriteFailed(logger, store.Options.Describe(), batch.Count, ex.Message);
            return false;
        }
    }

    /// <summary>Deletes answers past <see cref="KeepFor"/>, at most once an hour, between batches.</summary>
    public async Task<int> PruneIfDueAsync(bool force = false)
    {
        var now = time.GetUtcNow();
        if (!force && now - _prunedAt < PruneEvery)
        {
            return 0;
        }
        _prunedAt = now;
        try
        {
            await using var connection = await store.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            return await connection.ExecuteAsync("DELETE FROM responses WHERE created_at < @oldest", new { oldest = Oldest() }).ConfigureAwait(false);
        }
        catch (Exception ex) when (Store.IsUnavailable(ex))
        {
            LogWriteFailed(logger, store.Options.Describe(), 0, $"pruning old answers: {ex.Message}");
            return 0;
        }
    }

    private long Oldest() => (time.GetUtcNow() - KeepFor).ToUnixTimeSeconds();

    // Age is checked on read against the gateway's clock; memory only needs a bound and to let idle answers go.
    private static MemoryCacheEntryOptions Entry(StoredResponse r) => new() { Size = r.Bytes, SlidingExpiration = TimeSpan.FromHours(6) };

    public void Dispose() => _cache.Dispose();

    private sealed record Row(string Id, string Tenant, long CreatedAt, string InputItems, string Response)
    {
        public StoredResponse ToStored() => new(Id, Tenant, CreatedAt, Encoding.UTF8.GetBytes(InputItems), Encoding.UTF8.GetBytes(Response));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored responses could not be written to the store {Store} ({Changes} changes: {Reason}); trying again in a few seconds")]
    private static partial void LogWriteFailed(ILogger logger, string store, int changes, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A stored response could not be read from the store {Store} ({Reason}): answered as not found")]
    private static partial void LogReadFailed(ILogger logger, string store, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored-response queue is full: response {Id} is kept in memory only")]
    private static partial void LogQueueFull(ILogger logger, string id);
}
