using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;
using Switchyard.Observability;

namespace Switchyard.Storage;

/// <summary>One row of <c>request_log</c> (also a line of the spill file).</summary>
internal sealed record RequestLogRow(long Ts, string RequestId, string? Tenant, string? TenantKey, string Protocol, string Model, string? Route,
    string? Provider, string? UpstreamModel, string? UpstreamKey, int Status, int Attempts, double LatencyMs, double? TtfbMs,
    int InputTokens, int OutputTokens, string Trail, string? Error)
{
    public string? EndUser { get; init; }
    public int CachedTokens { get; init; }
    public int CacheWriteTokens { get; init; }
    public int ReasoningTokens { get; init; }
    public long? CostNanos { get; init; }
    public string? PriceVersion { get; init; }
    public string? Body { get; init; }
}

/// <summary>
/// Every request into <c>request_log</c>, off the hot path: a request only enqueues its row; one writer inserts them in
/// batches (PostgreSQL: binary COPY; SQLite: one transaction). When the store fails — or, far rarer, the queue is
/// full — rows go to a spill file beside it, and are loaded once the store takes writes again; on shutdown everything
/// accepted is written before the process exits. Nothing is dropped silently: <see cref="Spilled"/> and
/// <see cref="Replayed"/> count what took the detour.
/// </summary>
internal sealed partial class StoredRequestLog : IRequestLogSink, IHostedService
{
    private const int BatchRows = 1000;
    private static readonly TimeSpan RetryStoreAfter = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan GatherFor = TimeSpan.FromMilliseconds(20);

    private readonly Store _store;
    private readonly string _spillPath;
    private readonly ILogger<StoredRequestLog> _logger;
    private readonly Channel<RequestLogEntry> _queue = Channel.CreateBounded<RequestLogEntry>(new BoundedChannelOptions(65_536) { SingleReader = true });
    private readonly Lock _spillGate = new();
    private Task? _writer;
    private long _written, _spilled, _replayed;

    private readonly TimeProvider _time;
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    private readonly Config.ConfigHolder _config;

    public StoredRequestLog(Store store, Config.ConfigHolder config, TimeProvider time, ILogger<StoredRequestLog> logger,
        IMeterFactory meters, TelemetryNames names)
    {
        _config = config;
        var meter = meters.Create(names.Meter);
        meter.CreateObservableCounter("switchyard_request_log_rows_total", () => new[]
        {
            new Measurement<long>(Written, new KeyValuePair<string, object?>("outcome", "written")),
            new Measurement<long>(Spilled, new KeyValuePair<string, object?>("outcome", "spilled")),
            new Measurement<long>(Replayed, new KeyValuePair<string, object?>("outcome", "replayed")),
        }, description: "Request-log rows written to the store, spilled to the spill file while it could not take them, and loaded from that file later.");
        meter.CreateObservableGauge("switchyard_request_log_queue", () => (long)_queue.Reader.Count, description: "Request-log rows accepted and not yet written.");
        _store = store;
        _time = time;
        _logger = logger;
        _spillPath = store.Options.SpillPath;
    }

    public long Written => Interlocked.Read(ref _written);
    public long Spilled => Interlocked.Read(ref _spilled);
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>On the request's thread: only enqueues the entry (the row is built by the writer).</summary>
    public void Write(in RequestLogEntry e)
    {
        if (e.Event is not null)
        {
            return; // lifecycle events stay in the file log
        }
        if (!_queue.Writer.TryWrite(e))
        {
            Spill([RowOf(e)]); // the writer is far behind: this request pays one appended line rather than losing its row
        }
    }

