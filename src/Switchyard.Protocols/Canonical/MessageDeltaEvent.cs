namespace Switchyard.Protocols.Canonical;

/// <summary>End of the message: finish reason and the final, complete usage.</summary>
public sealed class MessageDeltaEvent(FinishReason? finishReason, string? stopSequence, Usage? usage) : StreamEvent
{
    public FinishReason? FinishReason { get; } = finishReason;
    public string? StopSequence { get; } = stopSequence;
    public Usage? Usage { get; } = usage;
}
