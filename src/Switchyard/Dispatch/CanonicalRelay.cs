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
    /// Relays events as they arrive, flushing each. The first event is looked at before anything is sent:
    /// an error there is still retryable (P22); after it, failures become the client's in-stream error.
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
                encoder.Write(e.Current, output);
                await output.FlushAsync(ct).ConfigureAwait(false);
                if (encoder.IsComplete)
                {
                    return AttemptResult.Served(usage, finish);
                }
            }
            while (await e.MoveNextAsync().ConfigureAwait(false));
            encoder.Write(new StreamErrorEvent(new GatewayError(ErrorKind.Internal, "The upstream stream ended unexpectedly.")), output);
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            if (ct.IsCancellationRequested)
            {
                return AttemptResult.Gone;
            }
            encoder.Write(new StreamErrorEvent(UpstreamFailures.ErrorOf(ex, provider, ExchangePhase.Stream)), output);
        }
        try
        {
            await output.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (UpstreamFailures.IsExpected(ex))
        {
            return AttemptResult.Gone;
        }
        return ct.IsCancellationRequested ? AttemptResult.Gone : AttemptResult.Served(usage, finish);
    }
}
