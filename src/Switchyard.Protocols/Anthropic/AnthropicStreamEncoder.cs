using System.Buffers;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Anthropic;

/// <summary>Canonical events → Anthropic Messages SSE for a client (MAPPING §12.4).</summary>
public sealed class AnthropicStreamEncoder : IStreamEncoder
{
    private readonly Dictionary<int, int> _clientIndex = [];
    private readonly HashSet<int> _skipped = [];
    private readonly Utf8JsonWriter _writer = new(Stream.Null, J.WriterOptions);
    private int _openIndex = -1;
    private Usage _usage = new();
    private bool _deltaWritten;

    public bool IsComplete { get; private set; }

    public void Dispose() => _writer.Dispose();

    public void Write(StreamEvent evt, IBufferWriter<byte> output)
    {
        if (IsComplete)
        {
            return;
        }
        switch (evt)
        {
            case MessageStartEvent start:
                _usage = start.Usage ?? _usage;
                Event(output, "message_start"u8, w =>
                {
                    w.WriteString("type", "message_start");
                    w.WriteStartObject("message");
                    w.WriteString("id", start.Id);
                    w.WriteString("type", "message");
                    w.WriteString("role", "assistant");
                    w.WriteString("model", start.Model);
                    w.WriteStartArray("content");
                    w.WriteEndArray();
                    w.WriteNull("stop_reason");
                    w.WriteNull("stop_sequence");
                    AnthropicResponseCodec.WriteUsage(w, _usage);
                    w.WriteEndObject();
                });
                break;
            case BlockStartEvent block:
                WriteBlockStart(block, output);
                break;
            case BlockDeltaEvent delta when _clientIndex.TryGetValue(delta.Index, out var ci):
                Event(output, "content_block_delta"u8, w =>
                {
                    w.WriteString("type", "content_block_delta");
                    w.WriteNumber("index", ci);
                    w.WriteStartObject("delta");
                    var (type, field) = delta.Kind switch
                    {
                        DeltaKind.Text => ("text_delta", "text"),
                        DeltaKind.Arguments => ("input_json_delta", "partial_json"),
                        DeltaKind.Thinking => ("thinking_delta", "thinking"),
                        _ => ("signature_delta", "signature"),
                    };
                    w.WriteString("type", type);
                    w.WriteString(field, delta.Value);
                    w.WriteEndObject();
                });
                break;
            case BlockStopEvent stop when _clientIndex.TryGetValue(stop.Index, out var ci):
                CloseBlock(ci, output);
                break;
            case MessageDeltaEvent end:
                CloseOpen(output);
                _usage = end.Usage ?? _usage;
                WriteMessageDelta(output, end.FinishReason, end.StopSequence);
                break;
            case MessageStopEvent:
                CloseOpen(output);
                if (!_deltaWritten)
                {
                    WriteMessageDelta(output, FinishReason.EndTurn, null);
                }
                Event(output, "message_stop"u8, w => w.WriteString("type", "message_stop"));
                IsComplete = true;
                break;
            case StreamErrorEvent error:
                output.Write("event: error\ndata: "u8);
                _writer.Reset(output);
                AnthropicErrors.WriteErrorBody(_writer, error.Error, null);
                _writer.Flush();
                output.Write("\n\n"u8);
                IsComplete = true;
                break;
        }
    }

    private void WriteBlockStart(BlockStartEvent block, IBufferWriter<byte> output)
    {
        if (block.Kind == BlockKind.Thinking && block.NeverSigned)
        {
            _skipped.Add(block.Index); // an unsigned thinking block could not be replayed to Anthropic (MAPPING §11)
            return;
        }
        CloseOpen(output);
        var ci = _clientIndex.Count;
        _clientIndex[block.Index] = ci;
        _openIndex = ci;
        Event(output, "content_block_start"u8, w =>
        {
            w.WriteString("type", "content_block_start");
            w.WriteNumber("index", ci);
            w.WriteStartObject("content_block");
            switch (block.Kind)
            {
                case BlockKind.Text:
                    w.WriteString("type", "text");
                    w.WriteString("text", "");
                    break;
                case BlockKind.Thinking:
                    w.WriteString("type", "thinking");
                    w.WriteString("thinking", "");
                    w.WriteString("signature", "");
                    break;
                case BlockKind.RedactedThinking:
                    w.WriteString("type", "redacted_thinking");
                    w.WriteString("data", block.Data);
                    break;
                case BlockKind.ToolCall:
                    w.WriteString("type", "tool_use");
                    w.WriteString("id", ToolIds.ForAnthropic(block.ToolCallId ?? "toolu"));
                    w.WriteString("name", block.ToolName);
                    w.WriteStartObject("input");
                    w.WriteEndObject();
                    break;
            }
            w.WriteEndObject();
        });
    }

    private void CloseOpen(IBufferWriter<byte> output)
    {
        if (_openIndex >= 0)
        {
            CloseBlock(_openIndex, output);
        }
    }

    private void CloseBlock(int ci, IBufferWriter<byte> output)
    {
        if (ci != _openIndex)
        {
            return;
        }
        _openIndex = -1;
        Event(output, "content_block_stop"u8, w =>
        {
            w.WriteString("type", "content_block_stop");
            w.WriteNumber("index", ci);
        });
    }

    private void WriteMessageDelta(IBufferWriter<byte> output, FinishReason? reason, string? stopSequence)
    {
        _deltaWritten = true;
        Event(output, "message_delta"u8, w =>
        {
            w.WriteString("type", "message_delta");
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", AnthropicResponseCodec.StopString(reason));
            if (stopSequence is null)
            {
                w.WriteNull("stop_sequence");
            }
            else
            {
                w.WriteString("stop_sequence", stopSequence);
            }
            w.WriteEndObject();
            AnthropicResponseCodec.WriteUsage(w, _usage);
        });
    }

    private void Event(IBufferWriter<byte> output, ReadOnlySpan<byte> name, Action<Utf8JsonWriter> body)
    {
        output.Write("event: "u8);
        output.Write(name);
        output.Write("\ndata: "u8);
        _writer.Reset(output);
        _writer.WriteStartObject();
        body(_writer);
        _writer.WriteEndObject();
        _writer.Flush();
        output.Write("\n\n"u8);
    }
}
