namespace Switchyard.Protocols.Canonical;

/// <summary>An error after the stream started: the client protocol's in-band error, then close (P22).</summary>
public sealed class StreamErrorEvent(GatewayError error) : StreamEvent
{
    public GatewayError Error { get; } = error;

    /// <summary>The upstream's stream broke its own protocol (a 502 when nothing reached the client yet).</summary>
    public static StreamErrorEvent Malformed(string detail) =>
        new(new GatewayError(ErrorKind.BadGateway, $"The upstream sent a malformed stream: {detail}"));
}
