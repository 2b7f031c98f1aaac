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
            var type = J.Str(root, "type", "type") ?? sse.EventType;
            switch (type)
            {
                case "message_start":
                    {
                        var msg = root.GetProperty("message");
                        if (J.Has(msg, "usage", out var u))
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
                        var index = root.GetProperty("index").GetInt32();
                        if (!_skipped.Contains(index))
                        {
                            output.Add(new BlockStopEvent(index));
                        }
                        break;
                    }
                case "message_delta":
                    {
                        if (J.Has(root, "usage", out var u))
                        {
                            _usage = AnthropicResponseCodec.DecodeUsage(u, _usage);
                        }
                        J.Has(root, "delta", out var delta);
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
                        J.Has(root, "error", out var err);
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
        var index = root.GetProperty("index").GetInt32();
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
        var index = root.GetProperty("index").GetInt32();
        if (_skipped.Contains(index) || !J.Has(root, "delta", out var delta))
        {
            return;
        }
        (DeltaKind Kind, string? Field) map = J.Str(delta, "type", "delta.type") switch
        {
            "text_delta" => (DeltaKind.Text, "text"),
            "input_json_delta" => (DeltaKind.Arguments, "partial_json"),
            "thinking_delta" => (DeltaKind.Thinking, "thinking"),
            "signature_delta" => (DeltaKind.Signature, "signature"),
            _ => (DeltaKind.Text, null), // citations_delta and future kinds
        };
        var (kind, field) = map;
        if (field is not null && J.Str(delta, field, field) is { Length: > 0 } value)
        {
            output.Add(new BlockDeltaEvent(index, kind, value));
        }
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
