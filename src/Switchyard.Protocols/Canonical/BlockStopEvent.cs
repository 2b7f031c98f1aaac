namespace Switchyard.Protocols.Canonical;

public sealed class BlockStopEvent(int index) : StreamEvent
{
    public int Index { get; } = index;
}
