using System.Buffers;
using System.IO.Pipelines;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Sse;

namespace Switchyard.Dispatch;

/// <summary>
/// Writes a canonical answer — a whole response or a stream of events — in the client's protocol. Streams are
/// flushed whenever the next upstream read (or event) is not ready yet: nothing waits in a buffer while the upstream
/// is silent, and a burst that arrived in one read leaves in one send instead of one per event. The first event is
/// looked at before anything is sent: an error there is still retryable (P22); after it, failures become the
/// client's in-stream error.
/// </summary>
internal static class CanonicalRelay
{
    /// <summary>
    /// The largest upstream event a translated stream holds while it waits for the event's end (an inline image is a
    /// few MB): beyond it the stream is not one a provider sends, and holding more would let one answer take the memory.
    /// </summary>
    internal const int MaxEventBytes = 16 * 1024 * 1024;

    /// <summary>
    /// What one read of an upstream stream takes: events are a few hundred bytes, and a slow stream holds its buffer
    /// while it waits, so a thousand open streams hold a thousand of these (a burst just takes a few more reads).
    /// </summary>
    internal const int RelayBufferBytes = 4 * 1024;

    public static async Task<AttemptResult> WriteResponseAsync(ProxyContext ctx, ChatResponse response)
    {
        if (response.Created == 0)
        {
            response.Created = ctx.Created; // Anthropic answers carry no timestamp; OpenAI clients expect one
        }
        var body = ctx.Client.EncodeResponse(response, ctx.Canonical(), ctx.Http);
        ctx.SetDispatchHeaders(served: true);
        ctx.RelayedUsage = response.Usage;
        var http = ctx.Http.Response;
        http.StatusCode = 200;
        http.ContentType = "application/json";
        http.ContentLength = body.Length;
        try
        {
            await http.Body.WriteAsync(body, ctx.Aborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            return AttemptResult.Gone; // only the client's side can fail here
        }
        return AttemptResult.Served(response.Usage, Protocols.OpenAI.OpenAIResponseCodec.FinishString(response.FinishReason));
    }

    /// <summary>
    /// An upstream SSE body translated in one loop: each read's events are parsed, decoded and encoded for the client
    /// together — no iterator per layer, one write into the response per send.
    /// </summary>
    public static async Task<AttemptResult> RelaySseAsync(ProxyContext ctx, Stream body, IStreamDecoder decoder, ProviderConfig provider)
    {
        var ct = ctx.Aborted;
        var reader = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: RelayBufferBytes, leaveOpen: true));
        var parser = new SseParser();
        var events = new List<StreamEvent>(8);
        ClientStream? client = null;
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await NextReadAsync(reader, client, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
                {
                    if (client is null || ct.IsCancellationRequested)
                    {
                        return UpstreamFailures.Classify(ex, ctx, provider, ExchangePhase.Stream);
                    }
                    client.Write(new StreamErrorEvent(UpstreamFailures.ErrorOf(ex, provider, ExchangePhase.Stream)));
                    return await client.EndAsync(ct).ConfigureAwait(false);
                }
                var buffer = result.Buffer;
                var malformed = !DecodeRead(decoder, parser, ref buffer, result.IsCompleted, events, provider.Name);
                var held = buffer.Length + parser.PendingBytes; // what waits for an event's end
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (events.Count > 0)
                {
                    if (client is null)
                    {
                        if (events[0] is StreamErrorEvent early)
                        {
                            return AttemptResult.FromError(early.Error);
                        }
                        client = ClientStream.Start(ctx);
                    }
                    foreach (var evt in events)
                    {
                        if (client.Write(evt))
                        {
                            return await client.EndAsync(ct).ConfigureAwait(false);
                        }
                    }
                    events.Clear();
                }
                if (malformed)
                {
                    return await client!.EndAsync(ct).ConfigureAwait(false); // its error event was the last written
                }
                if (!result.IsCompleted && held > MaxEventBytes)
                {
                    var oversized = new GatewayError(ErrorKind.BadGateway, $"Provider '{provider.Name}' sent a stream event larger than {MaxEventBytes / (1024 * 1024)} MB; the stream was cut.");
                    if (client is null)
                    {
                        return AttemptResult.FromError(oversized);
                    }
                    client.Write(new StreamErrorEvent(oversized));
                    return await client.EndAsync(ct).ConfigureAwait(false);
                }
                if (result.IsCompleted)
                {
                    break;
                }
            }
            if (client is null)
            {
                return ct.IsCancellationRequested ? AttemptResult.Gone : AttemptResult.FromError(new GatewayError(ErrorKind.BadGateway, $"Provider '{provider.Name}' returned an empty stream."));
            }
            client.Write(new StreamErrorEvent(new GatewayError(ErrorKind.BadGateway, "The upstream stream ended unexpectedly.")));
            return await client.EndAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex) && ct.IsCancellationRequested)
        {
            return AttemptResult.Gone; // the client left while we flushed
        }
        finally
        {
            client?.Dispose();
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The complete events of one read decoded (at the body's end, the last one flushed and the end announced); what
    /// is left in <paramref name="buffer"/> waits for the next read. False when an event was malformed: an error event
    /// stands in its place and ends the stream.
    /// </summary>
    internal static bool DecodeRead(IStreamDecoder decoder, SseParser parser, ref ReadOnlySequence<byte> buffer, bool completed, List<StreamEvent> events, string provider)
    {
        try
        {
            while (!decoder.IsFinished && parser.TryReadEvent(ref buffer, completed, out var sse))
            {
                decoder.OnEvent(sse, events);
            }
            if (completed && !decoder.IsFinished)
            {
                if (parser.TryFlush(out var last))
                {
                    decoder.OnEvent(last, events);
                }
                if (!decoder.IsFinished)
                {
                    decoder.OnEnd(events);
                }
            }
            return true;
        }
        catch (ProtocolException pe)
        {
            events.Add(new StreamErrorEvent(new GatewayError(ErrorKind.BadGateway, $"Provider '{provider}' sent a malformed stream: {pe.Message}")));
            return false;
        }
    }

    /// <summary>The next read of the upstream body; what the client has is sent first when that read has to wait.</summary>
    private static ValueTask<ReadResult> NextReadAsync(PipeReader reader, ClientStream? client, CancellationToken ct) =>
        client is null ? reader.ReadAsync(ct) : client.SendUnlessReady(reader.ReadAsync(ct), ct);

    /// <summary>A stream of canonical events (the in-process mock) relayed to the client.</summary>
    public static async Task<AttemptResult> RelayStreamAsync(ProxyContext ctx, IAsyncEnumerable<StreamEvent> events, ProviderConfig provider)
    {
        var ct = ctx.Aborted;
        await using var e = events.GetAsyncEnumerator(ct);
        try
        {
            if (!await e.MoveNextAsync().ConfigureAwait(false))
            {
                return ct.IsCancellationRequested ? AttemptResult.Gone : AttemptResult.FromError(new GatewayError(ErrorKind.BadGateway, $"Provider '{provider.Name}' returned an empty stream."));
            }
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            return UpstreamFailures.Classify(ex, ctx, provider, ExchangePhase.Stream);
        }
        if (e.Current is StreamErrorEvent early)
        {
            return AttemptResult.FromError(early.Error);
        }

        using var client = ClientStream.Start(ctx);
        try
        {
            do
            {
                if (client.Write(e.Current))
                {
                    return await client.EndAsync(ct).ConfigureAwait(false);
                }
                if (!await client.SendUnlessReady(e.MoveNextAsync(), ct).ConfigureAwait(false))
                {
                    break;
                }
            }
            while (true);
            client.Write(new StreamErrorEvent(new GatewayError(ErrorKind.BadGateway, "The upstream stream ended unexpectedly.")));
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            if (ct.IsCancellationRequested)
            {
                return AttemptResult.Gone;
            }
            client.Write(new StreamErrorEvent(UpstreamFailures.ErrorOf(ex, provider, ExchangePhase.Stream)));
        }
        return await client.EndAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Bytes written and not flushed after which a relay flushes even though the next read is ready: flushing is what
    /// waits for a slow client, so an upstream faster than its reader is held back instead of read into memory.
    /// </summary>
    internal const int FlushThreshold = 64 * 1024;

    /// <summary>
    /// The pending read as it is when it is ready and little is unflushed; else what was written is flushed first
    /// (nothing waits while the upstream is silent, nothing piles up for a slow reader).
    /// </summary>
    internal static ValueTask<T> FlushUnlessReady<T>(ValueTask<T> next, PipeWriter output, ref int unflushed, CancellationToken ct)
    {
        if (next.IsCompleted && unflushed < FlushThreshold)
        {
            return next;
        }
        unflushed = 0;
        return FlushThenReadAsync(output, next, ct);
    }

    /// <summary>
    /// Flushes while the next read is in flight, then waits for that read; if the flush fails (the client left), the
    /// read is still awaited before anything is disposed. Pooled: no allocation per flush.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<T> FlushThenReadAsync<T>(PipeWriter output, ValueTask<T> pendingRead, CancellationToken ct)
    {
        try
        {
            await output.FlushAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await pendingRead.ConfigureAwait(false);
            }
            catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
            {
                // the client is gone; the read's own failure no longer matters
            }
            throw;
        }
        return await pendingRead.ConfigureAwait(false);
    }

    /// <summary>
    /// The client's side of a translated stream: its encoder, the buffer events are encoded into (handed to the response
    /// pipe in one write per send: the pipe takes a lock on every GetMemory/Advance, and an encoder writes several times
    /// an event), and the usage and finish reason seen so far.
    /// </summary>
    private sealed class ClientStream : IDisposable
    {
        private readonly IStreamEncoder _encoder;
        private readonly ArrayBufferWriter<byte> _batch = new(4096);
        private readonly ProxyContext _ctx;
        private Usage? _usage;
        private string? _finish;
        private long _relayedChars;

        private ClientStream(ProxyContext ctx)
        {
            _ctx = ctx;
            _encoder = ctx.Client.CreateStreamEncoder(ctx.Canonical(), ctx.Created, ctx.Http.Request);
            Output = ctx.Http.Response.BodyWriter;
        }

        public PipeWriter Output { get; }

        public static ClientStream Start(ProxyContext ctx)
        {
            ctx.SetDispatchHeaders(served: true);
            ctx.StartStream();
            return new ClientStream(ctx);
        }

        /// <returns>True when the client's stream is complete (its last event, or an in-stream error, was written).</returns>
        public bool Write(StreamEvent evt)
        {
            _usage = evt switch
            {
                MessageDeltaEvent { Usage: { } u } => u,
                MessageStartEvent { Usage: { } u } => _usage ?? u,
                _ => _usage,
            };
            if (evt is MessageDeltaEvent { FinishReason: { } reason })
            {
                _finish = Protocols.OpenAI.OpenAIResponseCodec.FinishString(reason);
            }
            else if (evt is BlockDeltaEvent { Kind: not DeltaKind.Signature } delta)
            {
                _relayedChars += delta.Value.Length;
            }
            else if (evt is StreamErrorEvent)
            {
                _ctx.FailedMidStream = true;
            }
            _encoder.Write(evt, _batch);
            return _encoder.IsComplete;
        }

        /// <summary>Like <see cref="FlushUnlessReady"/>, handing the encoded events to the response first.</summary>
        public ValueTask<T> SendUnlessReady<T>(ValueTask<T> next, CancellationToken ct)
        {
            if (next.IsCompleted && _batch.WrittenCount < FlushThreshold)
            {
                return next;
            }
            MoveToOutput();
            return FlushThenReadAsync(Output, next, ct);
        }

        private void MoveToOutput()
        {
            if (_batch.WrittenCount > 0)
            {
                Output.Write(_batch.WrittenSpan);
                _batch.ResetWrittenCount();
            }
        }

        /// <summary>Sends what is left; the stream was served once it started, unless the client left.</summary>
        public async Task<AttemptResult> EndAsync(CancellationToken ct)
        {
            try
            {
                MoveToOutput();
                await Output.FlushAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
            {
                return AttemptResult.Gone;
            }
            return ct.IsCancellationRequested ? AttemptResult.Gone : AttemptResult.Served(_usage, _finish);
        }

        public void Dispose()
        {
            // For billing a stream the client cut before the usage report: about 4 characters a token.
            _ctx.RelayedUsage = _usage;
            _ctx.RelayedOutputTokens = (int)Math.Min(int.MaxValue, (_relayedChars + 3) / 4);
            _encoder.Dispose();
        }
    }
}
