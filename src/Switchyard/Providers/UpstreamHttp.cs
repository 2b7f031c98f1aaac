using System.Net;
using System.Net.Sockets;

namespace Switchyard.Providers;

/// <summary>
/// The one pooled <see cref="SocketsHttpHandler"/> every upstream call goes through: no redirects, no cookies,
/// no decompression, no trace headers, no client timeout (the dispatch loop owns timeouts); connect timeout per request.
/// </summary>
internal sealed class UpstreamHttp : IDisposable
{
    public static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeoutKey = new("switchyard.connect-timeout");

    public UpstreamHttp()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            EnableMultipleHttp2Connections = true,
            ConnectCallback = ConnectAsync,
            // A response given up on (the client left mid-stream) closes its connection at once: draining it for reuse
            // would keep the provider generating, and billing, for up to two more seconds.
            MaxResponseDrainSize = 0,
            // No trace headers to providers: a caller's traceparent is not theirs to see, and without a propagator
            // HttpClient skips its per-request diagnostics Activity (the attempt spans are RequestSpans' own).
            ActivityHeadersPropagator = null,
        };
        Client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public HttpClient Client { get; }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var timeout = context.InitialRequestMessage.Options.TryGetValue(ConnectTimeoutKey, out var t) ? t : TimeSpan.FromSeconds(10);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cts.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"Connecting to {context.DnsEndPoint.Host}:{context.DnsEndPoint.Port} timed out after {timeout.TotalSeconds:0.#}s.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => Client.Dispose();
}
