using System.Buffers;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Dispatch;

/// <summary>Writes a canonical answer — a whole response or a stream of events — in the client's protocol.</summary>
internal static class CanonicalRelay
{
    public static async Task<AttemptResult> WriteResponseAsync(ProxyContext ctx, ChatResponse response)
    {
        if (response.Created == 0)
        {
            response.Created = ctx.Created; // Anthropic answers carry no timestamp; OpenAI clients expect one
        }
        var body = ctx.Client.EncodeResponse(response);
        ctx.SetDispatchHeaders(served: true);
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
    /// Relays events as they arrive. The first event is looked at before anything is sent: an error there is still
    /// retryable (P22); after it, failures become the client's in-stream error. Output is flushed whenever the next
    /// event is not ready yet — so nothing waits in a buffer while the upstream is silent, and a burst that arrived in
    /// one read leaves in one send instead of one per event.
    /// </summary>
    public static async Task<AttemptResult> RelayStreamAsync(ProxyContext ctx, IAsyncEnumerable<StreamEvent> events, ProviderConfig provider)
    {
        var ct = ctx.Aborted;
        await using var e = events.GetAsyncEnumerator(ct);
        try
        {
            if (!await e.MoveNextAsync().ConfigureAwait(false))
            {
                return ct.IsCancellationRequested ? AttemptResult.Gone : AttemptResult.FromError(new GatewayError(ErrorKind.Internal, $"Provider '{provider.Name}' returned an empty stream."));
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

        ctx.SetDispatchHeaders(served: true);
        ctx.StartStream();
        using var encoder = ctx.Client.CreateStreamEncoder(ctx.Canonical(), ctx.Created, ctx.Http.Request);
        var output = ctx.Http.Response.BodyWriter;
        // Events are encoded into this buffer and handed to the response pipe in one write per send: the pipe takes a
        // lock on every GetMemory/Advance, and an encoder makes several small writes per event.
        var batch = new ArrayBufferWriter<byte>(4096);
        Usage? usage = null;
        string? finish = null;
        try
        {
            do
            {
                usage = e.Current switch
                {
                    MessageDeltaEvent { Usage: { } u } => u,
                    MessageStartEvent { Usage: { } u } => usage ?? u,
                    _ => usage,
                };
                if (e.Current is MessageDeltaEvent { FinishReason: { } reason })
                {
                    finish = Protocols.OpenAI.OpenAIResponseCodec.FinishString(reason);
                }
                encoder.Write(e.Current, batch);
                if (encoder.IsComplete)
                {
                    MoveTo(batch, output);
                    await output.FlushAsync(ct).ConfigureAwait(false);
                    return AttemptResult.Served(usage, finish);
                }
                var next = e.MoveNextAsync();
                if (!next.IsCompleted)
                {
                    MoveTo(batch, output);
                }
                if (!(next.IsCompleted ? await next.ConfigureAwait(false) : await FlushThenReadAsync(output, next, ct).ConfigureAwait(false)))
                {
                    break;
                }
            }
            while (true);
            encoder.Write(new StreamErrorEvent(new GatewayError(ErrorKind.Internal, "The upstream stream ended unexpectedly.")), batch);
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            if (ct.IsCancellationRequested)
            {
                return AttemptResult.Gone;
            }
            encoder.Write(new StreamErrorEvent(UpstreamFailures.ErrorOf(ex, provider, ExchangePhase.Stream)), batch);
        }
        try
        {
            MoveTo(batch, output);
            await output.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            return AttemptResult.Gone;
        }
        return ct.IsCancellationRequested ? AttemptResult.Gone : AttemptResult.Served(usage, finish);
    }

    private static void MoveTo(ArrayBufferWriter<byte> batch, System.IO.Pipelines.PipeWriter output)
    {
        if (batch.WrittenCount > 0)
        {
            output.Write(batch.WrittenSpan);
            batch.ResetWrittenCount();
        }
    }

    /// <summary>
    /// Flushes while the next read is in flight, then waits for that read; if the flush fails (the client left), the
    /// read is still awaited before anything is disposed. Pooled: no allocation per flush.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    internal static async ValueTask<T> FlushThenReadAsync<T>(System.IO.Pipelines.PipeWriter output, ValueTask<T> pendingRead, CancellationToken ct)
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
}
