using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Anthropic;

/// <summary>Anthropic <c>message</c> bodies ⇄ canonical <see cref="ChatResponse"/>.</summary>
public static class AnthropicResponseCodec
{
    public static ChatResponse Decode(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(Utf8Text.Repair(body));
        var root = doc.RootElement;
        var resp = new ChatResponse { Id = J.Str(root, "id", "id") ?? "msg_unknown", Model = J.Str(root, "model", "model") ?? "" };
        if (J.Has(root, "content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var block in content.EnumerateArray())
            {
                resp.Content.Add(AnthropicRequestDecoder.DecodeBlock(block, $"content.{i++}"));
            }
        }
        resp.FinishReason = MapStop(J.Str(root, "stop_reason", "stop_reason"));
        resp.StopSequence = J.Str(root, "stop_sequence", "stop_sequence");
        if (J.Has(root, "usage", out var usage))
        {
            resp.Usage = DecodeUsage(usage, null);
        }
        return resp;
    }

    public static FinishReason? MapStop(string? reason) => reason switch
    {
        null => null,
        "end_turn" => FinishReason.EndTurn,
        "stop_sequence" => FinishReason.StopSequence,
        "max_tokens" => FinishReason.MaxTokens,
        "tool_use" => FinishReason.ToolUse,
        "pause_turn" => FinishReason.PauseTurn,
        "refusal" => FinishReason.ContentFilter,
        "model_context_window_exceeded" => FinishReason.ContextWindowExceeded,
        _ => FinishReason.EndTurn,
    };

    public static string StopString(FinishReason? reason) => reason switch
    {
        FinishReason.StopSequence => "stop_sequence",
        FinishReason.MaxTokens => "max_tokens",
        FinishReason.ToolUse => "tool_use",
        FinishReason.PauseTurn => "pause_turn",
        FinishReason.ContentFilter => "refusal",
        FinishReason.ContextWindowExceeded => "model_context_window_exceeded",
        _ => "end_turn",
    };

    /// <summary>Reads Anthropic usage, merging onto what an earlier event already said (stream deltas).</summary>
    public static Usage DecodeUsage(JsonElement usage, Usage? previous)
    {
        var prevUncached = previous?.UncachedInputTokens ?? 0;
        var cacheRead = J.Int(usage, "cache_read_input_tokens", "cache_read_input_tokens") ?? previous?.CacheReadTokens ?? 0;
        var cacheWrite = J.Int(usage, "cache_creation_input_tokens", "cache_creation_input_tokens") ?? previous?.CacheWriteTokens ?? 0;
        var uncached = J.Int(usage, "input_tokens", "input_tokens") ?? prevUncached;
        return new Usage
        {
            InputTokens = uncached + cacheRead + cacheWrite,
            CacheReadTokens = cacheRead,
            CacheWriteTokens = cacheWrite,
            OutputTokens = J.Int(usage, "output_tokens", "output_tokens") ?? previous?.OutputTokens ?? 0,
            ReasoningTokens = previous?.ReasoningTokens ?? 0,
        };
    }

    public static void WriteUsage(Utf8JsonWriter w, Usage u)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", u.UncachedInputTokens);
        w.WriteNumber("cache_creation_input_tokens", u.CacheWriteTokens);
        w.WriteNumber("cache_read_input_tokens", u.CacheReadTokens);
        w.WriteNumber("output_tokens", u.OutputTokens);
        w.WriteEndObject();
    }

    public static byte[] Encode(ChatResponse resp) => J.WriteToBytes(w =>
    {
        w.WriteStartObject();
        w.WriteString("id", resp.Id);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", resp.Model);
        w.WriteStartArray("content");
        foreach (var part in resp.Content)
        {
            WriteBlock(w, part);
        }
        w.WriteEndArray();
        w.WriteString("stop_reason", StopString(resp.FinishReason));
        if (resp.StopSequence is null)
        {
            w.WriteNull("stop_sequence");
        }
        else
        {
            w.WriteString("stop_sequence", resp.StopSequence);
        }
        WriteUsage(w, resp.Usage);
        w.WriteEndObject();
    });

    private static void WriteBlock(Utf8JsonWriter w, ContentPart part)
    {
        switch (part)
        {
            case TextPart t:
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", t.Text);
                J.WriteExtensions(w, t.Extensions);
                w.WriteEndObject();
                break;
            case ToolCallPart call:
                w.WriteStartObject();
                AnthropicToolCalls.WriteToolUseFields(w, call);
                w.WriteEndObject();
                break;
            case ThinkingPart { Signature: not null } thinking:
                w.WriteStartObject();
                w.WriteString("type", "thinking");
                w.WriteString("thinking", thinking.Text);
                w.WriteString("signature", thinking.Signature);
                w.WriteEndObject();
                break;
            case RedactedThinkingPart redacted:
                w.WriteStartObject();
                w.WriteString("type", "redacted_thinking");
                w.WriteString("data", redacted.Data);
                w.WriteEndObject();
                break;
            case RawPart { Family: WireProtocol.Anthropic } raw:
                raw.Raw.WriteTo(w);
                break;
        }
    }
}
