namespace Switchyard.Tests.Infrastructure;

/// <summary>One span as an OTLP collector receives it: ids, name, kind and attributes.</summary>
internal sealed record OtlpSpan(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, Dictionary<string, object> Attributes);

/// <summary>
/// Reads spans out of an OTLP/HTTP protobuf <c>ExportTraceServiceRequest</c> body, written to the field numbers of
/// opentelemetry-proto (trace/v1/trace.proto, common/v1/common.proto): resource_spans(1) → scope_spans(2) →
/// spans(2) → {trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, attributes 9 → KeyValue{key 1, value 2}}.
/// </summary>
internal static class OtlpSpans
{
    public static List<OtlpSpan> Read(byte[] body)
    {
        var spans = new List<OtlpSpan>();
        foreach (var resourceSpans in Fields(body, 1))
        {
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    spans.Add(ReadSpan(span));
                }
            }
        }
        return spans;
    }

    private static OtlpSpan ReadSpan(ReadOnlyMemory<byte> span)
    {
        string trace = "", id = "", parent = "", name = "";
        var kind = 0;
        var attributes = new Dictionary<string, object>();
        foreach (var (field, wire, value, bytes) in All(span))
        {
            switch (field)
            {
                case 1: trace = Convert.ToHexString(bytes.Span); break;
                case 2: id = Convert.ToHexString(bytes.Span); break;
                case 4: parent = Convert.ToHexString(bytes.Span); break;
                case 5: name = System.Text.Encoding.UTF8.GetString(bytes.Span); break;
                case 6 when wire == 0: kind = (int)value; break;
                case 9:
                    var key = System.Text.Encoding.UTF8.GetString(Fields(bytes, 1).First().Span);
                    attributes[key] = ReadAnyValue(Fields(bytes, 2).First());
                    break;
            }
        }
        return new OtlpSpan(trace, id, parent, name, kind, attributes);
    }

    private static object ReadAnyValue(ReadOnlyMemory<byte> any)
    {
        foreach (var (field, _, value, bytes) in All(any))
        {
            switch (field)
            {
                case 1: return System.Text.Encoding.UTF8.GetString(bytes.Span);
                case 2: return value != 0;
                case 3: return (long)value;
                case 4: return BitConverter.Int64BitsToDouble((long)value);
                case 5: return Fields(bytes, 1).Select(ReadAnyValue).ToList(); // ArrayValue.values
            }
        }
        return "";
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Fields(ReadOnlyMemory<byte> message, int number) =>
        All(message).Where(f => f.Field == number && f.Wire == 2).Select(f => f.Bytes);

    /// <summary>Every field of a message: number, wire type, varint/fixed value, length-delimited bytes.</summary>
    private static IEnumerable<(int Field, int Wire, ulong Value, ReadOnlyMemory<byte> Bytes)> All(ReadOnlyMemory<byte> message)
    {
        var pos = 0;
        while (pos < message.Length)
        {
            var tag = Varint(message.Span, ref pos);
            var wire = (int)(tag & 7);
            var field = (int)(tag >> 3);
            switch (wire)
            {
                case 0:
                    yield return (field, wire, Varint(message.Span, ref pos), default);
                    break;
                case 1:
                    yield return (field, wire, BitConverter.ToUInt64(message.Span.Slice(pos, 8)), default);
                    pos += 8;
                    break;
                case 2:
                    var length = (int)Varint(message.Span, ref pos);
                    yield return (field, wire, 0, message.Slice(pos, length));
                    pos += length;
                    break;
                case 5:
                    yield return (field, wire, BitConverter.ToUInt32(message.Span.Slice(pos, 4)), default);
                    pos += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {wire} at {pos}");
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> span, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = span[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
    }
}
