using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;
using Switchyard.Protocols.Sse;

namespace Switchyard.Protocols.Anthropic;

/// <summary>Anthropic Messages SSE → canonical events; block indices are kept, unknown block types skipped.</summary>
public sealed class AnthropicStreamDecoder : IStreamDecoder
{
    private readonly HashSet<int> _skipped = [];
    private Usage? _usage;
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
            var root = doc.RootElement;
            var type = TypeOf(root, sse.EventType) ?? sse.EventType;
            switch (type)
            {
                case "message_start":
                    {
                        var msg = root.GetProperty("message");
                        if (J.Has(msg, "usage"u8, out var u))
                        {
                            _usage = AnthropicResponseCodec.DecodeUsage(u, null);
                        }
                        output.Add(new MessageStartEvent(J.Str(msg, "id", "id") ?? "msg", J.Str(msg, "model", "model") ?? "", _usage));
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
                        var index = root.GetProperty("index"u8).GetInt32();
                        if (!_skipped.Contains(index))
                        {
                            output.Add(new BlockStopEvent(index));
                        }
                        break;
                    }
                case "message_delta":
                    {
                        if (J.Has(root, "usage"u8, out var u))
                        {
                            _usage = AnthropicResponseCodec.DecodeUsage(u, _usage);
                        }
                        J.Has(root, "delta"u8, out var delta);
                        output.Add(new MessageDeltaEvent(
                            AnthropicResponseCodec.MapStop(delta.ValueKind == JsonValueKind.Object ? J.Str(delta, "stop_reason", "stop_reason") : null) ?? FinishReason.EndTurn,
                            delta.ValueKind == JsonValueKind.Object ? J.Str(delta, "stop_sequence", "stop_sequence") : null,
                            _usage));
                        _deltaSent = true;
                        break;
                    }
                case "message_stop":
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
                        var errType = err.ValueKind == JsonValueKind.Object ? J.Str(err, "type", "error.type") : null;
                        var message = err.ValueKind == JsonValueKind.Object ? J.Str(err, "message", "error.message") : null;
                        output.Add(new StreamErrorEvent(new GatewayError(AnthropicErrors.KindOf(errType, 500), message ?? "Upstream stream error.")));
                        IsFinished = true;
                        break;
                    }
            }
        }
    }

    private void OnBlockStart(JsonElement root, List<StreamEvent> output)
    {
        var index = root.GetProperty("index"u8).GetInt32();
        var block = root.GetProperty("content_block");
        switch (J.Str(block, "type", "content_block.type"))
        {
            case "text":
                output.Add(new BlockStartEvent(index, BlockKind.Text));
                if (J.Str(block, "text", "text") is { Length: > 0 } text)
                {
                    output.Add(new BlockDeltaEvent(index, DeltaKind.Text, text));
                }
                break;
            case "thinking":
                output.Add(new BlockStartEvent(index, BlockKind.Thinking));
                if (J.Str(block, "thinking", "thinking") is { Length: > 0 } thinking)
                {
                    output.Add(new BlockDeltaEvent(index, DeltaKind.Thinking, thinking));
                }
                if (J.Str(block, "signature", "signature") is { Length: > 0 } signature)
                {
                    output.Add(new BlockDeltaEvent(index, DeltaKind.Signature, signature));
                }
                break;
            case "redacted_thinking":
                output.Add(new BlockStartEvent(index, BlockKind.RedactedThinking) { Data = J.Str(block, "data", "data") ?? "" });
                break;
            case "tool_use":
                output.Add(new BlockStartEvent(index, BlockKind.ToolCall) { ToolCallId = J.Str(block, "id", "id") ?? $"toolu_{index}", ToolName = J.Str(block, "name", "name") ?? "" });
                break;
            default:
                _skipped.Add(index); // server-tool blocks etc. have no canonical stream form yet
                break;
        }
    }

    private void OnBlockDelta(JsonElement root, List<StreamEvent> output)
    {
        var index = root.GetProperty("index"u8).GetInt32();
        if (_skipped.Contains(index) || !J.Has(root, "delta"u8, out var delta))
        {
            return;
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
            output.Add(new StreamErrorEvent(new GatewayError(ErrorKind.Internal, "The upstream closed the stream before message_stop.")));
            IsFinished = true;
        }
    }
}
