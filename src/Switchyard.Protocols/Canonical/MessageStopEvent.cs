namespace Switchyard.Protocols.Canonical;

public sealed class MessageStopEvent : StreamEvent
{
    public static readonly MessageStopEvent Instance = new();
}
