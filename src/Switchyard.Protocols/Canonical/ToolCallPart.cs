using System.Text.Json;

namespace Switchyard.Protocols.Canonical;

public sealed class ToolCallPart : ContentPart
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Arguments as a JSON object text (never empty: P14).</summary>
    public required string ArgumentsJson { get; set; }
}
