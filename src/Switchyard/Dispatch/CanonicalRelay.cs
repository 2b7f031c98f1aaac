using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Providers.Mock;

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
        ClientWriter.SetDispatchHeaders(ctx, served: true);
        var http = ctx.Http.Response;
        http.StatusCode = 200;
        http.ContentType = "application/json";
        http.ContentLength = body.Length;
        try
        {
            await http.Body.WriteAsync(body, ctx.Aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.Aborted.IsCancellationRequested)
        {
            return AttemptResult.Gone;
        }
        return AttemptResult.Served(response.Usage, Protocols.OpenAI.OpenAIResponseCodec.FinishString(response.FinishReason));
    }

    /// <summary>
    /// Relays events as they arrive, flushing each. The first event is looked at before anything is sent:
    /// an error there is still retryable (P22); after it, failures become the client's in-stream error.
    /// </summary>
    public static async Task<AttemptResult> RelayStreamAsync(ProxyContext ctx, IAsyncEnumerable<StreamEvent> events, string provider)
    {
        var ct = ctx.Aborted;
        await using var e = events.GetAsyncEnumerator(ct);
        try
        {
            if (!await e.MoveNextAsync().ConfigureAwait(false))
            {
                return AttemptResult.FromError(new GatewayError(ErrorKind.Internal, $"Provider '{provider}' returned an empty stream."));
            }
        }
        catch (MockDropException)
        {
            ctx.Http.Abort();
            return AttemptResult.Gone;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return AttemptResult.Gone;
        }
        catch (Exception ex) when (IsUpstreamFailure(ex))
        {
            return AttemptResult.FromError(FailureOf(ex, provider));
        }
        if (e.Current is StreamErrorEvent early)
        {
            return AttemptResult.FromError(early.Error);
        }

        ClientWriter.SetDispatchHeaders(ctx, served: true);
        ClientWriter.StartStream(ctx);
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
        catch (MockDropException)
        {
            ctx.Http.Abort();
            return AttemptResult.Gone;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return AttemptResult.Gone;
        }
        catch (Exception ex) when (IsUpstreamFailure(ex))
        {
            encoder.Write(new StreamErrorEvent(FailureOf(ex, provider)), output);
        }
        try
        {
            await output.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return AttemptResult.Gone;
        }
        return AttemptResult.Served(usage, finish);
    }

    public static bool IsUpstreamFailure(Exception ex) =>
        ex is IOException or TimeoutException or HttpRequestException or JsonException or OperationCanceledException or ProtocolException;

    public static GatewayError FailureOf(Exception ex, string provider) => ex switch
    {
        TimeoutException t => new GatewayError(ErrorKind.Timeout, $"Provider '{provider}': {t.Message}"),
        JsonException or ProtocolException => new GatewayError(ErrorKind.Internal, $"Provider '{provider}' sent a malformed response."),
        OperationCanceledException => new GatewayError(ErrorKind.Timeout, $"Provider '{provider}' timed out."),
        _ => new GatewayError(ErrorKind.Unavailable, $"Provider '{provider}' connection failed: {ex.Message}"),
    };
}
