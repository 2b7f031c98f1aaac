using System.Text.Json;

namespace Switchyard.Protocols.Canonical;

/// <summary>One typed piece of a message: text, media, tool call / result or thinking.</summary>
public abstract class ContentPart
{
    /// <summary>Anthropic <c>cache_control</c>; only Anthropic upstreams receive it (P30).</summary>
    public JsonElement? CacheControl { get; set; }

    /// <summary>Gemini's <c>thoughtSignature</c> on the part that carried it; only Gemini upstreams receive it (P27).</summary>
    public string? ThoughtSignature { get; set; }
}

public sealed class TextPart(string text) : ContentPart
{
    public string Text { get; set; } = text;
    /// <summary>Unmodelled fields of the source block (e.g. Anthropic <c>citations</c>).</summary>
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

/// <summary>An image or document, by URL or inline base64 data.</summary>
public sealed class MediaPart : ContentPart
{
    public bool IsDocument { get; init; }
    public string? Url { get; init; }
    public string? MediaType { get; init; }
    /// <summary>Base64 data without the data-URL prefix.</summary>
    public string? Data { get; init; }
    public string? Detail { get; init; }
    public string? Title { get; init; }
}

public sealed class ToolCallPart : ContentPart
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Arguments as a JSON object text (never empty: P14).</summary>
    public required string ArgumentsJson { get; set; }
}

public sealed class ToolResultPart : ContentPart
{
    public required string CallId { get; set; }
    public List<ContentPart> Content { get; } = [];
    public bool IsError { get; set; }
}

/// <summary>Visible reasoning; <see cref="Signature"/> is carried byte for byte and never invented (P8).</summary>
public sealed class ThinkingPart : ContentPart
{
    public required string Text { get; set; }
    public string? Signature { get; set; }
}

public sealed class RedactedThinkingPart : ContentPart
{
    public required string Data { get; init; }
}

/// <summary>A block the canonical model does not know (e.g. a server-tool result); only its own family receives it.</summary>
public sealed class RawPart : ContentPart
{
    public required WireProtocol Family { get; init; }
    public required JsonElement Raw { get; init; }
}
