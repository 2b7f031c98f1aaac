using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Gemini;

/// <summary>
/// Canonical events → Gemini stream chunks for a client (MAPPING §12.6): SSE (<c>alt=sse</c>, CRLF framing like
/// Google's) or the default streamed JSON array. Tool arguments are buffered until the call is complete, because
/// Gemini clients expect whole <c>functionCall</c> objects; the last chunk carries finishReason and usage.
/// </summary>
public sealed class GeminiStreamEncoder(bool sse) : IStreamEncoder
{
    private readonly Dictionary<int, (string Id, string Name, string? Signature, StringBuilder Args)> _calls = [];
    private readonly Utf8JsonWriter _writer = new(Stream.Null, J.WriterOptions);
    private string _id = "gemini";
    private string _model = "";
    private Usage? _usage;
    private bool _arrayOpen;

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
                _id = start.Id;
                _model = start.Model;
                _usage = start.Usage;
                break;
            case BlockStartEvent { Kind: BlockKind.ToolCall } tool:
                _calls[tool.Index] = (tool.ToolCallId ?? "call", tool.ToolName ?? "", tool.ThoughtSignature, new StringBuilder());
                break;
            case BlockDeltaEvent { Kind: DeltaKind.Arguments } args when _calls.TryGetValue(args.Index, out var call):
                call.Args.Append(args.Value);
                break;
            case BlockDeltaEvent { Kind: DeltaKind.Text or DeltaKind.Thinking } text:
                Chunk(output, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("text", text.Value);
                    if (text.Kind == DeltaKind.Thinking)
                    {
                        w.WriteBoolean("thought", true);
                    }
                    w.WriteEndObject();
                }, null);
                break;
            case BlockStopEvent stop when _calls.Remove(stop.Index, out var done):
                var json = J.NormalizeArguments(done.Args.ToString());
                Chunk(output, w => GeminiResponseCodec.WritePart(w, new ToolCallPart { Id = done.Id, Name = done.Name, ArgumentsJson = json, ThoughtSignature = done.Signature }), null);
                break;
            case MessageDeltaEvent end:
                _usage = end.Usage ?? _usage;
                Chunk(output, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("text", "");
                    w.WriteEndObject();
                }, GeminiResponseCodec.FinishString(end.FinishReason));
                break;
            case MessageStopEvent:
                if (!sse)
                {
                    output.Write(_arrayOpen ? "]"u8 : "[]"u8);
                }
                IsComplete = true;
                break;
            case StreamErrorEvent error:
                Frame(output, w => GeminiErrors.WriteErrorBody(w, error.Error));
                if (!sse)
                {
                    output.Write("]"u8);
                }
                IsComplete = true;
                break;
        }
    }

    private void Chunk(IBufferWriter<byte> output, Action<Utf8JsonWriter> writePart, string? finishReason) => Frame(output, w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("candidates");
        w.WriteStartObject();
        w.WriteStartObject("content");
        w.WriteStartArray("parts");
        writePart(w);
        w.WriteEndArray();
        w.WriteString("role", "model");
        w.WriteEndObject();
        if (finishReason is not null)
        {
            w.WriteString("finishReason", finishReason);
        }
        w.WriteNumber("index", 0);
        w.WriteEndObject();
        w.WriteEndArray();
        if (finishReason is not null && _usage is { } u)
        {
            GeminiResponseCodec.WriteUsage(w, u);
        }
        w.WriteString("modelVersion", _model);
        w.WriteString("responseId", _id);
        w.WriteEndObject();
    });

    private void Frame(IBufferWriter<byte> output, Action<Utf8JsonWriter> write)
    {
        if (sse)
        {
            output.Write("data: "u8);
        }
        else
        {
            output.Write(_arrayOpen ? ",\r\n"u8 : "["u8);
            _arrayOpen = true;
        }
        _writer.Reset(output);
        write(_writer);
        _writer.Flush();
        if (sse)
        {
            output.Write("\r\n\r\n"u8);
        }
    }
}
