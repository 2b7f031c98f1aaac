using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Dispatch;

/// <summary>Where in an exchange a failure happened: the same exception means a different thing in each.</summary>
internal enum ExchangePhase { Headers, Body, Stream }

/// <summary>
/// The one place that turns what went wrong during an upstream exchange into an outcome: the client leaving, a
/// timeout, an unreachable or broken upstream, or a malformed answer (YARP's <c>StreamCopier</c> returns such an
/// outcome value instead of leaving each call site to catch).
/// </summary>
internal static class UpstreamFailures
{
    /// <summary>What an exchange can throw that is the network's or the upstream's doing; anything else is a bug.</summary>
    public static bool IsExpected(Exception ex) =>
        ex is IOException or TimeoutException or HttpRequestException or JsonException or OperationCanceledException or ProtocolException;

    /// <summary>The attempt's outcome: the client went away, or a failure the attempt loop may retry elsewhere.</summary>
    public static AttemptResult Classify(Exception ex, ProxyContext ctx, Config.ProviderConfig provider, ExchangePhase phase) =>
        ctx.Aborted.IsCancellationRequested ? AttemptResult.Gone : AttemptResult.FromError(ErrorOf(ex, provider, phase));

    /// <summary>The error a failure becomes (also the in-stream error once bytes reached the client).</summary>
    public static GatewayError ErrorOf(Exception ex, Config.ProviderConfig provider, ExchangePhase phase) => ex switch
    {
        OperationCanceledException when phase == ExchangePhase.Headers =>
            new GatewayError(ErrorKind.Timeout, $"Provider '{provider.Name}' sent no response within {provider.FirstByteTimeout.TotalSeconds:0.#}s."),
        OperationCanceledException when phase == ExchangePhase.Body =>
            new GatewayError(ErrorKind.Timeout, $"Provider '{provider.Name}': the response body did not arrive within {provider.IdleTimeout.TotalSeconds:0.#}s."),
        OperationCanceledException => new GatewayError(ErrorKind.Timeout, $"Provider '{provider.Name}' timed out."),
        TimeoutException t => new GatewayError(ErrorKind.Timeout, $"Provider '{provider.Name}': {t.Message}"),
        HttpRequestException h when phase == ExchangePhase.Headers =>
            new GatewayError(ErrorKind.Unavailable, $"Provider '{provider.Name}' could not be reached: {(h.InnerException as TimeoutException)?.Message ?? h.Message}"),
        AnswerTooLargeException => new GatewayError(ErrorKind.BadGateway, $"Provider '{provider.Name}': {ex.Message}"),
        Observability.GatewayStoppingException => new GatewayError(ErrorKind.Unavailable, ex.Message),
        JsonException or ProtocolException => new GatewayError(ErrorKind.BadGateway, $"Provider '{provider.Name}' sent a malformed response."),
        _ => new GatewayError(ErrorKind.Unavailable, $"Provider '{provider.Name}' connection failed: {ex.Message}"),
    };
}

/// <summary>An upstream answer longer than the gateway holds in memory to translate or check it.</summary>
internal sealed class AnswerTooLargeException(int limit) : IOException($"the answer is larger than {limit / (1024 * 1024)} MB, more than the gateway reads.");
