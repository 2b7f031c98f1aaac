using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;
using Switchyard.Protocols.Sse;

namespace Switchyard.Protocols.Gemini;

/// <summary>
/// Gemini <c>streamGenerateContent?alt=sse</c> → canonical events (MAPPING §12.3, §12.5). Every chunk is a partial
/// <c>GenerateContentResponse</c>; each functionCall arrives whole and becomes one complete tool block with its own
/// running index (P9); the last complete usage snapshot wins (P7); there is no terminator, so EOF ends the message.
/// </summary>
public sealed class GeminiStreamDecoder : IStreamDecoder
{
    private bool _started;
    private readonly BlockSequencer _blocks = new();
    private int _calls;
    private string _responseId = "gemini";
    private string? _finish;
    private bool _blocked;
    private Usage? _usage;

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
        if (root.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.Object)
        {
            var code = G.Int(err, "code") ?? 500;
            output.Add(new StreamErrorEvent(GeminiErrors.Decode(code, System.Text.Encoding.UTF8.GetBytes(root.GetRawText()), null)));
            IsFinished = true;
            return;
        }
        if (!_started)
        {
            var id = G.Str(root, "responseId", "", "response_id") ?? _responseId;
            var model = G.Str(root, "modelVersion", "", "model_version") ?? "";
            _responseId = id;
            output.Add(new MessageStartEvent(id, model, null));
            _started = true;
        }
        if (G.Get(root, "candidates") is { ValueKind: JsonValueKind.Array } candidates && candidates.GetArrayLength() > 0)
        {
            var candidate = candidates[0];
            if (G.Get(candidate, "content") is { } content)
            {
                foreach (var part in G.Parts(content, "content"))
                {
                    OnPart(part, output);
                }
            }
            _finish = G.Str(candidate, "finishReason", "candidates[0]", "finish_reason") ?? _finish;
        }
        if (G.Get(root, "promptFeedback", "prompt_feedback") is { } pf && G.Get(pf, "blockReason", "block_reason") is not null)
        {
            _blocked = true;
        }
        if (G.Get(root, "usageMetadata", "usage_metadata") is { } usage && GeminiResponseCodec.HasCounts(usage))
        {
            _usage = GeminiResponseCodec.DecodeUsage(usage);
        }
    }

    private void OnPart(JsonElement part, List<StreamEvent> output)
    {
        var ordinal = _calls;
        var decoded = GeminiResponseCodec.DecodePart(part, _responseId, ref ordinal);
        switch (decoded)
        {
            case ToolCallPart call:
                _calls = ordinal;
                var index = _blocks.Start(BlockKind.ToolCall, output);
                output.Add(new BlockStartEvent(index, BlockKind.ToolCall) { ToolCallId = call.Id, ToolName = call.Name, ThoughtSignature = call.ThoughtSignature });
                output.Add(new BlockDeltaEvent(index, DeltaKind.Arguments, call.ArgumentsJson));
                _blocks.Close(output);
                break;
            case ThinkingPart thinking when thinking.Text.Length > 0:
                output.Add(new BlockDeltaEvent(_blocks.Ensure(BlockKind.Thinking, output), DeltaKind.Thinking, thinking.Text));
                break;
            case TextPart text when text.Text.Length > 0:
                output.Add(new BlockDeltaEvent(_blocks.Ensure(BlockKind.Text, output), DeltaKind.Text, text.Text));
                break;
        }
    }

    public void OnEnd(List<StreamEvent> output)
    {
        if (IsFinished)
        {
            return;
        }
        IsFinished = true;
        if (!_started)
        {
            output.Add(new StreamErrorEvent(new GatewayError(ErrorKind.BadGateway, "The upstream closed the stream without any content.")));
            return;
        }
        _blocks.Close(output);
        var finish = _blocked ? FinishReason.ContentFilter : GeminiResponseCodec.MapFinish(_finish, _calls > 0) ?? FinishReason.EndTurn;
        output.Add(new MessageDeltaEvent(finish, null, _usage));
        output.Add(MessageStopEvent.Instance);
    }
}
