using System.Buffers;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.OpenAI;

/// <summary>Canonical events → OpenAI <c>chat.completion.chunk</c> SSE for a client (MAPPING §12.2).</summary>
public sealed class OpenAIStreamEncoder(bool includeUsage, long created) : IStreamEncoder
{
    private readonly Dictionary<int, int> _toolIndexOfBlock = [];
    /// <summary>Tool blocks that streamed argument text: the others get <c>"{}"</c> when they close (P14).</summary>
    private readonly HashSet<int> _toolBlocksWithArguments = [];
    private readonly Utf8JsonWriter _writer = new(Stream.Null, J.WriterOptions);
    private string _id = "chatcmpl";
    private string _model = "";
    private Usage? _usage;

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
                _idText = null;
                _modelText = null;
                _usage = start.Usage;
                Chunk(output, w =>
                {
                    w.WriteString("role", "assistant");
                    w.WriteString("content", "");
                });
                break;
            case BlockStartEvent { Kind: BlockKind.ToolCall } tool:
                var k = _toolIndexOfBlock.Count;
                _toolIndexOfBlock[tool.Index] = k;
                Chunk(output, w =>
                {
                    w.WriteStartArray("tool_calls");
                    w.WriteStartObject();
                    w.WriteNumber("index", k);
                    w.WriteString("id", tool.ToolCallId);
                    w.WriteString("type", "function");
                    w.WriteStartObject("function");
                    w.WriteString("name", tool.ToolName);
                    w.WriteString("arguments", "");
                    w.WriteEndObject();
                    OpenAIRequestDecoder.WriteGoogleSignature(w, tool.ThoughtSignature);
                    w.WriteEndObject();
                    w.WriteEndArray();
                });
                break;
            case BlockStartEvent { Kind: BlockKind.RedactedThinking } redacted:
                Chunk(output, w =>
                {
                    w.WriteStartArray("thinking_blocks");
                    w.WriteStartObject();
                    w.WriteString("type", "redacted_thinking");
                    w.WriteString("data", redacted.Data);
                    w.WriteEndObject();
                    w.WriteEndArray();
                });
                break;
            case BlockDeltaEvent delta:
                WriteDelta(delta, output);
                break;
            case BlockStopEvent stop when _toolIndexOfBlock.ContainsKey(stop.Index) && !_toolBlocksWithArguments.Contains(stop.Index):
                // A zero-argument call streams no argument text (Anthropic sends an empty input_json_delta): "" is not JSON.
                WriteArguments(output, stop.Index, "{}");
                _toolBlocksWithArguments.Add(stop.Index);
                break;
            case MessageDeltaEvent end:
                _usage = end.Usage ?? _usage;
                Chunk(output, _ => { }, OpenAIResponseCodec.FinishString(end.FinishReason));
                break;
            case MessageStopEvent:
                if (includeUsage)
                {
                    Json(output, w =>
                    {
                        w.WriteStartObject();
                        WriteHeader(w);
                        w.WriteStartArray("choices");
                        w.WriteEndArray();
                        OpenAIResponseCodec.WriteUsage(w, _usage ?? new Usage());
                        w.WriteEndObject();
                    });
                }
                output.Write("data: [DONE]\n\n"u8);
                IsComplete = true;
                break;
            case StreamErrorEvent error:
                // In-band error, then close without [DONE] (P22).
                Json(output, w =>
                {
                    w.WriteStartObject();
                    OpenAIErrors.WriteErrorObject(w, error.Error);
                    w.WriteEndObject();
                });
                IsComplete = true;
                break;
        }
    }

    private void WriteDelta(BlockDeltaEvent delta, IBufferWriter<byte> output)
    {
        switch (delta.Kind)
        {
            case DeltaKind.Text:
                WriteTextChunk(output, delta.Value);
                break;
            case DeltaKind.Thinking:
                Chunk(output, w => w.WriteString("reasoning_content", delta.Value));
                break;
            case DeltaKind.Signature:
                Chunk(output, w =>
                {
                    w.WriteStartArray("thinking_blocks");
                    w.WriteStartObject();
                    w.WriteString("type", "thinking");
                    w.WriteString("thinking", "");
                    w.WriteString("signature", delta.Value);
                    w.WriteEndObject();
                    w.WriteEndArray();
                });
                break;
            case DeltaKind.Arguments when delta.Value.Length > 0 && _toolIndexOfBlock.ContainsKey(delta.Index):
                WriteArguments(output, delta.Index, delta.Value);
                _toolBlocksWithArguments.Add(delta.Index);
                break;
        }
    }

    private void WriteArguments(IBufferWriter<byte> output, int block, string arguments)
    {
        var k = _toolIndexOfBlock[block];
        Chunk(output, w =>
        {
            w.WriteStartArray("tool_calls");
            w.WriteStartObject();
            w.WriteNumber("index", k);
            w.WriteStartObject("function");
            w.WriteString("arguments", arguments);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        });
    }

    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText ObjectName = JsonEncodedText.Encode("object");
    private static readonly JsonEncodedText ChunkObject = JsonEncodedText.Encode("chat.completion.chunk");
    private static readonly JsonEncodedText CreatedName = JsonEncodedText.Encode("created");
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText ChoicesName = JsonEncodedText.Encode("choices");
    private static readonly JsonEncodedText IndexName = JsonEncodedText.Encode("index");
    private static readonly JsonEncodedText DeltaName = JsonEncodedText.Encode("delta");
    private static readonly JsonEncodedText ContentName = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText LogprobsName = JsonEncodedText.Encode("logprobs");
    private static readonly JsonEncodedText FinishReasonName = JsonEncodedText.Encode("finish_reason");
    private JsonEncodedText? _idText;
    private JsonEncodedText? _modelText;

    private void WriteHeader(Utf8JsonWriter w)
    {
        // The id and model repeat on every chunk: encoded once per stream.
        _idText ??= JsonEncodedText.Encode(_id, J.WriterOptions.Encoder);
        _modelText ??= JsonEncodedText.Encode(_model, J.WriterOptions.Encoder);
        w.WriteString(IdName, _idText.Value);
        w.WriteString(ObjectName, ChunkObject);
        w.WriteNumber(CreatedName, created);
        w.WriteString(ModelName, _modelText.Value);
    }

    /// <summary>The most frequent chunk of a stream, written without a closure and with pre-encoded names.</summary>
    private void WriteTextChunk(IBufferWriter<byte> output, string text)
    {
        output.Write("data: "u8);
        var w = _writer;
        w.Reset(output);
        w.WriteStartObject();
        WriteHeader(w);
        w.WriteStartArray(ChoicesName);
        w.WriteStartObject();
        w.WriteNumber(IndexName, 0);
        w.WriteStartObject(DeltaName);
        w.WriteString(ContentName, text);
        w.WriteEndObject();
        w.WriteNull(LogprobsName);
        w.WriteNull(FinishReasonName);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        output.Write("\n\n"u8);
    }

    private void Chunk(IBufferWriter<byte> output, Action<Utf8JsonWriter> writeDelta, string? finishReason = null) => Json(output, w =>
    {
        w.WriteStartObject();
        WriteHeader(w);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        writeDelta(w);
        w.WriteEndObject();
        w.WriteNull("logprobs");
        if (finishReason is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finishReason);
        }
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private void Json(IBufferWriter<byte> output, Action<Utf8JsonWriter> write)
    {
        output.Write("data: "u8);
        _writer.Reset(output);
        write(_writer);
        _writer.Flush();
        output.Write("\n\n"u8);
    }
}
