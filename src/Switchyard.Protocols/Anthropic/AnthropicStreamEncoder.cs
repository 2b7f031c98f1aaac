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
                WriteDelta(output, ci, delta);
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

    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText IndexName = JsonEncodedText.Encode("index");
    private static readonly JsonEncodedText DeltaName = JsonEncodedText.Encode("delta");
    private static readonly JsonEncodedText ContentBlockDelta = JsonEncodedText.Encode("content_block_delta");
    private static readonly (JsonEncodedText Type, JsonEncodedText Field)[] DeltaNames =
    [
        (JsonEncodedText.Encode("text_delta"), JsonEncodedText.Encode("text")),
        (JsonEncodedText.Encode("thinking_delta"), JsonEncodedText.Encode("thinking")),
        (JsonEncodedText.Encode("signature_delta"), JsonEncodedText.Encode("signature")),
        (JsonEncodedText.Encode("input_json_delta"), JsonEncodedText.Encode("partial_json")),
    ];

    /// <summary>The most frequent event of a stream, written without a closure and with pre-encoded names.</summary>
    private void WriteDelta(IBufferWriter<byte> output, int index, BlockDeltaEvent delta)
    {
        var (type, field) = DeltaNames[(int)delta.Kind]; // DeltaKind: Text, Thinking, Signature, Arguments
        output.Write("event: content_block_delta\ndata: "u8);
        var w = _writer;
        w.Reset(output);
        w.WriteStartObject();
        w.WriteString(TypeName, ContentBlockDelta);
        w.WriteNumber(IndexName, index);
        w.WriteStartObject(DeltaName);
        w.WriteString(TypeName, type);
        w.WriteString(field, delta.Value);
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        output.Write("\n\n"u8);
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
