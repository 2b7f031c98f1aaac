using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Anthropic;

/// <summary>Canonical <see cref="ChatRequest"/> → Anthropic Messages request body (to an upstream).</summary>
public static class AnthropicRequestEncoder
{
    private const string EmptyTurnPlaceholder = "(no content)";

    public static byte[] Encode(ChatRequest req, EncodeOptions options)
    {
        if (req.N is > 1)
        {
            throw new ProtocolException("'n' greater than 1 is not supported by Anthropic upstreams.", "n");
        }
        var sameFamily = req.SourceProtocol == WireProtocol.Anthropic;
        var messages = BuildMessages(req);
        var tools = new List<ToolDefinition>(req.Tools.Count);
        foreach (var t in req.Tools)
        {
            switch (HostedTools.Plan(t, WireProtocol.Anthropic, sameFamily, hasFunctions: true))
            {
                case HostedToolPlan.Refuse:
                    throw new ProtocolException($"The hosted tool '{t.Name}' is not available on Anthropic upstreams.", "tools");
                case not HostedToolPlan.Omit:
                    tools.Add(t);
                    break;
            }
        }
        var thinking = PlanThinking(req, messages, options, out var budget);
        return J.WriteToBytes(w =>
        {
            w.WriteStartObject();
            w.WriteString("model", options.Model);
            var max = req.MaxTokens ?? options.DefaultMaxTokens;
            if (options.MaxOutputTokens is { } cap)
            {
                max = Math.Min(max, cap);
            }
            if (budget is { } b && max <= b)
            {
                max = b + Math.Min(options.DefaultMaxTokens, 4096); // max_tokens must exceed budget_tokens (P15, P20)
            }
            w.WriteNumber("max_tokens", max);
            WriteSystem(w, req.System);
            w.WriteStartArray("messages");
            foreach (var m in messages)
            {
                w.WriteStartObject();
                w.WriteString("role", m.Role == ChatRole.Assistant ? "assistant" : "user");
                w.WriteStartArray("content");
                foreach (var part in m.Content)
                {
                    WriteBlock(w, part, sameFamily);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (tools.Count > 0)
            {
                w.WriteStartArray("tools");
                foreach (var t in tools)
                {
                    WriteTool(w, t, sameFamily);
                }
                w.WriteEndArray();
                if (req.ToolChoice is { } tc)
                {
                    WriteToolChoice(w, tc);
                }
            }
            if (thinking is not null)
            {
                thinking(w);
            }
            else
            {
                // Sampling limits differ with thinking on (P19): only then are these safe to send.
                if (req.Temperature is { } temp)
                {
                    w.WriteNumber("temperature", Math.Clamp(temp, 0, 1));
                }
                else if (req.TopP is { } topP)
                {
                    w.WriteNumber("top_p", topP);
                }
                J.WriteOptional(w, "top_k", req.TopK);
            }
            if (req.StopSequences is { Count: > 0 } stops)
            {
                w.WriteStartArray("stop_sequences");
                foreach (var s in stops)
                {
                    w.WriteStringValue(s);
                }
                w.WriteEndArray();
            }
            if (req.UserId is not null)
            {
                w.WriteStartObject("metadata");
                w.WriteString("user_id", req.UserId);
                w.WriteEndObject();
            }
            if (sameFamily)
            {
                J.WriteExtensions(w, req.Extensions);
            }
            else if (req.ResponseFormat is { Kind: ResponseFormatKind.JsonSchema, Schema: { } schema })
            {
                w.WriteStartObject("output_config");
                w.WriteStartObject("format");
                w.WriteString("type", "json_schema");
                w.WritePropertyName("schema");
                schema.WriteTo(w);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            if (req.Stream)
            {
                w.WriteBoolean("stream", true);
            }
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// Decides the <c>thinking</c> field: none when a tool is forced (P20) or when the current tool loop lost
    /// its signed thinking blocks (P8); otherwise the client's own object or a budget derived from the effort.
    /// </summary>
    private static Action<Utf8JsonWriter>? PlanThinking(ChatRequest req, List<ChatMessage> messages, EncodeOptions options, out int? budget)
    {
        budget = null;
        if (req.Reasoning is not { } r)
        {
            return null;
        }
        if (r.Mode == ReasoningMode.Disabled)
        {
            return r.Raw is { } disabled && req.SourceProtocol == WireProtocol.Anthropic ? w => { w.WritePropertyName("thinking"); disabled.WriteTo(w); } : null;
        }
        if (req.ToolChoice is { Kind: ToolChoiceKind.Required or ToolChoiceKind.Specific } || !CurrentToolLoopIsSigned(messages))
        {
            return null;
        }
        if (r.Raw is { } raw && req.SourceProtocol == WireProtocol.Anthropic)
        {
            budget = r.BudgetTokens;
            return w => { w.WritePropertyName("thinking"); raw.WriteTo(w); };
        }
        if (r.Mode == ReasoningMode.Adaptive)
        {
            return w => { w.WriteStartObject("thinking"); w.WriteString("type", "adaptive"); w.WriteEndObject(); };
        }
        var b = r.BudgetTokens ?? r.Effort switch
        {
            "none" => 0,
            "minimal" or "low" => 1024,
            "medium" => 2048,
            "high" => 4096,
            "xhigh" or "max" => 8192,
            _ => 2048,
        };
        if (b <= 0)
        {
            return null;
        }
        b = Math.Max(1024, b);
        budget = b;
        return w =>
        {
            w.WriteStartObject("thinking");
            w.WriteString("type", "enabled");
            w.WriteNumber("budget_tokens", b);
            w.WriteEndObject();
        };
    }

    /// <summary>Anthropic rejects thinking when an assistant tool-use turn of the current loop lacks its signed thinking block.</summary>
    private static bool CurrentToolLoopIsSigned(List<ChatMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            var m = messages[i];
            if (m.Role == ChatRole.User && m.Content.Any(p => p is not ToolResultPart))
            {
                return true; // reached the user turn that started this loop
            }
            if (m.Role == ChatRole.Assistant && m.Content.Any(p => p is ToolCallPart) && m.Content.FirstOrDefault() is not (ThinkingPart { Signature: not null } or RedactedThinkingPart))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Anthropic's turn rules: no system role, no empty blocks (P1), merged roles, paired tool results first (P10).</summary>
    internal static List<ChatMessage> BuildMessages(ChatRequest req)
    {
        var result = new List<ChatMessage>();
        foreach (var source in req.Messages)
        {
            var role = source.Role == ChatRole.Assistant ? ChatRole.Assistant : ChatRole.User;
            var parts = new List<ContentPart>();
            foreach (var part in source.Content)
            {
                switch (part)
                {
                    case TextPart t when string.IsNullOrWhiteSpace(t.Text):
                        continue;
                    case TextPart t when source.Role == ChatRole.System:
                        parts.Add(new TextPart($"<system>\n{t.Text}\n</system>"));
                        continue;
                    case ThinkingPart { Signature: null }:
                        continue; // never send unsigned thinking to Anthropic (P8)
                    case ThinkingPart or RedactedThinkingPart when role != ChatRole.Assistant:
                        continue;
                    case RawPart raw when raw.Family != WireProtocol.Anthropic:
                        continue;
                    default:
                        parts.Add(part);
                        break;
                }
            }
            if (parts.Count == 0)
            {
                continue;
            }
            if (result.Count > 0 && result[^1].Role == role)
            {
                result[^1].Content.AddRange(parts);
            }
            else
            {
                var m = new ChatMessage(role);
                m.Content.AddRange(parts);
                result.Add(m);
            }
        }
        PairToolResults(result);
        if (result.Count == 0 || result[0].Role != ChatRole.User)
        {
            var first = new ChatMessage(ChatRole.User);
            first.Content.Add(new TextPart(EmptyTurnPlaceholder));
            result.Insert(0, first);
        }
        return result;
    }

    private static void PairToolResults(List<ChatMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m.Role != ChatRole.User)
            {
                continue;
            }
            var calls = i > 0 && messages[i - 1].Role == ChatRole.Assistant
                ? messages[i - 1].Content.OfType<ToolCallPart>().Select(c => c.Id).ToList()
                : [];
            var results = m.Content.OfType<ToolResultPart>().Where(r => calls.Contains(r.CallId)).ToList();
            var others = m.Content.Where(p => p is not ToolResultPart).ToList();
            foreach (var missing in calls.Where(id => !results.Any(r => r.CallId == id)).ToList())
            {
                var synthetic = new ToolResultPart { CallId = missing, IsError = true };
                synthetic.Content.Add(new TextPart("No result was provided for this tool call."));
                results.Add(synthetic);
            }
            m.Content.Clear();
            m.Content.AddRange(results.OrderBy(r => calls.IndexOf(r.CallId)));
            m.Content.AddRange(others);
            if (m.Content.Count == 0)
            {
                m.Content.Add(new TextPart(EmptyTurnPlaceholder));
            }
        }
    }

    private static void WriteSystem(Utf8JsonWriter w, List<TextPart> system)
    {
        var parts = system.Where(s => !string.IsNullOrWhiteSpace(s.Text)).ToList();
        if (parts.Count == 0)
        {
            return;
        }
        if (parts.Count == 1 && parts[0].CacheControl is null)
        {
            w.WriteString("system", parts[0].Text);
            return;
        }
        w.WriteStartArray("system");
        foreach (var p in parts)
        {
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", p.Text);
            WriteCacheControl(w, p);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteBlock(Utf8JsonWriter w, ContentPart part, bool sameFamily)
    {
        switch (part)
        {
            case RawPart raw:
                raw.Raw.WriteTo(w);
                return;
            case TextPart t:
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", t.Text);
                if (sameFamily)
                {
                    J.WriteExtensions(w, t.Extensions);
                }
                break;
            case MediaPart media:
                WriteMedia(w, media);
                break;
            case ToolCallPart call:
                w.WriteStartObject();
                AnthropicToolCalls.WriteToolUseFields(w, call);
                break;
            case ToolResultPart result:
                w.WriteStartObject();
                w.WriteString("type", "tool_result");
                w.WriteString("tool_use_id", ToolIds.ForAnthropic(result.CallId));
                var content = result.Content.Where(c => c is not TextPart t || !string.IsNullOrWhiteSpace(t.Text)).ToList();
                if (content.Count == 1 && content[0] is TextPart only)
                {
                    w.WriteString("content", only.Text);
                }
                else if (content.Count > 0)
                {
                    w.WriteStartArray("content");
                    foreach (var c in content)
                    {
                        WriteBlock(w, c, sameFamily);
                    }
                    w.WriteEndArray();
                }
                if (result.IsError)
                {
                    w.WriteBoolean("is_error", true);
                }
                break;
            case ThinkingPart thinking:
                w.WriteStartObject();
                w.WriteString("type", "thinking");
                w.WriteString("thinking", thinking.Text);
                w.WriteString("signature", thinking.Signature);
                break;
            case RedactedThinkingPart redacted:
                w.WriteStartObject();
                w.WriteString("type", "redacted_thinking");
                w.WriteString("data", redacted.Data);
                break;
            default:
                return;
        }
        WriteCacheControl(w, part);
        w.WriteEndObject();
    }

    private static void WriteMedia(Utf8JsonWriter w, MediaPart media)
    {
        w.WriteStartObject();
        var isImage = !media.IsDocument && (media.MediaType is null || media.MediaType.StartsWith("image/", StringComparison.Ordinal));
        w.WriteString("type", isImage ? "image" : "document");
        w.WriteStartObject("source");
        if (media.Data is not null)
        {
            var mediaType = media.MediaType ?? "application/octet-stream";
            if (isImage && mediaType is not ("image/jpeg" or "image/png" or "image/gif" or "image/webp"))
            {
                throw new ProtocolException($"Image media type '{mediaType}' is not supported by Anthropic (jpeg, png, gif, webp).");
            }
            if (mediaType == "text/plain")
            {
                w.WriteString("type", "text");
                w.WriteString("media_type", "text/plain");
                w.WriteString("data", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(media.Data)));
            }
            else
            {
                w.WriteString("type", "base64");
                w.WriteString("media_type", mediaType);
                w.WriteString("data", media.Data);
            }
        }
        else
        {
            // URL sources carry no media_type (P13).
            w.WriteString("type", "url");
            w.WriteString("url", media.Url);
        }
        w.WriteEndObject();
        if (media.IsDocument && media.Title is not null)
        {
            w.WriteString("title", media.Title);
        }
    }

    private static void WriteTool(Utf8JsonWriter w, ToolDefinition t, bool sameFamily)
    {
        if (t.HostedRaw is { } raw)
        {
            if (HostedTools.Plan(t, WireProtocol.Anthropic, sameFamily, hasFunctions: true) == HostedToolPlan.Equivalent)
            {
                // Anthropic's server-side web search (the only hosted kind with an equivalent).
                w.WriteRawValue("""{"type":"web_search_20250305","name":"web_search"}""", skipInputValidation: true);
                return;
            }
            raw.WriteTo(w);
            return;
        }
        w.WriteStartObject();
        w.WriteString("name", t.Name);
        if (t.Description is not null)
        {
            w.WriteString("description", t.Description);
        }
        w.WritePropertyName("input_schema");
        if (t.Parameters is { ValueKind: JsonValueKind.Object } schema)
        {
            schema.WriteTo(w);
        }
        else
        {
            w.WriteRawValue("""{"type":"object","properties":{}}""", skipInputValidation: true);
        }
        if (t.Strict is { } strict && sameFamily)
        {
            w.WriteBoolean("strict", strict);
        }
        if (t.CacheControl is { } cc)
        {
            w.WritePropertyName("cache_control");
            cc.WriteTo(w);
        }
        if (sameFamily)
        {
            J.WriteExtensions(w, t.Extensions);
        }
        w.WriteEndObject();
    }

    private static void WriteToolChoice(Utf8JsonWriter w, ToolChoice tc)
    {
        w.WriteStartObject("tool_choice");
        w.WriteString("type", tc.Kind switch
        {
            ToolChoiceKind.None => "none",
            ToolChoiceKind.Required => "any",
            ToolChoiceKind.Specific => "tool",
            _ => "auto",
        });
        if (tc.Kind == ToolChoiceKind.Specific)
        {
            w.WriteString("name", tc.Name);
        }
        if (tc.DisableParallel && tc.Kind != ToolChoiceKind.None)
        {
            w.WriteBoolean("disable_parallel_tool_use", true);
        }
        w.WriteEndObject();
    }

    private static void WriteCacheControl(Utf8JsonWriter w, ContentPart part)
    {
        if (part.CacheControl is { } cc)
        {
            w.WritePropertyName("cache_control");
            cc.WriteTo(w);
        }
    }
}
