namespace Switchyard.Protocols.Canonical;

public enum BlockKind { Text, Thinking, RedactedThinking, ToolCall }

public enum DeltaKind { Text, Thinking, Signature, Arguments }

/// <summary>One event of a canonical response stream. Blocks are opened, filled and closed in order.</summary>
public abstract class StreamEvent;

public sealed class MessageStartEvent(string id, string model, Usage? usage) : StreamEvent
{
    public string Id { get; } = id;
    public string Model { get; } = model;
    /// <summary>Input usage when the upstream reports it up front (Anthropic).</summary>
    public Usage? Usage { get; } = usage;
}

public sealed class BlockStartEvent(int index, BlockKind kind) : StreamEvent
{
    public int Index { get; } = index;
    public BlockKind Kind { get; } = kind;
    public string? ToolCallId { get; init; }
    public string? ToolName { get; init; }
    /// <summary>Gemini <c>thoughtSignature</c> of a tool call, known when the call starts.</summary>
    public string? ThoughtSignature { get; init; }
    /// <summary>Redacted-thinking payload.</summary>
    public string? Data { get; init; }
    /// <summary>Thinking that will never carry a signature (e.g. OpenAI-compatible <c>reasoning_content</c>).</summary>
    public bool NeverSigned { get; init; }
}

public sealed class BlockDeltaEvent(int index, DeltaKind kind, string value) : StreamEvent
{
    public int Index { get; } = index;
    public DeltaKind Kind { get; } = kind;
    public string Value { get; } = value;
}

public sealed class BlockStopEvent(int index) : StreamEvent
{
    public int Index { get; } = index;
}

/// <summary>End of the message: finish reason and the final, complete usage.</summary>
public sealed class MessageDeltaEvent(FinishReason? finishReason, string? stopSequence, Usage? usage) : StreamEvent
{
    public FinishReason? FinishReason { get; } = finishReason;
    public string? StopSequence { get; } = stopSequence;
    public Usage? Usage { get; } = usage;
}

public sealed class MessageStopEvent : StreamEvent
{
    public static readonly MessageStopEvent Instance = new();
}

/// <summary>An error after the stream started: the client protocol's in-band error, then close (P22).</summary>
public sealed class StreamErrorEvent(GatewayError error) : StreamEvent
{
    public GatewayError Error { get; } = error;
}
