using System.Text.Json;

namespace Switchyard.Protocols.Canonical;

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

    /// <summary>A system / developer message: leading ones are the <see cref="System"/> prompt, later ones stay a system message in place.</summary>
    public void AddInstructions(IEnumerable<TextPart> parts)
    {
        if (Messages.Count == 0)
        {
            System.AddRange(parts);
            return;
        }
        var msg = new ChatMessage(ChatRole.System);
        msg.Content.AddRange(parts);
        Messages.Add(msg);
    }
}
