using Switchyard.Inbound;
using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;
using Switchyard.Providers;

namespace Switchyard.Dispatch;

/// <summary>One try of one key against one HTTP provider: encode (or forward bytes), send, classify, relay.</summary>
internal sealed class HttpAttempt(UpstreamHttp http, TimeProvider time, Observability.StreamDeadline deadline) : IUpstreamAttempt
{
    private const int MaxErrorBody = 1024 * 1024;
    private const int MaxResponseBody = 64 * 1024 * 1024;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public async Task<AttemptResult> RunAsync(ProxyContext ctx, ProviderConfig provider, UpstreamKey? key, string upstreamModel, RequestPatch? patch)
    {
        var codec = UpstreamCodec.For(provider.Kind);
        // Fast path: same protocol on both sides, nothing to change but the model name and the credentials.
        var passthrough = codec.Wire == ctx.Client.Wire && !ctx.ForceStream && patch is null;
        byte[] payload;
        try
        {
            if (passthrough)
            {
                payload = ctx.Sniff.ForUpstream(ctx.Body, upstreamModel, requestUsage: RequestsUsage(ctx, codec));
            }
            else
            {
                var request = ctx.Patched(patch);
                payload = codec.EncodeRequest(request, OptionsFor(provider, upstreamModel));
                foreach (var omitted in HostedTools.Omitted(request, codec.Wire))
                {
                    ctx.Trail.Add($"{provider.Name}: hosted tool '{omitted}' left out (no equivalent there)");
                }
            }
        }
        catch (ProtocolException pe)
        {
            return new AttemptResult(AttemptStatus.Fail, pe.Error);
        }

        var sse = codec.StreamsAsSse(passthrough, ctx.Http.Request);
        using var message = new HttpRequestMessage(HttpMethod.Post, codec.ChatUrl(provider, upstreamModel, ctx.Stream, sse)) { Content = new ByteArrayContent(payload) };
        message.Content.Headers.ContentType = Json;
        message.Options.Set(UpstreamHttp.ConnectTimeoutKey, provider.ConnectTimeout);
        codec.ApplyAuth(message, provider, key?.Secret ?? "");
        codec.ApplyVendorHeaders(message, provider, ctx.Client.Wire, ctx.Http.Request.Headers);
        if (ctx.Stream)
        {
            message.Headers.Accept.ParseAdd("text/event-stream");
        }

        HttpResponseMessage response;
        var sentAt = time.GetTimestamp();
        // One timer for the whole exchange: first byte, then (for whole bodies) the read of the body.
        using var timeouts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Aborted);
        timeouts.CancelAfter(provider.FirstByteTimeout);
        try
        {
            response = await http.Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeouts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            return UpstreamFailures.Classify(ex, ctx, provider, ExchangePhase.Headers);
        }
        var ttfb = time.GetElapsedTime(sentAt);
        var streaming = ctx.Stream && response.IsSuccessStatusCode;
        timeouts.CancelAfter(streaming ? Timeout.InfiniteTimeSpan : provider.IdleTimeout); // streams time each read instead

