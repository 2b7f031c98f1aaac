namespace Switchyard.Protocols.Canonical;

public sealed class BlockDeltaEvent(int index, DeltaKind kind, string value) : StreamEvent
{
    public int Index { get; } = index;
    public DeltaKind Kind { get; } = kind;
    public string Value { get; } = value;
}

public enum DeltaKind { Text, Thinking, Signature, Arguments }
