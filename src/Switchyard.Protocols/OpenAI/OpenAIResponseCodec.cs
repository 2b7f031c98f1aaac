using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.OpenAI;

/// <summary>OpenAI <c>chat.completion</c> bodies ⇄ canonical <see cref="ChatResponse"/>.</summary>
public static class OpenAIResponseCodec
{
    public static ChatResponse Decode(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(Utf8Text.Repair(body));
        var root = doc.RootElement;
        var resp = new ChatResponse
        {
            Id = J.Str(root, "id", "id") ?? "chatcmpl-unknown",
            Model = J.Str(root, "model", "model") ?? "",
            Created = J.Has(root, "created", out var created) && created.ValueKind == JsonValueKind.Number && created.TryGetInt64(out var c) ? c : 0,
        };
        if (J.Has(root, "choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            var choice = choices[0];
            if (J.Has(choice, "message", out var msg))
            {
                if (J.Str(msg, "reasoning_content", "choices[0].message.reasoning_content") is { Length: > 0 } reasoning)
                {
                    resp.Content.Add(new ThinkingPart { Text = reasoning });
                }
                if (J.Has(msg, "content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } text)
                {
                    resp.Content.Add(new TextPart(text));
                }
                if (J.Str(msg, "refusal", "choices[0].message.refusal") is { Length: > 0 } refusal)
                {
                    resp.Content.Add(new TextPart(refusal));
                }
                if (J.Has(msg, "tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    var i = 0;
                    foreach (var call in calls.EnumerateArray())
                    {
                        var path = $"choices[0].message.tool_calls[{i++}]";
                        if (!J.Has(call, "function", out var fn) || fn.ValueKind != JsonValueKind.Object)
                        {
                            throw new ProtocolException($"'{path}.function' is required.", path + ".function");
                        }
                        resp.Content.Add(new ToolCallPart
                        {
                            Id = J.Str(call, "id", path + ".id") ?? $"call_{resp.Content.Count}",
                            Name = J.Str(fn, "name", path + ".function.name") ?? "",
                            ArgumentsJson = J.NormalizeArguments(J.Str(fn, "arguments", path + ".function.arguments")),
                            ThoughtSignature = OpenAIRequestDecoder.GoogleSignature(call),
                        });
                    }
                }
            }
            resp.FinishReason = MapFinish(J.Str(choice, "finish_reason", "choices[0].finish_reason"));
        }
        if (J.Has(root, "usage", out var usage))
        {
            resp.Usage = DecodeUsage(usage);
        }
        return resp;
    }

    public static FinishReason? MapFinish(string? reason) => reason switch
    {
        null => null,
        "stop" => FinishReason.EndTurn,
        "length" => FinishReason.MaxTokens,
        "tool_calls" or "function_call" => FinishReason.ToolUse,
        "content_filter" => FinishReason.ContentFilter,
        _ => FinishReason.EndTurn,
    };

    public static string FinishString(FinishReason? reason) => reason switch
    {
        FinishReason.MaxTokens or FinishReason.ContextWindowExceeded => "length",
        FinishReason.ToolUse => "tool_calls",
        FinishReason.ContentFilter => "content_filter",
        _ => "stop",
    };

    public static Usage DecodeUsage(JsonElement usage)
    {
        var cached = 0;
        var cacheWrite = 0;
        if (J.Has(usage, "prompt_tokens_details", out var pd))
        {
            cached = J.Int(pd, "cached_tokens", "cached_tokens") ?? 0;
            cacheWrite = J.Int(pd, "cache_write_tokens", "cache_write_tokens") ?? 0;
        }
        else if (J.Int(usage, "prompt_cache_hit_tokens", "prompt_cache_hit_tokens") is { } hit)
        {
            cached = hit; // DeepSeek
        }
        var reasoning = J.Has(usage, "completion_tokens_details", out var cd) ? J.Int(cd, "reasoning_tokens", "reasoning_tokens") ?? 0 : 0;
        return new Usage
        {
            InputTokens = J.Int(usage, "prompt_tokens", "prompt_tokens") ?? 0,
            OutputTokens = J.Int(usage, "completion_tokens", "completion_tokens") ?? 0,
            CacheReadTokens = cached,
            CacheWriteTokens = cacheWrite,
            ReasoningTokens = reasoning,
        };
    }

    public static byte[] Encode(ChatResponse resp) => J.WriteToBytes(w =>
    {
        w.WriteStartObject();
        w.WriteString("id", resp.Id);
        w.WriteString("object", "chat.completion");
        w.WriteNumber("created", resp.Created);
        w.WriteString("model", resp.Model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        var text = OpenAIRequestEncoder.JoinText(resp.Content);
        if (text.Length > 0 || !resp.Content.OfType<ToolCallPart>().Any())
        {
            w.WriteString("content", text);
        }
        else
        {
            w.WriteNull("content");
        }
        w.WriteNull("refusal");
        WriteThinking(w, resp.Content);
        OpenAIToolCalls.Write(w, resp.Content, withSignatures: true);
        w.WriteEndObject();
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", FinishString(resp.FinishReason));
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, resp.Usage);
        w.WriteEndObject();
    });

    /// <summary>Thinking as litellm's <c>reasoning_content</c> + <c>thinking_blocks</c> extension (P8).</summary>
    private static void WriteThinking(Utf8JsonWriter w, List<ContentPart> content)
    {
        var thinking = content.Where(p => p is ThinkingPart or RedactedThinkingPart).ToList();
        if (thinking.Count == 0)
        {
            return;
        }
        w.WriteString("reasoning_content", string.Concat(thinking.OfType<ThinkingPart>().Select(t => t.Text)));
        if (!thinking.Any(t => t is RedactedThinkingPart || (t is ThinkingPart tp && tp.Signature is not null)))
        {
            return;
        }
        w.WriteStartArray("thinking_blocks");
        foreach (var part in thinking)
        {
            w.WriteStartObject();
            if (part is ThinkingPart t)
            {
                w.WriteString("type", "thinking");
                w.WriteString("thinking", t.Text);
                if (t.Signature is not null)
                {
                    w.WriteString("signature", t.Signature);
                }
            }
            else if (part is RedactedThinkingPart r)
            {
                w.WriteString("type", "redacted_thinking");
                w.WriteString("data", r.Data);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static void WriteUsage(Utf8JsonWriter w, Usage u)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", u.InputTokens);
        w.WriteNumber("completion_tokens", u.OutputTokens);
        w.WriteNumber("total_tokens", u.TotalTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", u.CacheReadTokens);
        if (u.CacheWriteTokens > 0)
        {
            w.WriteNumber("cache_write_tokens", u.CacheWriteTokens);
        }
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", u.ReasoningTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
