using System.Text;

namespace Switchyard.Protocols.Sse;

/// <summary>One server-sent event: its <c>event:</c> name (if any) and its joined <c>data:</c> lines.</summary>
public readonly record struct SseEvent(string? EventType, ReadOnlyMemory<byte> Data)
{
    public bool IsDone => Data.Span.SequenceEqual("[DONE]"u8);

    /// <summary>The data as a JSON document, or null when it is not JSON (keep-alives, vendor noise: skipped, P35).</summary>
    public System.Text.Json.JsonDocument? ParseJson()
    {
        try
        {
            return System.Text.Json.JsonDocument.Parse(Data);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
    public override string ToString() => $"{EventType}: {Encoding.UTF8.GetString(Data.Span)}";
}
