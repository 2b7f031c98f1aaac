using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;
using Switchyard.Protocols.Sse;

namespace Switchyard.Protocols.Anthropic;

/// <summary>
/// Anthropic Messages SSE → canonical events; block indices are kept, unknown block types skipped. An event that
/// breaks the protocol (a field of the wrong type, a block delta before its start, content before
/// <c>message_start</c>) ends the stream with a malformed-stream error; a block left open is closed by the message's end.
/// </summary>
public sealed class AnthropicStreamDecoder : IStreamDecoder
{
    private readonly HashSet<int> _skipped = [];
    private readonly SortedSet<int> _open = [];
    private Usage? _usage;
    private bool _started;
    private bool _deltaSent;

    public bool IsFinished { get; private set; }

    public void OnEvent(SseEvent sse, List<StreamEvent> output)
    {
        if (IsFinished || sse.Data.IsEmpty)
        {
            return;
        }
        if (sse.ParseJson() is not { } doc)
        {
            return; // not JSON (P35): skip
        }
        using (doc)
        {
            try
            {
                OnEvent(doc.RootElement, sse.EventType, output);
            }
            catch (ProtocolException malformed)
            {
                output.Add(StreamErrorEvent.Malformed(malformed.Message));
                IsFinished = true;
            }
        }
    }

