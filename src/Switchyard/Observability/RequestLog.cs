using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Observability;

/// <summary>One line of the log: a request (captured on the hot path without formatting anything) or a lifecycle event.</summary>
internal readonly record struct RequestLogEntry(
    DateTimeOffset Timestamp, string RequestId, WireProtocol Protocol, string Model, int Status, int Attempts,
    List<string> Trail, double LatencyMs, int InputTokens, int OutputTokens)
{
    public string? Route { get; init; }
    public string? Provider { get; init; }
    public string? UpstreamModel { get; init; }
    public string? Key { get; init; }
    /// <summary>The caller's tenant and its key as logs may show it (a virtual key's prefix, a static key masked).</summary>
    public string? Tenant { get; init; }
    public string? TenantKey { get; init; }
    /// <summary>Why the request failed (redacted), when it did.</summary>
    public string? Error { get; init; }
    public double? TtfbMs { get; init; }
    /// <summary>The end user (<c>x-switchyard-user</c>, OpenAI <c>user</c>, Anthropic <c>metadata.user_id</c>).</summary>
    public string? User { get; init; }
    /// <summary>Parts of <see cref="InputTokens"/> (cache reads, cache writes) and of <see cref="OutputTokens"/> (reasoning).</summary>
    public int CachedTokens { get; init; }
    public int CacheWriteTokens { get; init; }
    public int ReasoningTokens { get; init; }
    /// <summary>What the request cost in 10⁻⁹ USD, and the prices used; null when its model has no price.</summary>
    public long? CostNanos { get; init; }
    public string? PriceVersion { get; init; }
    /// <summary>The request body for the store, when the tenant has <c>capture_bodies</c> (credentials masked).</summary>
    public string? CapturedBody { get; init; }
    /// <summary>The request body, only when <c>server.log_bodies</c> is on, secrets already masked.</summary>
    public string? Body { get; init; }
    /// <summary>Set for lifecycle events (start, reload, key_disabled, key_cooled, key_recovered…); then only Message matters.</summary>
    public string? Event { get; init; }
    public string? Message { get; init; }

    public static RequestLogEntry Lifecycle(DateTimeOffset at, string name, string message) =>
        new(at, "", default, "", 0, 0, [], 0, 0, 0) { Event = name, Message = message };
}

/// <summary>Another destination of every request's entry (the store's request log); called on the request's thread, so it must not wait.</summary>
internal interface IRequestLogSink
{
    void Write(in RequestLogEntry entry);
}

/// <summary>Where log lines go (null: nowhere), when the file rotates, and whether request bodies are included.</summary>
internal sealed record RequestLogOptions(string? Path)
{
    public const string DefaultPath = "logs/switchyard.jsonl";
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;
    public bool Bodies { get; init; }
}

/// <summary>
/// One JSON line per request and per lifecycle event, written by a background task: the request only enqueues a
/// struct into a bounded channel and never waits (a full channel drops the line and counts it in
/// <see cref="Dropped"/> and in <c>switchyard_log_dropped_total</c>). Lines are batched into one write; the file
/// rotates when it passes <c>MaxBytes</c> or the day changes (the old file keeps its name plus a timestamp).
/// </summary>
internal sealed partial class RequestLog : IAsyncDisposable
{
    // Lines wait a moment so that many share one write: at thousands of requests a second the writer otherwise woke,
    // and wrote, once per request.
    private const int GatherLines = 512;
    private static readonly TimeSpan GatherFor = TimeSpan.FromMilliseconds(20);

    private readonly Channel<RequestLogEntry>? _channel;
    private readonly Task? _writer;
    private readonly RequestLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RequestLog> _logger;
    private long _dropped;

    private readonly IRequestLogSink[] _sinks;

