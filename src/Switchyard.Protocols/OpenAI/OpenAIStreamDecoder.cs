using System.Text.Json;
using Switchyard.Protocols.Canonical;
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
        if (sse.ParseJson() is not { } doc)
        {
            return; // not JSON (P35): skip
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            if (root.TryGetProperty("error", out var err) && err.ValueKind != JsonValueKind.Null)
            {
                var status = err.ValueKind == JsonValueKind.Object && err.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 500;
                var e = OpenAIErrors.Decode(status, System.Text.Encoding.UTF8.GetBytes(root.GetRawText()), null);
                output.Add(new StreamErrorEvent(e));
                IsFinished = true;
                return;
            }
            if (!_started)
            {
                _started = true;
                output.Add(new MessageStartEvent(J.Str(root, "id", "id") ?? "chatcmpl", J.Str(root, "model", "model") ?? "", null));
            }
            if (J.Has(root, "choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                OnChoice(choices[0], output);
            }
            if (J.Has(root, "usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                _usage = OpenAIResponseCodec.DecodeUsage(usage);
            }
        }
    }

    private void OnChoice(JsonElement choice, List<StreamEvent> output)
    {
        if (J.Has(choice, "delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
        {
            var reasoning = TextOf(delta, "reasoning_content") ?? TextOf(delta, "reasoning");
            if (!string.IsNullOrEmpty(reasoning))
            {
                output.Add(new BlockDeltaEvent(_blocks.Ensure(BlockKind.Thinking, output), DeltaKind.Thinking, reasoning));
            }
            if (TextOf(delta, "content") is { Length: > 0 } text)
            {
                output.Add(new BlockDeltaEvent(_blocks.Ensure(BlockKind.Text, output), DeltaKind.Text, text));
            }
            if (J.Has(delta, "tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    OnToolCall(call, output);
                }
            }
        }
        if (J.Has(choice, "finish_reason", out var fr) && fr.ValueKind == JsonValueKind.String)
        {
            _blocks.Close(output);
            _finish = OpenAIResponseCodec.MapFinish(fr.GetString());
        }
    }

    private void OnToolCall(JsonElement call, List<StreamEvent> output)
    {
        var index = call.TryGetProperty("index", out var ix) && ix.ValueKind == JsonValueKind.Number ? ix.GetInt32() : 0;
        J.Has(call, "function", out var fn);
        if (!_blockOfToolIndex.TryGetValue(index, out var block))
        {
            block = _blocks.Start(BlockKind.ToolCall, output);
            _blockOfToolIndex[index] = block;
            output.Add(new BlockStartEvent(block, BlockKind.ToolCall)
            {
                ToolCallId = TextOf(call, "id") ?? $"call_{index}",
                ToolName = fn.ValueKind == JsonValueKind.Object ? TextOf(fn, "name") ?? "" : "",
                ThoughtSignature = OpenAIRequestDecoder.GoogleSignature(call),
            });
        }
        if (fn.ValueKind == JsonValueKind.Object && TextOf(fn, "arguments") is { Length: > 0 } args)
        {
            output.Add(new BlockDeltaEvent(block, DeltaKind.Arguments, args));
        }
    }

    private void Finish(List<StreamEvent> output)
    {
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
        output.Add(new StreamErrorEvent(new GatewayError(ErrorKind.Internal, "The upstream closed the stream before it finished.")));
        IsFinished = true;
    }

    private static string? TextOf(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
