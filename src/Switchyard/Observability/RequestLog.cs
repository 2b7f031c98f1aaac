using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Observability;

/// <summary>What one request did, captured on the hot path without formatting anything.</summary>
internal readonly record struct RequestLogEntry(
    DateTimeOffset Timestamp, string RequestId, WireProtocol Protocol, string Model, int Status, int Attempts,
    List<string> Trail, double LatencyMs, int InputTokens, int OutputTokens);

/// <summary>Where request log lines go: the JSON-lines file, or nowhere.</summary>
internal sealed record RequestLogOptions(string? Path)
{
    public const string DefaultPath = "logs/switchyard.jsonl";
}

/// <summary>
/// One JSON line per request, written by a background task: the request only enqueues a struct into a bounded
/// channel and never waits (a full channel drops the line and counts it). Lines are batched into a buffered file
/// stream and flushed when the queue runs dry.
/// </summary>
internal sealed partial class RequestLog : IAsyncDisposable
{
    private readonly Channel<RequestLogEntry>? _channel;
    private readonly Task? _writer;
    private readonly ILogger<RequestLog> _logger;
    private long _dropped;

    public RequestLog(RequestLogOptions options, ILogger<RequestLog> logger)
    {
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

    public bool Enabled => _channel is not null;

    public void Write(in RequestLogEntry entry)
    {
        if (_channel is not null && !_channel.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task WriteLoopAsync(string path)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
            await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1, useAsync: false);
            // Lines are formatted into memory and written in one call per batch: one syscall for many requests.
            var batch = new ArrayBufferWriter<byte>(64 * 1024);
            using var json = new Utf8JsonWriter(batch, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            var reader = _channel!.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.WrittenCount < 256 * 1024 && reader.TryRead(out var e))
                {
                    WriteLine(json, e);
                    json.Flush();
                    json.Reset();
                    batch.Write("\n"u8);
                }
                file.Write(batch.WrittenSpan);
                batch.Clear();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWriterFailed(_logger, path, ex.Message);
        }
    }

    private static void WriteLine(Utf8JsonWriter w, in RequestLogEntry e)
    {
        w.WriteStartObject();
        w.WriteString("ts", e.Timestamp);
        w.WriteString("request_id", e.RequestId);
        w.WriteString("protocol", e.Protocol.ToString().ToLowerInvariant());
        w.WriteString("model", e.Model);
        w.WriteNumber("status", e.Status);
        w.WriteNumber("attempts", e.Attempts);
        w.WriteStartArray("trail");
        foreach (var step in e.Trail)
        {
            w.WriteStringValue(step);
        }
        w.WriteEndArray();
        w.WriteNumber("latency_ms", Math.Round(e.LatencyMs, 2));
        w.WriteNumber("input_tokens", e.InputTokens);
        w.WriteNumber("output_tokens", e.OutputTokens);
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
