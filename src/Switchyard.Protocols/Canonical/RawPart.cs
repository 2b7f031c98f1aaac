using System.Text.Json;

namespace Switchyard.Protocols.Canonical;

/// <summary>A block the canonical model does not know (e.g. a server-tool result); only its own family receives it.</summary>
public sealed class RawPart : ContentPart
{
    public required WireProtocol Family { get; init; }
    public required JsonElement Raw { get; init; }
}
