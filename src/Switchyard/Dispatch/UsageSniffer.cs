using System.Buffers;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;
using Switchyard.Protocols.Sse;

namespace Switchyard.Dispatch;

/// <summary>
/// Reads usage (and the finish reason) out of bytes the fast path forwards untouched. Complete events are found by
/// their blank lines; only a run of events that mentions <c>"usage"</c> or a finish reason is parsed as SSE and
/// JSON — the other events cost one vectorized search. For whole bodies, only the top-level <c>usage</c> value.
/// With <paramref name="dropUsageChunk"/> (the gateway asked an OpenAI upstream for usage the client did not
/// ask for), the usage-only chunk is read and not forwarded: bytes then go out a complete event at a time, which a
/// client cannot tell apart (an SSE client acts on an event only once its blank line has arrived).
/// </summary>
/// <param name="framed">False for a body that is not SSE (Gemini's JSON-array stream): bytes pass, nothing is framed.</param>
/// <param name="onCompleted">Responses: called with the final response object of <c>response.completed</c> (or the whole body)
/// before those bytes leave, so a store has it before the client can name it.</param>
internal sealed class UsageSniffer(WireProtocol protocol, bool dropUsageChunk = false, bool framed = true, Action<byte[]>? onCompleted = null)
{
    /// <summary>An "event" this long without a blank line is not SSE: it is let through rather than held.</summary>
    private const int MaxPendingBytes = 1024 * 1024;

    private byte[] _pending = [];
    private int _count;

    public Usage? Usage { get; private set; }

    /// <summary>The upstream's own finish reason (<c>stop</c>, <c>end_turn</c>, <c>STOP</c>…), for traces.</summary>
    public string? FinishReason { get; private set; }

    /// <summary>Writes <paramref name="chunk"/> (minus a dropped usage chunk) to <paramref name="output"/> and sniffs it.</summary>
    public void Forward(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        if (!dropUsageChunk)
        {
            output.Write(chunk); // at once: the sniffing below never holds bytes back
        }
        Process(chunk, dropUsageChunk ? output : null);
    }

    /// <summary>
    /// Whether the stream reached its protocol's end: a finish reason was read, or its last bytes hold <c>[DONE]</c>,
    /// <c>message_stop</c>, a closing <c>]</c> (Gemini's JSON array) or an error. False means the upstream stopped short.
    /// </summary>
    public bool SawEnd
    {
        get
        {
            var tail = _tail.AsSpan(0, _tailLength).TrimEnd(" \t\r\n"u8);
            return FinishReason is not null || _failed || tail.EndsWith("[DONE]"u8) || tail.IndexOf("message_stop"u8) >= 0
                || tail.IndexOf("\"error\""u8) >= 0 || (!framed && tail.EndsWith("]"u8));
        }
    }

    /// <summary>The stream's last event is an error the upstream sent in the stream (not a finish).</summary>
    public bool EndedInError => _failed || (FinishReason is null && _tail.AsSpan(0, _tailLength).IndexOf("\"error\""u8) >= 0);

    /// <summary>A Responses stream ended in <c>response.failed</c> or an <c>error</c> event (their errors sit early in long events).</summary>
    private bool _failed;

    /// <summary>
    /// Output tokens relayed, estimated as one per content event (providers stream about a token an event), for
    /// billing a stream the client cut before the upstream's usage report: the events less a start and an end.
    /// </summary>
    public int RelayedOutputTokens => Math.Max(0, _events - 2);

    private int _events;

    /// <summary>The stream's last bytes, enough to hold a final event such as Anthropic's message_stop.</summary>
    private readonly byte[] _tail = new byte[128];
    private int _tailLength;

