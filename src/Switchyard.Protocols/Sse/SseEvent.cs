using System.Text;

namespace Switchyard.Protocols.Sse;

/// <summary>One server-sent event: its <c>event:</c> name (if any) and its joined <c>data:</c> lines.</summary>
public readonly record struct SseEvent(string? EventType, ReadOnlyMemory<byte> Data)
{
    public bool IsDone => Data.Span.SequenceEqual("[DONE]"u8);

    /// <summary>
    /// The data as a JSON document, or null when it is not JSON (keep-alives, vendor noise: skipped, P35). Data that
    /// opens a JSON object or array and breaks off is a malformed event, not noise: a decoder that skipped it would
    /// hand the client an answer with a piece missing and no sign of it.
    /// </summary>
    /// <exception cref="Canonical.ProtocolException">The data is a broken JSON object or array.</exception>
    public System.Text.Json.JsonDocument? ParseJson()
    {
        try
        {
            return System.Text.Json.JsonDocument.Parse(Data);
        }
        catch (System.Text.Json.JsonException ex)
        {
            var start = Data.Span.TrimStart(" \t\r\n"u8);
            if (!start.IsEmpty && start[0] is (byte)'{' or (byte)'[')
            {
                throw new Canonical.ProtocolException(new Canonical.GatewayError(Canonical.ErrorKind.BadGateway, $"a stream event is not valid JSON ({ex.Message})"));
            }
            return null;
        }
    }
    public override string ToString() => $"{EventType}: {Encoding.UTF8.GetString(Data.Span)}";
}