        using (response)
        {
            var result = await RelayAsync(ctx, codec, provider, passthrough, response, streaming, timeouts.Token).ConfigureAwait(false);
            return result with { Ttfb = ttfb, KeyExhaustedUntil = RateLimitHeaders.ExhaustedUntil(response, time.GetUtcNow()) };
        }
    }

    private async Task<AttemptResult> RelayAsync(ProxyContext ctx, UpstreamCodec codec, ProviderConfig provider, bool passthrough,
        HttpResponseMessage response, bool streaming, CancellationToken wholeBody)
    {
        var raw = await response.Content.ReadAsStreamAsync(ctx.Aborted).ConfigureAwait(false);
        if (streaming)
        {
            var body = new IdleTimeoutStream(raw, provider.IdleTimeout, ctx.Aborted, deadline.Passed);
            await using (body.ConfigureAwait(false))
            {
                return passthrough
                    ? await RelayBytesAsync(ctx, codec, provider, response, body).ConfigureAwait(false)
                    : await CanonicalRelay.RelaySseAsync(ctx, body, codec.CreateStreamDecoder(), provider).ConfigureAwait(false);
            }
        }
        await using (raw.ConfigureAwait(false))
        {
            if (!response.IsSuccessStatusCode)
            {
                return await ReadErrorAsync(ctx, codec, response, raw, time.GetUtcNow(), wholeBody).ConfigureAwait(false);
            }
            byte[] bytes;
            try
            {
                bytes = await ReadAllAsync(raw, MaxResponseBody, wholeBody, response.Content.Headers.ContentLength).ConfigureAwait(false);
            }
            catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
            {
                return UpstreamFailures.Classify(ex, ctx, provider, ExchangePhase.Body);
            }
            if (passthrough)
            {
                return await WriteBytesAsync(ctx, codec, provider, response, bytes).ConfigureAwait(false);
            }
            ChatResponse decoded;
            try
            {
                decoded = codec.DecodeResponse(bytes);
            }
            catch (Exception ex) when (ex is JsonException or ProtocolException)
            {
                return AttemptResult.FromError(new GatewayError(ErrorKind.BadGateway, $"Provider '{provider.Name}' returned a response that could not be read: {ex.Message}"));
            }
            return await CanonicalRelay.WriteResponseAsync(ctx, decoded).ConfigureAwait(false);
        }
    }

    /// <summary>An OpenAI stream on the byte path is always asked for usage, so that it is accounted (P5).</summary>
    private static bool RequestsUsage(ProxyContext ctx, UpstreamCodec codec) => ctx.Stream && codec.Wire == WireProtocol.OpenAI;

    /// <summary>How requests for this provider are encoded (also used by the connection test).</summary>
    internal static EncodeOptions OptionsFor(ProviderConfig provider, string model) => new(model)
    {
        MaxTokensField = provider.MaxTokensField,
        MaxOutputTokens = provider.MaxOutputTokens,
        DefaultMaxTokens = provider.DefaultMaxTokens,
        SendReasoningEffort = provider.SendReasoningEffort,
    };

    private static async Task<AttemptResult> ReadErrorAsync(ProxyContext ctx, UpstreamCodec codec, HttpResponseMessage response, Stream body, DateTimeOffset now, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await ReadAllAsync(body, MaxErrorBody, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            if (ctx.Aborted.IsCancellationRequested)
            {
                return AttemptResult.Gone;
            }
            bytes = []; // the status alone says what happened
        }
        var status = (int)response.StatusCode;
        var error = codec.DecodeError(status, bytes, RetryAfterOf(response, now));
        return AttemptResult.FromError(error);
    }

    /// <summary><c>retry-after</c> in seconds or as an HTTP date; Anthropic's reset headers are read by the key pools later.</summary>
    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response, DateTimeOffset now)
    {
        var ra = response.Headers.RetryAfter;
        if (ra?.Delta is { } delta)
        {
            return delta;
        }
        if (ra?.Date is { } date)
        {
            var d = date - now;
            return d > TimeSpan.Zero ? d : TimeSpan.Zero;
        }
        return null;
    }

    private static async Task<AttemptResult> WriteBytesAsync(ProxyContext ctx, UpstreamCodec codec, ProviderConfig provider, HttpResponseMessage upstream, byte[] bytes)
    {
        var sniffer = new UsageSniffer(codec.Wire, onCompleted: ctx.Client.OnForwardedAnswer(ctx.Http));
        if (!sniffer.ReadWholeBody(bytes))
        {
            // Forwarded untouched, but not passed on as a success: a 502 the attempt loop may retry elsewhere.
            return AttemptResult.FromError(new GatewayError(ErrorKind.BadGateway, $"Provider '{provider.Name}' returned a response that is not JSON."));
        }
        ctx.SetDispatchHeaders(served: true);
        ctx.RelayedUsage = sniffer.Usage;
        var response = ctx.Http.Response;
        response.StatusCode = (int)upstream.StatusCode;
        response.ContentType = upstream.Content.Headers.ContentType?.ToString() ?? "application/json";
        response.ContentLength = bytes.Length;
        try
        {
            await response.Body.WriteAsync(bytes, ctx.Aborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            return AttemptResult.Gone; // only the client's side can fail here
        }
        return AttemptResult.Served(sniffer.Usage, sniffer.FinishReason);
    }

    private static async Task<AttemptResult> RelayBytesAsync(ProxyContext ctx, UpstreamCodec codec, ProviderConfig provider, HttpResponseMessage upstream, Stream body)
    {
        // The client did not ask for the usage chunk the gateway asked for: it is read here and not forwarded.
        // Gemini's JSON-array stream (no alt=sse) is not SSE: it is forwarded as it comes and not framed.
        var sse = upstream.Content.Headers.ContentType?.MediaType is null or "text/event-stream";
        var sniffer = new UsageSniffer(codec.Wire, dropUsageChunk: sse && RequestsUsage(ctx, codec) && !ctx.Sniff.IncludeUsage, framed: sse, onCompleted: ctx.Client.OnForwardedAnswer(ctx.Http));
        ctx.SetDispatchHeaders(served: true);
        ctx.StartStream();
        if (upstream.Content.Headers.ContentType is { } ct)
        {
            ctx.Http.Response.ContentType = ct.ToString();
        }
        var output = ctx.Http.Response.BodyWriter;
        var buffer = ArrayPool<byte>.Shared.Rent(CanonicalRelay.RelayBufferBytes);
        try
        {
            // Forward copies into the output pipe, so the buffer is free for the next read at once; flush when that read
            // has to wait (a burst the upstream sent together leaves together, nothing waits while it is silent) or when
            // 64 KB wait unflushed (the flush is what holds a fast upstream back for a slow reader).
            var n = await body.ReadAsync(buffer, ctx.Aborted).ConfigureAwait(false);
            var unflushed = 0;
            while (n > 0)
            {
                sniffer.Forward(buffer.AsSpan(0, n), output);
                unflushed += n;
                n = await CanonicalRelay.FlushUnlessReady(body.ReadAsync(buffer, ctx.Aborted), output, ref unflushed, ctx.Aborted).ConfigureAwait(false);
            }
            sniffer.Complete(output);
            if (!sniffer.SawEnd)
            {
                // The upstream closed before its protocol's end: the client is told, as it would be of a broken connection.
                WriteStreamError(ctx, output, new GatewayError(ErrorKind.BadGateway, "The upstream stream ended unexpectedly."));
            }
            ctx.FailedMidStream |= sniffer.EndedInError;
            await output.FlushAsync(ctx.Aborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            if (ctx.Aborted.IsCancellationRequested)
            {
                return AttemptResult.Gone;
            }
            // Mid-stream failure on the byte path: end any partial event, then the client protocol's error event.
            sniffer.Complete(output);
            WriteStreamError(ctx, output, UpstreamFailures.ErrorOf(ex, provider, ExchangePhase.Stream));
            try
            {
                await output.FlushAsync(ctx.Aborted).ConfigureAwait(false);
            }
            catch (Exception flush) when (UpstreamFailures.IsExpected(flush))
            {
                return AttemptResult.Gone;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ctx.RelayedUsage = sniffer.Usage;
            ctx.RelayedOutputTokens = sniffer.RelayedOutputTokens;
        }
        return AttemptResult.Served(sniffer.Usage, sniffer.FinishReason);
    }

    /// <summary>The client protocol's in-stream error after forwarded bytes (a blank line first ends any partial event).</summary>
    private static void WriteStreamError(ProxyContext ctx, System.IO.Pipelines.PipeWriter output, GatewayError error)
    {
        ctx.FailedMidStream = true;
        using var encoder = ctx.Client.CreateStreamEncoder(new ChatRequest { Model = ctx.Sniff.Model }, 0, ctx.Http.Request);
        output.Write("\n\n"u8);
        encoder.Write(new StreamErrorEvent(error), output);
    }

    private static async Task<byte[]> ReadAllAsync(Stream body, int limit, CancellationToken ct, long? length = null)
    {
        if (length is { } n0 && n0 <= limit)
        {
            // The usual case: the upstream said how long its answer is.
            var exact = new byte[n0];
            await body.ReadExactlyAsync(exact, ct).ConfigureAwait(false);
            return exact;
        }
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var n = await body.ReadAsync(memory, ct).ConfigureAwait(false);
            if (n == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }
            buffer.Advance(n);
            if (buffer.WrittenCount > limit)
            {
                throw new AnswerTooLargeException(limit);
            }
        }
    }
}
