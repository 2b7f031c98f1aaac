namespace Switchyard.Protocols.Canonical;

/// <summary>Thrown by decoders for input the gateway must refuse with a 4xx in the client's protocol.</summary>
public sealed class ProtocolException(GatewayError error) : Exception(error.Message)
{
    public GatewayError Error { get; } = error;

    public ProtocolException(string message, string? param = null) : this(GatewayError.Invalid(message, param)) { }
}