    private void OnEvent(JsonElement root, string? eventName, List<StreamEvent> output)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return; // JSON but not an event object: noise, as non-JSON data is (P35)
        }
        var type = TypeOf(root, eventName) ?? eventName;
        if (type is "content_block_start" or "content_block_delta" or "content_block_stop" or "message_delta" or "message_stop" && !_started)
        {
            throw new ProtocolException($"{type} before message_start.");
        }
        if (type is "content_block_start" or "message_delta" && _deltaSent)
        {
            throw new ProtocolException($"{type} after message_delta.");
        }
        switch (type)
        {
            case "message_start":
                {
                    if (_started)
                    {
                        throw new ProtocolException("a second message_start.");
                    }
                    if (!J.Has(root, "message"u8, out var msg) || msg.ValueKind != JsonValueKind.Object)
                    {
                        throw new ProtocolException("message_start without a 'message' object.");
                    }
                    if (J.Has(msg, "usage"u8, out var u))
                    {
                        _usage = AnthropicResponseCodec.DecodeUsage(u, null);
                    }
                    output.Add(new MessageStartEvent(J.Str(msg, "id", "message.id") ?? "msg", J.Str(msg, "model", "message.model") ?? "", _usage));
                    _started = true;
                    break;
                }
            case "content_block_start":
                OnBlockStart(root, output);
                break;
            case "content_block_delta":
                OnBlockDelta(root, output);
                break;
            case "content_block_stop":
                {
                    var index = IndexOf(root, type);
                    if (_open.Remove(index))
                    {
                        output.Add(new BlockStopEvent(index));
                    }
                    break; // a skipped block's stop, or a repeated one: nothing to close
                }
            case "message_delta":
                {
                    if (J.Has(root, "usage"u8, out var u))
                    {
                        _usage = AnthropicResponseCodec.DecodeUsage(u, _usage);
                    }
                    J.Has(root, "delta"u8, out var delta);
                    var stop = delta.ValueKind == JsonValueKind.Object ? J.Str(delta, "stop_reason", "delta.stop_reason") : null;
                    var sequence = delta.ValueKind == JsonValueKind.Object ? J.Str(delta, "stop_sequence", "delta.stop_sequence") : null;
                    CloseOpenBlocks(output);
                    output.Add(new MessageDeltaEvent(AnthropicResponseCodec.MapStop(stop) ?? FinishReason.EndTurn, sequence, _usage));
                    _deltaSent = true;
                    break;
                }
            case "message_stop":
                CloseOpenBlocks(output);
                if (!_deltaSent)
                {
                    output.Add(new MessageDeltaEvent(FinishReason.EndTurn, null, _usage));
                }
                output.Add(MessageStopEvent.Instance);
                IsFinished = true;
                break;
            case "error":
                {
                    J.Has(root, "error"u8, out var err);
                    var errType = err.ValueKind == JsonValueKind.Object ? J.Text(err, "type"u8) : null;
                    var message = err.ValueKind == JsonValueKind.Object ? J.Text(err, "message"u8) : null;
                    output.Add(new StreamErrorEvent(new GatewayError(AnthropicErrors.KindOf(errType, 500), message ?? "Upstream stream error.")));
                    IsFinished = true;
                    break;
                }
        }
    }

    /// <summary>The event's block index: a non-negative integer, or the stream is malformed.</summary>
    private static int IndexOf(JsonElement root, string type) =>
        J.Has(root, "index"u8, out var ix) && ix.ValueKind == JsonValueKind.Number && ix.TryGetInt32(out var index) && index >= 0
            ? index
            : throw new ProtocolException($"{type} without a valid 'index'.");

    private void CloseOpenBlocks(List<StreamEvent> output)
    {
        foreach (var index in _open)
        {
            output.Add(new BlockStopEvent(index));
        }
        _open.Clear();
    }

    private void OnBlockStart(JsonElement root, List<StreamEvent> output)
    {
        var index = IndexOf(root, "content_block_start");
        if (_open.Contains(index) || _skipped.Contains(index))
        {
            throw new ProtocolException($"block {index} started twice.");
        }
        if (!J.Has(root, "content_block"u8, out var block) || block.ValueKind != JsonValueKind.Object)
        {
            throw new ProtocolException("content_block_start without a 'content_block' object.");
        }
        var opened = output.Count;
        switch (J.Str(block, "type", "content_block.type"))
        {
            case "text":
                output.Add(new BlockStartEvent(index, BlockKind.Text));
                if (J.Str(block, "text", "content_block.text") is { Length: > 0 } text)
                {
                    output.Add(new BlockDeltaEvent(index, DeltaKind.Text, text));
                }
                break;
            case "thinking":
                output.Add(new BlockStartEvent(index, BlockKind.Thinking));
                if (J.Str(block, "thinking", "content_block.thinking") is { Length: > 0 } thinking)
                {
                    output.Add(new BlockDeltaEvent(index, DeltaKind.Thinking, thinking));
                }
                if (J.Str(block, "signature", "content_block.signature") is { Length: > 0 } signature)
                {
                    output.Add(new BlockDeltaEvent(index, DeltaKind.Signature, signature));
                }
                break;
            case "redacted_thinking":
                output.Add(new BlockStartEvent(index, BlockKind.RedactedThinking) { Data = J.Str(block, "data", "content_block.data") ?? "" });
                break;
            case "tool_use":
                output.Add(new BlockStartEvent(index, BlockKind.ToolCall) { ToolCallId = J.Str(block, "id", "content_block.id") ?? $"toolu_{index}", ToolName = J.Str(block, "name", "content_block.name") ?? "" });
                break;
            default:
                _skipped.Add(index); // server-tool blocks etc. have no canonical stream form yet
                break;
        }
        if (output.Count > opened)
        {
            _open.Add(index);
        }
    }

    private void OnBlockDelta(JsonElement root, List<StreamEvent> output)
    {
        var index = IndexOf(root, "content_block_delta");
        if (_skipped.Contains(index) || !J.Has(root, "delta"u8, out var delta))
        {
            return;
        }
        if (delta.ValueKind != JsonValueKind.Object)
        {
            throw new ProtocolException("content_block_delta whose 'delta' is not an object.");
        }
        if (!_open.Contains(index))
        {
            throw new ProtocolException($"a delta for block {index}, which is not open.");
        }
        if (!delta.TryGetProperty("type"u8, out var deltaType) || deltaType.ValueKind != JsonValueKind.String)
        {
            return;
        }
        // Compared as UTF-8: no string per event for the type; citations_delta and future kinds carry nothing here.
        var (kind, value) = deltaType.ValueEquals("text_delta"u8) ? (DeltaKind.Text, J.Text(delta, "text"u8))
            : deltaType.ValueEquals("input_json_delta"u8) ? (DeltaKind.Arguments, J.Text(delta, "partial_json"u8))
            : deltaType.ValueEquals("thinking_delta"u8) ? (DeltaKind.Thinking, J.Text(delta, "thinking"u8))
            : deltaType.ValueEquals("signature_delta"u8) ? (DeltaKind.Signature, J.Text(delta, "signature"u8))
            : (DeltaKind.Text, null);
        if (value is { Length: > 0 })
        {
            output.Add(new BlockDeltaEvent(index, kind, value));
        }
    }

    /// <summary>The event's <c>type</c>; the SSE event name (already a string) when they agree, as Anthropic's always do.</summary>
    private static string? TypeOf(JsonElement root, string? eventName)
    {
        if (!root.TryGetProperty("type"u8, out var type) || type.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        return eventName is not null && type.ValueEquals(eventName) ? eventName : type.GetString();
    }

    public void OnEnd(List<StreamEvent> output)
    {
        if (!IsFinished)
        {
            output.Add(new StreamErrorEvent(new GatewayError(ErrorKind.BadGateway, "The upstream closed the stream before message_stop.")));
            IsFinished = true;
        }
    }
}
