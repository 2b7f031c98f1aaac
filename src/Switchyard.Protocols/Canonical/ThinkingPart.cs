namespace Switchyard.Protocols.Canonical;

/// <summary>Visible reasoning; <see cref="Signature"/> is carried byte for byte and never invented (P8).</summary>
public sealed class ThinkingPart : ContentPart
{
    public required string Text { get; set; }
    public string? Signature { get; set; }
}