    private static RequestLogRow RowOf(in RequestLogEntry e) => new(e.Timestamp.ToUnixTimeMilliseconds(), e.RequestId, e.Tenant, e.TenantKey,
        Observability.WireNames.Of(e.Protocol), e.Model, e.Route, e.Provider, e.UpstreamModel, e.Key, e.Status, e.Attempts, Math.Round(e.LatencyMs, 2),
        e.TtfbMs is { } t ? Math.Round(t, 2) : null, e.InputTokens, e.OutputTokens, JsonSerializer.Serialize(e.Trail, StoreJson.Default.ListString), e.Error)
    {
        EndUser = e.User,
        CachedTokens = e.CachedTokens,
        CacheWriteTokens = e.CacheWriteTokens,
        ReasoningTokens = e.ReasoningTokens,
        CostNanos = e.CostNanos,
        PriceVersion = e.PriceVersion,
        Body = e.CapturedBody,
    };

    private static readonly string[] ColumnNames = Columns.Split(", ");
    private static readonly string InsertRow = $"INSERT INTO request_log ({Columns}) VALUES ({string.Join(", ", ColumnNames.Select(n => "@" + n))})";

    private const string Columns = "ts, request_id, tenant, tenant_key, protocol, model, route, provider, upstream_model, upstream_key, status, attempts, "
        + "latency_ms, ttfb_ms, input_tokens, output_tokens, trail, error, end_user, cached_tokens, cache_write_tokens, reasoning_tokens, cost_nanousd, price_version, body";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Shutdown (SIGTERM): no more rows are taken; every row already accepted is written before this returns.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_writer is not null)
        {
            await _writer.ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<RequestLogRow>(BatchRows);
        var storeDownSince = await ReplaySpillAsync().ConfigureAwait(false) ? (DateTime?)null : DateTime.UtcNow; // rows an earlier run spilled
        var reader = _queue.Reader;
        while (await reader.WaitToGatherAsync(BatchRows, GatherFor, TimeProvider.System).ConfigureAwait(false)) // a row waits a moment so that many share one commit
        {
            while (batch.Count < BatchRows && reader.TryRead(out var entry))
            {
                batch.Add(RowOf(entry));
            }
            if (storeDownSince is { } since && DateTime.UtcNow - since < RetryStoreAfter)
            {
                Spill(batch); // the store failed a moment ago: rows wait in the spill file, in order
            }
            else if (await TryInsertAsync(batch).ConfigureAwait(false))
            {
                storeDownSince = null;
                await ReplaySpillAsync().ConfigureAwait(false);
                await PruneIfDueAsync().ConfigureAwait(false);
            }
            else
            {
                storeDownSince = DateTime.UtcNow;
                Spill(batch);
            }
            batch.Clear();
            // Idle while the store is down: try again every few seconds until it takes the spilled rows (or requests come).
            Task<bool>? next = null;
            while (storeDownSince is not null && reader.Count == 0 && File.Exists(_spillPath) && !reader.Completion.IsCompleted)
            {
                next ??= reader.WaitToReadAsync().AsTask(); // one wait across retries
                await Task.WhenAny(next, Task.Delay(RetryStoreAfter)).ConfigureAwait(false);
                if (reader.Count == 0 && await ReplaySpillAsync().ConfigureAwait(false))
                {
                    storeDownSince = null;
                }
            }
        }
        await ReplaySpillAsync().ConfigureAwait(false); // a last try at shutdown; what stays spilled is loaded at the next start
    }

    private async Task<bool> TryInsertAsync(List<RequestLogRow> rows)
    {
        try
        {
            await InsertAsync(rows).ConfigureAwait(false);
            Interlocked.Add(ref _written, rows.Count);
            return true;
        }
        catch (Exception ex) when (Store.IsUnavailable(ex))
        {
            LogStoreFailed(_logger, _store.Options.Describe(), rows.Count, ex.Message);
            return false;
        }
    }

    private async Task InsertAsync(List<RequestLogRow> rows)
    {
        await using var connection = await _store.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        var dayZone = _config.Current.Config.LimitsTimeZone;
        if (connection is NpgsqlConnection pg)
        {
            await using var pgTx = await pg.BeginTransactionAsync().ConfigureAwait(false);
            await CopyAsync(pg, rows).ConfigureAwait(false);
            await UsageRollups.AddAsync(pg, pgTx, rows, dayZone).ConfigureAwait(false);
            await pgTx.CommitAsync().ConfigureAwait(false);
            return;
        }
        await using (var pragma = connection.CreateCommand())
        {
            // WAL with NORMAL: a commit no longer waits for the disk to sync (the log survives a crash of the
            // process; a power cut may lose the last commits). One commit carries up to BatchRows rows.
            pragma.CommandText = "PRAGMA synchronous=NORMAL";
            await pragma.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = InsertRow;
        var parameters = insert.AddParameters(ColumnNames);
        foreach (var r in rows)
        {
            object?[] values = [r.Ts, r.RequestId, r.Tenant, r.TenantKey, r.Protocol, r.Model, r.Route, r.Provider, r.UpstreamModel, r.UpstreamKey,
                r.Status, r.Attempts, r.LatencyMs, r.TtfbMs, r.InputTokens, r.OutputTokens, r.Trail, r.Error,
                r.EndUser, r.CachedTokens, r.CacheWriteTokens, r.ReasoningTokens, r.CostNanos, r.PriceVersion, r.Body];
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }
            insert.ExecuteNonQuery(); // SQLite's async calls run synchronously anyway: this spares a task per row
        }
        await UsageRollups.AddAsync(connection, tx, rows, dayZone).ConfigureAwait(false);
        tx.Commit();
    }

    private static async Task CopyAsync(NpgsqlConnection pg, List<RequestLogRow> rows)
    {
        await using var copy = await pg.BeginBinaryImportAsync($"COPY request_log ({Columns}) FROM STDIN (FORMAT BINARY)").ConfigureAwait(false);
        foreach (var r in rows)
        {
            await copy.StartRowAsync().ConfigureAwait(false);
            await copy.WriteAsync(r.Ts, NpgsqlDbType.Bigint).ConfigureAwait(false);
            await copy.WriteAsync(r.RequestId, NpgsqlDbType.Text).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.Tenant).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.TenantKey).ConfigureAwait(false);
            await copy.WriteAsync(r.Protocol, NpgsqlDbType.Text).ConfigureAwait(false);
            await copy.WriteAsync(r.Model, NpgsqlDbType.Text).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.Route).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.Provider).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.UpstreamModel).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.UpstreamKey).ConfigureAwait(false);
            await copy.WriteAsync(r.Status, NpgsqlDbType.Integer).ConfigureAwait(false);
            await copy.WriteAsync(r.Attempts, NpgsqlDbType.Integer).ConfigureAwait(false);
            await copy.WriteAsync(r.LatencyMs, NpgsqlDbType.Double).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.TtfbMs, NpgsqlDbType.Double).ConfigureAwait(false);
            await copy.WriteAsync(r.InputTokens, NpgsqlDbType.Integer).ConfigureAwait(false);
            await copy.WriteAsync(r.OutputTokens, NpgsqlDbType.Integer).ConfigureAwait(false);
            await copy.WriteAsync(r.Trail, NpgsqlDbType.Text).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.Error).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.EndUser).ConfigureAwait(false);
            await copy.WriteAsync(r.CachedTokens, NpgsqlDbType.Integer).ConfigureAwait(false);
            await copy.WriteAsync(r.CacheWriteTokens, NpgsqlDbType.Integer).ConfigureAwait(false);
            await copy.WriteAsync(r.ReasoningTokens, NpgsqlDbType.Integer).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.CostNanos, NpgsqlDbType.Bigint).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.PriceVersion).ConfigureAwait(false);
            await WriteNullableAsync(copy, r.Body).ConfigureAwait(false);
        }
        await copy.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Deletes rows past <c>storage.log_retention_days</c>, at most once an hour, between batches.</summary>
    public async Task<int> PruneIfDueAsync()
    {
        var now = _time.GetUtcNow();
        if (now - _prunedAt < PruneEvery)
        {
            return 0;
        }
        _prunedAt = now;
        try
        {
            await using var connection = await _store.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            await using var delete = connection.CreateCommand();
            // The minute rollups go with the rows; the day rollups stay (small, and what long usage queries read).
            delete.CommandText = "DELETE FROM request_log WHERE ts < @before; DELETE FROM usage_minute WHERE bucket < @before";
            delete.AddParameter("@before", (now - TimeSpan.FromDays(_store.Options.LogRetentionDays)).ToUnixTimeMilliseconds());
            return await delete.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            LogStoreFailed(_logger, _store.Options.Describe(), 0, $"pruning old rows: {ex.Message}");
            return 0;
        }
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter copy, string? value) =>
        value is null ? copy.WriteNullAsync() : copy.WriteAsync(value, NpgsqlDbType.Text);

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type) where T : struct =>
        value is { } v ? copy.WriteAsync(v, type) : copy.WriteNullAsync();

    private void Spill(List<RequestLogRow> rows)
    {
        lock (_spillGate)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_spillPath))!);
                using var file = new StreamWriter(_spillPath, append: true);
                foreach (var row in rows)
                {
                    file.WriteLine(JsonSerializer.Serialize(row, StoreJson.Default.RequestLogRow));
                }
                Interlocked.Add(ref _spilled, rows.Count);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogSpillFailed(_logger, _spillPath, rows.Count, ex.Message); // neither store nor disk: said loudly, once per batch
            }
        }
    }

    /// <summary>
    /// Loads the spill file into the store (in batches, in order); false when the store refused. The file is never
    /// emptied before its rows are in: loaded rows are cut from its head afterwards (a new file renamed over it), so a
    /// process killed meanwhile loses nothing — at worst the batch in flight is loaded again at the next start.
    /// </summary>
    private async Task<bool> ReplaySpillAsync()
    {
        string[] lines;
        lock (_spillGate)
        {
            if (!File.Exists(_spillPath))
            {
                return true;
            }
            lines = File.ReadAllLines(_spillPath);
        }
        var rows = lines.Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize(l, StoreJson.Default.RequestLogRow)!).ToList();
        var loaded = 0;
        try
        {
            for (var i = 0; i < rows.Count; i += BatchRows)
            {
                var chunk = rows.GetRange(i, Math.Min(BatchRows, rows.Count - i));
                if (!await TryInsertAsync(chunk).ConfigureAwait(false))
                {
                    return false;
                }
                loaded += chunk.Count;
                Interlocked.Add(ref _replayed, chunk.Count);
            }
        }
        finally
        {
            ForgetSpilled(loaded);
        }
        if (rows.Count > 0)
        {
            LogReplayed(_logger, rows.Count, _spillPath);
        }
        return true;
    }

    /// <summary>Cuts the first <paramref name="rows"/> rows (now in the store) from the spill file; rows spilled since stay.</summary>
    private void ForgetSpilled(int rows)
    {
        lock (_spillGate)
        {
            if (!File.Exists(_spillPath))
            {
                return;
            }
            var rest = File.ReadLines(_spillPath).Where(l => l.Length > 0).Skip(rows).ToList();
            if (rest.Count == 0)
            {
                File.Delete(_spillPath);
                return;
            }
            if (rows == 0)
            {
                return;
            }
            var next = _spillPath + ".next";
            File.WriteAllLines(next, rest);
            File.Move(next, _spillPath, overwrite: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store {Store} refused {Rows} request-log rows ({Reason}): they go to the spill file until it is back")]
    private static partial void LogStoreFailed(ILogger logger, string store, int rows, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Rows} request-log rows could not be spilled to {Path}: {Reason}")]
    private static partial void LogSpillFailed(ILogger logger, string path, int rows, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Rows} spilled request-log rows loaded into the store from {Path}")]
    private static partial void LogReplayed(ILogger logger, int rows, string path);
}

[JsonSerializable(typeof(RequestLogRow))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class StoreJson : JsonSerializerContext;
