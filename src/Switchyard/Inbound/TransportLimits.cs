namespace Switchyard.Inbound;

/// <summary>
/// Bounds on how a request arrives (<c>server.limits</c>), enforced by Kestrel and read at start: the headers' total
/// size (431 beyond, from the server itself) and how long they may take, and the rate a body must keep up — a
/// slow-loris body is cut and answered 408 in the client's protocol.
/// </summary>
/// <param name="MinBodyRate">Bytes per second after <paramref name="BodyRateGrace"/>; 0 turns the check off.</param>
internal sealed record TransportLimits(long HeaderBytes, TimeSpan HeaderTimeout, double MinBodyRate, TimeSpan BodyRateGrace)
{
    /// <summary>Kestrel's own defaults, except twice its 32 KB of headers (proxies in front add some).</summary>
    public static readonly TransportLimits Default = new(64 * 1024, TimeSpan.FromSeconds(30), 240, TimeSpan.FromSeconds(5));
}
