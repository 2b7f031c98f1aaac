namespace Switchyard.Protocols.Canonical;

/// <summary>An error after the stream started: the client protocol's in-band error, then close (P22).</summary>
public sealed class StreamErrorEvent(GatewayError error) : StreamEvent
{
    public GatewayError Error { get; } = error;
}
