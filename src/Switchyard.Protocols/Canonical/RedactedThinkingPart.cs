namespace Switchyard.Protocols.Canonical;

public sealed class RedactedThinkingPart : ContentPart
{
    public required string Data { get; init; }
}
