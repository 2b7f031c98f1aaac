using System.Text.Json;

namespace Switchyard.Protocols.Canonical;

public sealed class TextPart(string text) : ContentPart
{
    public string Text { get; set; } = text;
    /// <summary>Unmodelled fields of the source block (e.g. Anthropic <c>citations</c>).</summary>
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}
