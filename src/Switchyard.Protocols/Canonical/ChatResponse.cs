namespace Switchyard.Protocols.Canonical;

public sealed class ChatResponse
{
    public required string Id { get; set; }
    public required string Model { get; set; }
    public List<ContentPart> Content { get; } = [];
    public FinishReason? FinishReason { get; set; }
    public string? StopSequence { get; set; }
    public Usage Usage { get; set; } = new();
    public long Created { get; set; }
}

public enum FinishReason { EndTurn, StopSequence, MaxTokens, ToolUse, ContentFilter, PauseTurn, ContextWindowExceeded }
