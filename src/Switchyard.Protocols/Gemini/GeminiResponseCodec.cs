using System.Globalization;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Gemini;

/// <summary>Gemini <c>GenerateContentResponse</c> ⇄ canonical <see cref="ChatResponse"/> (MAPPING §8, §9).</summary>
public static class GeminiResponseCodec
{
    public static ChatResponse Decode(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(Utf8Text.Repair(body));
        var root = doc.RootElement;
        var id = G.Str(root, "responseId", "", "response_id") ?? "gemini";
        var resp = new ChatResponse { Id = id, Model = G.Str(root, "modelVersion", "", "model_version") ?? "" };
        string? finish = null;
        var calls = 0;
        if (G.Get(root, "candidates") is { ValueKind: JsonValueKind.Array } candidates && candidates.GetArrayLength() > 0)
        {
            var candidate = candidates[0];
            finish = G.Str(candidate, "finishReason", "candidates[0]", "finish_reason");
            // A candidate may have no parts at all (thinking used up MAX_TOKENS, P16).
            if (G.Get(candidate, "content") is { } content)
            {
                foreach (var part in G.Parts(content, "content"))
                {
                    if (DecodePart(part, id, ref calls) is { } p)
                    {
                        resp.Content.Add(p);
                    }
                }
            }
        }
        var blocked = G.Get(root, "promptFeedback", "prompt_feedback") is { } pf && G.Get(pf, "blockReason", "block_reason") is not null;
        resp.FinishReason = blocked ? FinishReason.ContentFilter : MapFinish(finish, calls > 0);
        if (G.Get(root, "usageMetadata", "usage_metadata") is { } usage)
        {
            resp.Usage = DecodeUsage(usage);
        }
        return resp;
    }

    internal static ContentPart? DecodePart(JsonElement part, string responseId, ref int calls)
    {
        var signature = G.Str(part, "thoughtSignature", "parts[]", "thought_signature");
        if (G.Get(part, "functionCall", "function_call") is { } call)
        {
            return new ToolCallPart
            {
                Id = ToolCallId(G.Str(call, "id", "parts[].functionCall"), responseId, calls++),
                Name = G.Str(call, "name", "parts[].functionCall") ?? "",
                ArgumentsJson = G.Get(call, "args") is { ValueKind: JsonValueKind.Object } args ? args.GetRawText() : "{}",
                ThoughtSignature = signature,
            };
        }
        if (G.Get(part, "text") is { ValueKind: JsonValueKind.String } text)
        {
            return G.Get(part, "thought") is { ValueKind: JsonValueKind.True }
                ? new ThinkingPart { Text = text.GetString()!, ThoughtSignature = signature }
                : new TextPart(text.GetString()!) { ThoughtSignature = signature };
        }
        return null;
    }

    /// <summary>Gemini rarely sends call ids: synthesize ones unique in the response and stable across stream chunks.</summary>
    internal static string ToolCallId(string? given, string responseId, int ordinal)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return ToolIds.ForAnthropic(given);
        }
        return string.Create(CultureInfo.InvariantCulture, $"call_{StableHash.Fnv1a32(responseId):x8}_{ordinal}");
    }

    /// <summary>A function call anywhere in the answer means a tool-call stop, even when Gemini says STOP (P6).</summary>
    public static FinishReason? MapFinish(string? reason, bool hasCalls) => reason switch
    {
        null => hasCalls ? FinishReason.ToolUse : null,
        "STOP" => hasCalls ? FinishReason.ToolUse : FinishReason.EndTurn,
        "MAX_TOKENS" => FinishReason.MaxTokens,
        "SAFETY" or "PROHIBITED_CONTENT" or "BLOCKLIST" or "SPII" or "IMAGE_SAFETY" or "IMAGE_PROHIBITED_CONTENT"
            or "RECITATION" or "IMAGE_RECITATION" or "LANGUAGE" => FinishReason.ContentFilter,
        _ => hasCalls ? FinishReason.ToolUse : FinishReason.EndTurn,
    };

    public static string FinishString(FinishReason? reason) => reason switch
    {
        FinishReason.MaxTokens or FinishReason.ContextWindowExceeded => "MAX_TOKENS",
        FinishReason.ContentFilter => "SAFETY",
        _ => "STOP",
    };

    /// <summary>Gemini usage is a cumulative snapshot (P7); <c>promptTokenCount</c> includes cached tokens, candidates exclude thoughts (P25).</summary>
    public static Usage DecodeUsage(JsonElement usage)
    {
        var thoughts = G.Int(usage, "thoughtsTokenCount") ?? 0;
        return new Usage
        {
            InputTokens = (G.Int(usage, "promptTokenCount") ?? 0) + (G.Int(usage, "toolUsePromptTokenCount") ?? 0),
            CacheReadTokens = G.Int(usage, "cachedContentTokenCount") ?? 0,
            OutputTokens = (G.Int(usage, "candidatesTokenCount") ?? 0) + thoughts,
            ReasoningTokens = thoughts,
        };
    }

    public static bool HasCounts(JsonElement usage) => G.Int(usage, "promptTokenCount") is not null || G.Int(usage, "totalTokenCount") is not null;

    public static void WriteUsage(Utf8JsonWriter w, Usage u)
    {
        w.WriteStartObject("usageMetadata");
        w.WriteNumber("promptTokenCount", u.InputTokens);
        w.WriteNumber("candidatesTokenCount", Math.Max(0, u.OutputTokens - u.ReasoningTokens));
        w.WriteNumber("totalTokenCount", u.TotalTokens);
        if (u.CacheReadTokens > 0)
        {
            w.WriteNumber("cachedContentTokenCount", u.CacheReadTokens);
        }
        if (u.ReasoningTokens > 0)
        {
            w.WriteNumber("thoughtsTokenCount", u.ReasoningTokens);
        }
        w.WriteEndObject();
    }

    public static byte[] Encode(ChatResponse resp) => J.WriteToBytes(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("candidates");
        w.WriteStartObject();
        w.WriteStartObject("content");
        w.WriteStartArray("parts");
        foreach (var part in resp.Content)
        {
            WritePart(w, part);
        }
        w.WriteEndArray();
        w.WriteString("role", "model");
        w.WriteEndObject();
        w.WriteString("finishReason", FinishString(resp.FinishReason));
        w.WriteNumber("index", 0);
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, resp.Usage);
        w.WriteString("modelVersion", resp.Model);
        w.WriteString("responseId", resp.Id);
        w.WriteEndObject();
    });

    internal static void WritePart(Utf8JsonWriter w, ContentPart part)
    {
        switch (part)
        {
            case TextPart t:
                w.WriteStartObject();
                w.WriteString("text", t.Text);
                WriteSignature(w, t);
                w.WriteEndObject();
                break;
            case ThinkingPart th:
                w.WriteStartObject();
                w.WriteString("text", th.Text);
                w.WriteBoolean("thought", true);
                WriteSignature(w, th);
                w.WriteEndObject();
                break;
            case ToolCallPart call:
                GeminiToolCalls.WriteFunctionCallPart(w, call, withId: true, call.ThoughtSignature);
                break;
        }
    }

    private static void WriteSignature(Utf8JsonWriter w, ContentPart part)
    {
        if (part.ThoughtSignature is { } sig)
        {
            w.WriteString("thoughtSignature", sig);
        }
    }
}