    private void RememberTail(ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length >= _tail.Length)
        {
            chunk[^_tail.Length..].CopyTo(_tail);
            _tailLength = _tail.Length;
            return;
        }
        var keep = Math.Min(_tailLength, _tail.Length - chunk.Length);
        _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
        chunk.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + chunk.Length;
    }

    /// <summary>Sniffs <paramref name="chunk"/> without forwarding it.</summary>
    public void Feed(ReadOnlySpan<byte> chunk) => Process(chunk, null);

    /// <summary>The upstream ended: whatever was held back (an unterminated last event) goes out as it is.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (dropUsageChunk && _count > 0)
        {
            output.Write(_pending.AsSpan(0, _count));
        }
        _count = 0;
    }

    /// <param name="output">Where complete events go (drop mode); null when the caller forwarded the bytes itself.</param>
    private void Process(ReadOnlySpan<byte> chunk, IBufferWriter<byte>? output)
    {
        RememberTail(chunk);
        if (!framed)
        {
            output?.Write(chunk);
            return;
        }
        ReadOnlySpan<byte> data;
        if (_count > 0)
        {
            Append(chunk); // only an event split across reads is copied
            data = _pending.AsSpan(0, _count);
        }
        else
        {
            data = chunk;
        }
        var complete = CompleteLength(data);
        if (complete > 0)
        {
            _events += data[..complete].Count("\n\n"u8);
            Events(data[..complete], output);
        }
        var tail = data[complete..];
        if (tail.Length > MaxPendingBytes)
        {
            output?.Write(tail); // never hold a stream back: a body without blank lines passes unsniffed
            _count = 0;
            return;
        }
        if (_count > 0)
        {
            tail.CopyTo(_pending); // overlapping move to the front is safe: the tail starts after the destination
            _count = tail.Length;
        }
        else if (!tail.IsEmpty)
        {
            Append(tail);
        }
    }

    /// <summary>Where the last complete event ends: after the last blank line, whatever the line ends (LF, CRLF, CR: P18).</summary>
    private static int CompleteLength(ReadOnlySpan<byte> data)
    {
        var lf = data.LastIndexOf("\n\n"u8);
        var end = lf < 0 ? 0 : lf + 2;
        if (data.IndexOf((byte)'\r') < 0)
        {
            return end; // the usual case: LF line ends only
        }
        foreach (var blank in CrBlankLines)
        {
            var at = data.LastIndexOf(blank);
            if (at >= 0 && at + blank.Length > end)
            {
                end = at + blank.Length;
            }
        }
        return end;
    }

    private static readonly byte[][] CrBlankLines = ["\r\n\r\n"u8.ToArray(), "\n\r\n"u8.ToArray(), "\r\n\n"u8.ToArray(), "\r\r"u8.ToArray()];

    /// <summary>A run of complete events: forwarded (drop mode) and sniffed, parsed only when a marker is in it.</summary>
    private void Events(ReadOnlySpan<byte> run, IBufferWriter<byte>? output)
    {
        if (!HasMarker(run))
        {
            output?.Write(run);
            return;
        }
        var parser = new SseParser();
        var seq = new ReadOnlySequence<byte>(run.ToArray());
        var eventStart = 0;
        while (parser.TryReadEvent(ref seq, isCompleted: true, out var evt))
        {
            var eventEnd = run.Length - (int)seq.Length;
            if (!Examine(evt.Data.Span))
            {
                output?.Write(run[eventStart..eventEnd]);
            }
            eventStart = eventEnd;
        }
        output?.Write(run[eventStart..]); // comments or blank lines after the last event
    }

    /// <summary>
    /// A usage object or a finish reason that is not null (OpenAI chunks carry <c>"usage":null</c> and
    /// <c>"finish_reason":null</c> throughout): two searches, then a look at what follows each hit.
    /// </summary>
    private bool HasMarker(ReadOnlySpan<byte> data) => HasUsage(data) || HasFinishReason(data) || (protocol == WireProtocol.Responses && HasFailure(data));

    /// <summary>A Responses failure: <c>response.failed</c>, or an <c>error</c> event.</summary>
    private static bool HasFailure(ReadOnlySpan<byte> data) => data.IndexOf("response.failed\""u8) >= 0 || data.IndexOf("\"type\":\"error\""u8) >= 0;

    /// <summary>A <c>usage</c> object, or Gemini's <c>usageMetadata</c>: one search for both.</summary>
    private static bool HasUsage(ReadOnlySpan<byte> data) =>
        Followed(data, "usage"u8, static rest => rest.StartsWith("\":{"u8) || rest.StartsWith("\": {"u8) || rest.StartsWith("Metadata\""u8));

    /// <summary>finish_reason, stop_reason, finishReason with a string value.</summary>
    private static bool HasFinishReason(ReadOnlySpan<byte> data) =>
        Followed(data, "eason\""u8, static rest => rest.StartsWith(":\""u8) || rest.StartsWith(": \""u8));

    private static bool Followed(ReadOnlySpan<byte> data, ReadOnlySpan<byte> word, Func<ReadOnlySpan<byte>, bool> after)
    {
        while (data.IndexOf(word) is var at and >= 0)
        {
            var rest = data[(at + word.Length)..];
            if (after(rest))
            {
                return true;
            }
            data = rest;
        }
        return false;
    }

    private void Append(ReadOnlySpan<byte> chunk)
    {
        if (_count + chunk.Length > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(Math.Max(4096, _pending.Length * 2), _count + chunk.Length));
        }
        chunk.CopyTo(_pending.AsSpan(_count));
        _count += chunk.Length;
    }

    /// <returns>False when the body is not one JSON value: an answer the byte path must not pass on as a success.</returns>
    public bool ReadWholeBody(ReadOnlySpan<byte> body) =>
        protocol == WireProtocol.Responses ? ExamineResponses(body, wholeBody: true) : ReadValue(body, withUsage: true);

    private Usage? DecodeUsage(JsonElement usage) => protocol switch
    {
        WireProtocol.Anthropic => Protocols.Anthropic.AnthropicResponseCodec.DecodeUsage(usage, Usage),
        WireProtocol.Gemini => Protocols.Gemini.GeminiResponseCodec.HasCounts(usage) ? Protocols.Gemini.GeminiResponseCodec.DecodeUsage(usage) : Usage,
        _ => Protocols.OpenAI.OpenAIResponseCodec.DecodeUsage(usage),
    };

    /// <summary>Reads what one event of a marked run carries; true when it is OpenAI's usage-only chunk.</summary>
    private bool Examine(ReadOnlySpan<byte> data)
    {
        if (protocol == WireProtocol.Responses)
        {
            ExamineResponses(data, wholeBody: false);
            return false;
        }
        var usageOnly = HasUsage(data) && ReadUsageFromEvent(data);
        if (HasFinishReason(data))
        {
            ReadValue(data, withUsage: false);
        }
        return usageOnly;
    }

    /// <summary>
    /// One parse of one JSON value (a marked event, or a whole body with <paramref name="withUsage"/>): its finish
    /// reason — OpenAI <c>choices[0].finish_reason</c>, Anthropic <c>stop_reason</c> (top level or in <c>delta</c>),
    /// Gemini <c>candidates[0].finishReason</c> — and its top-level usage.
    /// </summary>
    /// <returns>Whether <paramref name="json"/> is one JSON value.</returns>
    private bool ReadValue(ReadOnlySpan<byte> json, bool withUsage)
    {
        json = Utf8Text.Repair(json); // only marked events and whole bodies get here: broken text would break a string accessor
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                return false; // more after the value
            }
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return true;
            }
            if (withUsage && (root.TryGetProperty("usage"u8, out var usage) || root.TryGetProperty("usageMetadata"u8, out usage)) && usage.ValueKind == JsonValueKind.Object)
            {
                try
                {
                    Usage = DecodeUsage(usage);
                }
                catch (ProtocolException)
                {
                    // usage is best effort: a count we cannot read does not fail a forwarded answer
                }
            }
            FinishReason = ReasonOf(root) ?? FinishReason;
            return true;
        }
        catch (JsonException)
        {
            return false; // not one JSON value (its strings are read leniently: nothing else can throw)
        }
    }

    private string? ReasonOf(JsonElement root)
    {
        return protocol switch
        {
            WireProtocol.Anthropic => StringAt(root, "stop_reason") ?? (root.TryGetProperty("delta", out var d) ? StringAt(d, "stop_reason") : null),
            WireProtocol.Gemini => First(root, "candidates") is { } c ? StringAt(c, "finishReason") : null,
            _ => First(root, "choices") is { } c ? StringAt(c, "finish_reason") : null,
        };

        static string? StringAt(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        static JsonElement? First(JsonElement e, string name) =>
            e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0 ? a[0] : null;
    }

    /// <summary>
    /// A Responses event (or whole body): the final <c>response</c> of <c>response.completed</c> / <c>.incomplete</c>
    /// gives the usage, the status as the finish reason, and the object to keep; <c>response.failed</c> and
    /// <c>error</c> mark the stream failed.
    /// </summary>
    /// <returns>Whether <paramref name="json"/> is one JSON value.</returns>
    private bool ExamineResponses(ReadOnlySpan<byte> json, bool wholeBody)
    {
        json = Utf8Text.Repair(json);
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                return false;
            }
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return true;
            }
            var type = Text(root, "type"u8);
            if (type is "response.failed" or "error")
            {
                _failed = true;
                return true;
            }
            var response = wholeBody ? root : type is "response.completed" or "response.incomplete" && root.TryGetProperty("response"u8, out var r) ? r : default;
            if (response.ValueKind != JsonValueKind.Object)
            {
                return true;
            }
            if (response.TryGetProperty("usage"u8, out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                Usage = Protocols.Responses.ResponsesResponseCodec.DecodeUsage(usage);
            }
            FinishReason = Text(response, "status"u8) ?? FinishReason;
            if (onCompleted is not null && FinishReason is "completed" or "incomplete")
            {
                onCompleted(System.Text.Encoding.UTF8.GetBytes(response.GetRawText()));
            }
            return true;
        }
        catch (Exception ex) when (ex is JsonException or ProtocolException)
        {
            return false; // best effort, as for the other protocols
        }

        static string? Text(JsonElement e, ReadOnlySpan<byte> name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    /// <returns>True for OpenAI's usage chunk: no choices, a usage object (Azure's first chunk also has no choices, but no usage).</returns>
    private bool ReadUsageFromEvent(ReadOnlySpan<byte> json)
    {
        json = Utf8Text.Repair(json); // only marked events get here (a few per stream): broken text would break a string accessor
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            var depth = reader.CurrentDepth;
            bool emptyChoices = false, hasUsage = false;
            while (reader.Read() && reader.CurrentDepth > depth)
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }
                var isUsage = reader.ValueTextEquals("usage"u8) || reader.ValueTextEquals("usageMetadata"u8);
                var isMessage = reader.ValueTextEquals("message"u8);
                var isChoices = reader.ValueTextEquals("choices"u8);
                reader.Read();
                if (isChoices && reader.TokenType == JsonTokenType.StartArray)
                {
                    var probe = reader;
                    emptyChoices = probe.Read() && probe.TokenType == JsonTokenType.EndArray;
                    reader.Skip();
                }
                else if (isUsage && reader.TokenType == JsonTokenType.StartObject)
                {
                    hasUsage = true;
                    using var doc = JsonDocument.ParseValue(ref reader);
                    Usage = DecodeUsage(doc.RootElement);
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
            return protocol == WireProtocol.OpenAI && emptyChoices && hasUsage;
        }
        catch (Exception ex) when (ex is JsonException or ProtocolException)
        {
            return false; // usage is best effort on the fast path: never fail a forwarded response over it
        }
    }

}
