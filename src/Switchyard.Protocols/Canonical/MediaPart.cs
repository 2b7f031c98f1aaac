namespace Switchyard.Protocols.Canonical;

/// <summary>An image or document, by URL or inline base64 data.</summary>
public sealed class MediaPart : ContentPart
{
    public bool IsDocument { get; init; }
    public string? Url { get; init; }
    public string? MediaType { get; init; }
    /// <summary>Base64 data without the data-URL prefix.</summary>
    public string? Data { get; init; }
    public string? Detail { get; init; }
    public string? Title { get; init; }
}
