using System.Buffers;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Sse;

namespace Switchyard.Dispatch;

/// <summary>
/// Reads usage out of bytes the fast path forwards untouched: frames the SSE events as they pass and parses
/// only the few that mention <c>"usage"</c>; for whole bodies, only the top-level <c>usage</c> value.
/// </summary>
internal sealed class UsageSniffer(WireProtocol protocol)
{
    private SseParser? _parser;
    private byte[] _pending = [];
    private int _count;

    public Usage? Usage { get; private set; }

    public void Feed(ReadOnlySpan<byte> chunk)
    {
        _parser ??= new SseParser();
        if (_count + chunk.Length > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(Math.Max(4096, _pending.Length * 2), _count + chunk.Length));
        }
        chunk.CopyTo(_pending.AsSpan(_count));
        _count += chunk.Length;
        var seq = new ReadOnlySequence<byte>(_pending, 0, _count);
        while (_parser.TryReadEvent(ref seq, isCompleted: false, out var evt))
        {
            if (evt.Data.Span.IndexOf("\"usage"u8) >= 0)
            {
                ReadUsageFromEvent(evt.Data.Span);
            }
        }
        var consumed = _count - (int)seq.Length;
        if (consumed > 0)
        {
            _pending.AsSpan(consumed, _count - consumed).CopyTo(_pending);
            _count -= consumed;
        }
    }

    public void ReadWholeBody(ReadOnlySpan<byte> body) => ReadUsageFromEvent(body);

    private void ReadUsageFromEvent(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }
            var depth = reader.CurrentDepth;
            while (reader.Read() && reader.CurrentDepth > depth)
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }
                var isUsage = reader.ValueTextEquals("usage"u8) || reader.ValueTextEquals("usageMetadata"u8);
                var isMessage = reader.ValueTextEquals("message"u8);
                reader.Read();
                if (isUsage && reader.TokenType == JsonTokenType.StartObject)
                {
                    using var doc = JsonDocument.ParseValue(ref reader);
                    Usage = protocol switch
                    {
                        WireProtocol.Anthropic => Protocols.Anthropic.AnthropicResponseCodec.DecodeUsage(doc.RootElement, Usage),
                        WireProtocol.Gemini => Protocols.Gemini.GeminiResponseCodec.HasCounts(doc.RootElement) ? Protocols.Gemini.GeminiResponseCodec.DecodeUsage(doc.RootElement) : Usage,
                        _ => Protocols.OpenAI.OpenAIResponseCodec.DecodeUsage(doc.RootElement),
                    };
                }
                else if (!(isMessage && reader.TokenType == JsonTokenType.StartObject))
                {
                    reader.Skip(); // message_start nests its usage one level down: step into it, skip the rest
                }
                else
                {
                    depth = reader.CurrentDepth;
                }
            }
        }
        catch (JsonException)
        {
            // usage is best effort on the fast path: never fail a forwarded response over it
        }
    }
}