    public RequestLog(RequestLogOptions options, TimeProvider time, ILogger<RequestLog> logger, IEnumerable<IRequestLogSink> sinks)
    {
        _sinks = [.. sinks];
        _options = options;
        _time = time;
        _logger = logger;
        if (string.IsNullOrEmpty(options.Path))
        {
            return;
        }
        _channel = Channel.CreateBounded<RequestLogEntry>(new BoundedChannelOptions(16_384) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
        _writer = Task.Run(() => WriteLoopAsync(options.Path));
    }

    /// <summary>Lines that could not be queued because the writer fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public bool LogsBodies => _channel is not null && _options.Bodies;

    public void Write(in RequestLogEntry entry)
    {
        foreach (var sink in _sinks)
        {
            sink.Write(entry);
        }
        if (_channel is not null && !_channel.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public void Event(string name, string message) => Write(RequestLogEntry.Lifecycle(_time.GetUtcNow(), name, message));

    private async Task WriteLoopAsync(string path)
    {
        FileStream? file = null;
        try
        {
            var full = System.IO.Path.GetFullPath(path);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            file = Open(full);
            var day = _time.GetUtcNow().Date;
            // Lines are formatted into memory and written in one call per batch: one syscall for many requests.
            var batch = new ArrayBufferWriter<byte>(64 * 1024);
            using var json = new Utf8JsonWriter(batch, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            var reader = _channel!.Reader;
            while (await reader.WaitToGatherAsync(GatherLines, GatherFor, TimeProvider.System).ConfigureAwait(false))
            {
                while (batch.WrittenCount < 256 * 1024 && reader.TryRead(out var e))
                {
                    WriteLine(json, e);
                    json.Flush();
                    json.Reset();
                    batch.Write("\n"u8);
                }
                var now = _time.GetUtcNow();
                // Position, not Length: the file only grows by this task's appends, and Length is a syscall.
                if (file.Position > 0 && (file.Position + batch.WrittenCount > _options.MaxBytes || now.Date != day))
                {
                    file = Rotate(file, full, now);
                    day = now.Date;
                }
                file.Write(batch.WrittenSpan);
                batch.Clear();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWriterFailed(_logger, path, ex.Message);
        }
        finally
        {
            file?.Dispose();
        }
    }

    private static FileStream Open(string path) => new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1, useAsync: false);

    private static FileStream Rotate(FileStream file, string path, DateTimeOffset now)
    {
        file.Dispose();
        var stamp = now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var target = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, $"{System.IO.Path.GetFileNameWithoutExtension(path)}-{stamp}{System.IO.Path.GetExtension(path)}");
        for (var n = 1; File.Exists(target); n++)
        {
            target = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, $"{System.IO.Path.GetFileNameWithoutExtension(path)}-{stamp}-{n}{System.IO.Path.GetExtension(path)}");
        }
        File.Move(path, target);
        return Open(path);
    }

    private static void WriteLine(Utf8JsonWriter w, in RequestLogEntry e)
    {
        w.WriteStartObject();
        w.WriteString("ts", e.Timestamp);
        if (e.Event is not null)
        {
            w.WriteString("event", e.Event);
            w.WriteString("message", e.Message);
            w.WriteEndObject();
            return;
        }
        w.WriteString("request_id", e.RequestId);
        w.WriteString("tenant", e.Tenant);
        w.WriteString("tenant_key", e.TenantKey);
        w.WriteString("protocol", WireNames.Of(e.Protocol));
        w.WriteString("model", e.Model);
        w.WriteString("route", e.Route);
        w.WriteString("provider", e.Provider);
        w.WriteString("upstream_model", e.UpstreamModel);
        w.WriteString("key", e.Key);
        if (e.Error is not null)
        {
            w.WriteString("error", e.Error);
        }
        w.WriteNumber("status", e.Status);
        w.WriteNumber("attempts", e.Attempts);
        w.WriteStartArray("trail");
        foreach (var step in e.Trail)
        {
            w.WriteStringValue(step);
        }
        w.WriteEndArray();
        w.WriteNumber("latency_ms", Math.Round(e.LatencyMs, 2));
        if (e.TtfbMs is { } ttfb)
        {
            w.WriteNumber("ttfb_ms", Math.Round(ttfb, 2));
        }
        else
        {
            w.WriteNull("ttfb_ms");
        }
        w.WriteNumber("input_tokens", e.InputTokens);
        w.WriteNumber("output_tokens", e.OutputTokens);
        if (e.CachedTokens + e.CacheWriteTokens + e.ReasoningTokens > 0)
        {
            w.WriteNumber("cached_tokens", e.CachedTokens);
            w.WriteNumber("cache_write_tokens", e.CacheWriteTokens);
            w.WriteNumber("reasoning_tokens", e.ReasoningTokens);
        }
        if (e.CostNanos is { } nanos)
        {
            w.WriteNumber("cost_usd", Tenancy.Pricing.PriceCard.FromNanos(nanos));
            w.WriteString("price_version", e.PriceVersion);
        }
        if (e.User is not null)
        {
            w.WriteString("user", e.User);
        }
        if (e.Body is not null)
        {
            w.WriteString("body", e.Body);
        }
        w.WriteEndObject();
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            _channel.Writer.TryComplete();
            await _writer!.ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The request log {Path} cannot be written: {Reason}")]
    private static partial void LogWriterFailed(ILogger logger, string path, string reason);
}
