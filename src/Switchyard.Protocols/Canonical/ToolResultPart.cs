namespace Switchyard.Protocols.Canonical;

public sealed class ToolResultPart : ContentPart
{
    public required string CallId { get; set; }
    public List<ContentPart> Content { get; } = [];
    public bool IsError { get; set; }
}
