using System.Text.Json;

namespace Switchyard.Protocols.Canonical;

/// <summary>The wire protocol a client or upstream speaks.</summary>
public enum WireProtocol { OpenAI, Anthropic, Gemini }

/// <summary>A chat request in the gateway's own shape: the hub every codec maps to and from.</summary>
public sealed class ChatRequest
{
    public required string Model { get; set; }
    /// <summary>Leading system / developer instructions, one part per source block.</summary>
    public List<TextPart> System { get; } = [];
    public List<ChatMessage> Messages { get; } = [];
    public List<ToolDefinition> Tools { get; } = [];
    public ToolChoice? ToolChoice { get; set; }
    public int? MaxTokens { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? TopK { get; set; }
    public List<string>? StopSequences { get; set; }
    public bool Stream { get; set; }
    /// <summary>OpenAI <c>stream_options.include_usage</c>: the client wants the final usage chunk.</summary>
    public bool StreamIncludeUsage { get; set; }
    public ReasoningOptions? Reasoning { get; set; }
    public ResponseFormat? ResponseFormat { get; set; }
    /// <summary>End-user id (OpenAI <c>user</c>, Anthropic <c>metadata.user_id</c>).</summary>
    public string? UserId { get; set; }
    public int? N { get; set; }
    /// <summary>The protocol that produced this request; <see cref="Extensions"/> belong to it.</summary>
    public WireProtocol SourceProtocol { get; set; }
    /// <summary>Top-level fields the decoder does not model; written back only to the same protocol family.</summary>
    public Dictionary<string, JsonElement> Extensions { get; } = new(StringComparer.Ordinal);
}

public enum ChatRole { System, User, Assistant }

public sealed class ChatMessage
{
    public ChatMessage(ChatRole role) => Role = role;
    public ChatRole Role { get; set; }
    public List<ContentPart> Content { get; } = [];
}

public enum ToolChoiceKind { Auto, None, Required, Specific }

public sealed record ToolChoice(ToolChoiceKind Kind, string? Name = null, bool DisableParallel = false);

public sealed class ToolDefinition
{
    public required string Name { get; init; }
    public string? Description { get; init; }
    /// <summary>JSON Schema of the arguments (may be absent).</summary>
    public JsonElement? Parameters { get; init; }
    public bool? Strict { get; init; }
    public JsonElement? CacheControl { get; init; }
    /// <summary>A provider-hosted tool (e.g. Anthropic <c>web_search_20250305</c>) kept verbatim; only its own family can take it.</summary>
    public JsonElement? HostedRaw { get; init; }
    public WireProtocol? HostedFamily { get; init; }
    /// <summary>Fields of the tool object that the codec does not model (same-family round trip).</summary>
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

public enum ReasoningMode { Disabled, Enabled, Adaptive }

public sealed class ReasoningOptions
{
    public ReasoningMode Mode { get; set; } = ReasoningMode.Enabled;
    /// <summary>none | minimal | low | medium | high | xhigh | max.</summary>
    public string? Effort { get; set; }
    public int? BudgetTokens { get; set; }
    /// <summary>The source's own thinking object, written back verbatim to the same family.</summary>
    public JsonElement? Raw { get; set; }
}

public enum ResponseFormatKind { Text, JsonObject, JsonSchema }

public sealed record ResponseFormat(ResponseFormatKind Kind, string? Name = null, JsonElement? Schema = null, bool? Strict = null);
