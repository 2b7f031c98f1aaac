namespace Switchyard.Protocols.Canonical;

public sealed class BlockStartEvent(int index, BlockKind kind) : StreamEvent
{
    public int Index { get; } = index;
    public BlockKind Kind { get; } = kind;
    public string? ToolCallId { get; init; }
    public string? ToolName { get; init; }
    /// <summary>Redacted-thinking payload.</summary>
    public string? Data { get; init; }
    /// <summary>Thinking that will never carry a signature (e.g. OpenAI-compatible <c>reasoning_content</c>).</summary>
    public bool NeverSigned { get; init; }
}

public enum BlockKind { Text, Thinking, RedactedThinking, ToolCall }
