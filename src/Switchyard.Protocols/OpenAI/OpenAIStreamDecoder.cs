using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Protocols.Json;
using Switchyard.Protocols.Sse;

namespace Switchyard.Protocols.OpenAI;

/// <summary>
/// OpenAI <c>chat.completion.chunk</c> stream → canonical events (MAPPING §12.4): sequential blocks,
/// tool calls aggregated by <c>index</c> (P9), finish held until the usage chunk or <c>[DONE]</c>.
/// </summary>
public sealed class OpenAIStreamDecoder : IStreamDecoder
{
    private readonly Dictionary<int, int> _blockOfToolIndex = [];
    private bool _started;
    private readonly BlockSequencer _blocks = new();
    private FinishReason? _finish;
    private Usage? _usage;

    public bool IsFinished { get; private set; }

    public void OnEvent(SseEvent sse, List<StreamEvent> output)
    {
        if (IsFinished || sse.Data.IsEmpty)
        {
            return;
        }
        if (sse.IsDone)
        {
            Finish(output);
            return;
        }
        if (_started && FastChunk.TryRead(sse.Data.Span, out var chunk))
        {
            Apply(chunk, output);
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
                OnChunk(doc.RootElement, output);
            }
            catch (ProtocolException malformed)
            {
                output.Add(StreamErrorEvent.Malformed(malformed.Message));
                IsFinished = true;
            }
        }
    }

    private void OnChunk(JsonElement root, List<StreamEvent> output)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        if (root.TryGetProperty("error"u8, out var err) && err.ValueKind != JsonValueKind.Null)
        {
            var status = err.ValueKind == JsonValueKind.Object && err.TryGetProperty("code"u8, out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var code) ? code : 500;
            var e = OpenAIErrors.Decode(status, System.Text.Encoding.UTF8.GetBytes(root.GetRawText()), null);
            output.Add(new StreamErrorEvent(e));
            IsFinished = true;
            return;
        }
        if (!_started)
        {
            output.Add(new MessageStartEvent(J.Str(root, "id", "id") ?? "chatcmpl", J.Str(root, "model", "model") ?? "", null));
            _started = true;
        }
        if (J.Has(root, "choices"u8, out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            OnChoice(choices[0], output);
        }
        if (J.Has(root, "usage"u8, out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            _usage = OpenAIResponseCodec.DecodeUsage(usage);
        }
    }

    private void Apply(in FastChunk chunk, List<StreamEvent> output)
    {
        if (!string.IsNullOrEmpty(chunk.Reasoning))
        {
            output.Add(new BlockDeltaEvent(_blocks.Ensure(BlockKind.Thinking, output), DeltaKind.Thinking, chunk.Reasoning));
        }
        if (!string.IsNullOrEmpty(chunk.Content))
        {
            output.Add(new BlockDeltaEvent(_blocks.Ensure(BlockKind.Text, output), DeltaKind.Text, chunk.Content));
        }
        if (chunk.FinishReason is { } finish)
        {
            _blocks.Close(output);
            _finish = OpenAIResponseCodec.MapFinish(finish);
        }
    }

    /// <summary>
    /// The shape nearly every chunk has — <c>choices[0].delta</c> with text or reasoning text, maybe a finish reason,
    /// <c>usage</c> null — read in one forward pass without building a document. Anything else (tool calls, usage,
    /// an error, a second choice, unknown nesting) declines, and the document path reads the event as before.
    /// </summary>
    private struct FastChunk
    {
        public string? Content;
        public string? Reasoning;
        public string? FinishReason;

        public static bool TryRead(ReadOnlySpan<byte> json, out FastChunk chunk)
        {
            chunk = default;
            try
            {
                var reader = new Utf8JsonReader(json);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return false;
                }
                var sawChoice = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("choices"u8))
                    {
                        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray || sawChoice || !ReadChoice(ref reader, ref chunk))
                        {
                            return false;
                        }
                        sawChoice = true;
                    }
                    else if (reader.ValueTextEquals("error"u8) || reader.ValueTextEquals("usage"u8))
                    {
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.Null)
                        {
                            return false; // the document path reads errors and usage
                        }
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
                return sawChoice && reader.TokenType == JsonTokenType.EndObject && !reader.Read();
            }
            catch (JsonException)
            {
                return false;
            }
        }

        /// <summary>Exactly one choice of index 0 whose delta holds only strings and nulls.</summary>
        private static bool ReadChoice(ref Utf8JsonReader reader, ref FastChunk chunk)
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("delta"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !ReadDelta(ref reader, ref chunk))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        chunk.FinishReason = reader.GetString();
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("index"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var index) || index != 0)
                    {
                        return false;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            return reader.TokenType == JsonTokenType.EndObject && reader.Read() && reader.TokenType == JsonTokenType.EndArray;
        }

        private static bool ReadDelta(ref Utf8JsonReader reader, ref FastChunk chunk)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isContent = reader.ValueTextEquals("content"u8);
                var isReasoning = !isContent && (reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8));
                var isKnown = isContent || isReasoning || reader.ValueTextEquals("role"u8) || reader.ValueTextEquals("refusal"u8);
                if (!isKnown || !reader.Read() || reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                {
                    return false; // tool calls, thinking blocks, signatures, anything new: the document path
                }
                if (reader.TokenType == JsonTokenType.String && (isContent || isReasoning))
                {
                    var text = reader.GetString();
                    if (isContent)
                    {
                        chunk.Content = text;
                    }
                    else
                    {
                        chunk.Reasoning ??= text; // reasoning_content wins over reasoning, as in the document path
                    }
                }
            }
            return reader.TokenType == JsonTokenType.EndObject;
        }
    }

    private void OnChoice(JsonElement choice, List<StreamEvent> output)
    {
        if (J.Has(choice, "delta"u8, out var delta) && delta.ValueKind == JsonValueKind.Object)
        {
            var reasoning = J.Text(delta, "reasoning_content"u8) ?? J.Text(delta, "reasoning"u8);
            if (!string.IsNullOrEmpty(reasoning))
            {
                output.Add(new BlockDeltaEvent(_blocks.Ensure(BlockKind.Thinking, output), DeltaKind.Thinking, reasoning));
            }
            if (J.Text(delta, "content"u8) is { Length: > 0 } text)
            {
                output.Add(new BlockDeltaEvent(_blocks.Ensure(BlockKind.Text, output), DeltaKind.Text, text));
            }
            if (J.Has(delta, "tool_calls"u8, out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    OnToolCall(call, output);
                }
            }
        }
        if (J.Has(choice, "finish_reason"u8, out var fr) && fr.ValueKind == JsonValueKind.String)
        {
            _blocks.Close(output);
            _finish = OpenAIResponseCodec.MapFinish(fr.GetString());
        }
    }

    private void OnToolCall(JsonElement call, List<StreamEvent> output)
    {
        var index = 0;
        if (J.Has(call, "index"u8, out var ix) && !(ix.ValueKind == JsonValueKind.Number && ix.TryGetInt32(out index)))
        {
            throw new ProtocolException("'choices[0].delta.tool_calls[].index' must be an integer.");
        }
        J.Has(call, "function"u8, out var fn);
        if (!_blockOfToolIndex.TryGetValue(index, out var block))
        {
            block = _blocks.Start(BlockKind.ToolCall, output);
            _blockOfToolIndex[index] = block;
            output.Add(new BlockStartEvent(block, BlockKind.ToolCall)
            {
                ToolCallId = J.Text(call, "id"u8) ?? $"call_{index}",
                ToolName = fn.ValueKind == JsonValueKind.Object ? J.Text(fn, "name"u8) ?? "" : "",
                ThoughtSignature = OpenAIRequestDecoder.GoogleSignature(call),
            });
        }
        if (fn.ValueKind == JsonValueKind.Object && J.Text(fn, "arguments"u8) is { Length: > 0 } args)
        {
            if (_blocks.Open != block)
            {
                // Blocks are sequential (MAPPING §12.4): arguments for a call whose block another delta closed cannot be placed.
                throw new ProtocolException($"arguments for tool call {index} after another part of the answer began.");
            }
            output.Add(new BlockDeltaEvent(block, DeltaKind.Arguments, args));
        }
    }

    private void Finish(List<StreamEvent> output)
    {
        if (_finish is null)
        {
            output.Add(StreamErrorEvent.Malformed("[DONE] before any choice had a finish_reason."));
            IsFinished = true;
            return;
        }
        if (!_started)
        {
            output.Add(new MessageStartEvent("chatcmpl", "", null));
            _started = true;
        }
        _blocks.Close(output);
        output.Add(new MessageDeltaEvent(_finish ?? FinishReason.EndTurn, null, _usage));
        output.Add(MessageStopEvent.Instance);
        IsFinished = true;
    }

    public void OnEnd(List<StreamEvent> output)
    {
        if (IsFinished)
        {
            return;
        }
        if (_finish is not null)
        {
            Finish(output); // some compatible servers omit [DONE]
            return;
        }
        output.Add(new StreamErrorEvent(new GatewayError(ErrorKind.BadGateway, "The upstream closed the stream before it finished.")));
        IsFinished = true;
    }
}
