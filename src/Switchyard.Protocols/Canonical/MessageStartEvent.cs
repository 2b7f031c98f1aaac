namespace Switchyard.Protocols.Canonical;

public sealed class MessageStartEvent(string id, string model, Usage? usage) : StreamEvent
{
    public string Id { get; } = id;
    public string Model { get; } = model;
    /// <summary>Input usage when the upstream reports it up front (Anthropic).</summary>
    public Usage? Usage { get; } = usage;
}
