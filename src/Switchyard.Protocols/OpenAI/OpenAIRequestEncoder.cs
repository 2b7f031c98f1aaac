using System.Text;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.OpenAI;

/// <summary>Canonical <see cref="ChatRequest"/> → OpenAI Chat Completions request body (to an upstream).</summary>
public static class OpenAIRequestEncoder
{
    public static byte[] Encode(ChatRequest req, EncodeOptions options) => J.WriteToBytes(w => Write(w, req, options));

    private static void Write(Utf8JsonWriter w, ChatRequest req, EncodeOptions options)
    {
        var sameFamily = req.SourceProtocol == WireProtocol.OpenAI;
        w.WriteStartObject();
        w.WriteString("model", options.Model);
        w.WriteStartArray("messages");
        if (req.System.Count > 0)
        {
            w.WriteStartObject();
            w.WriteString("role", "system");
            w.WriteString("content", string.Join("\n\n", req.System.Select(s => s.Text)));
            w.WriteEndObject();
        }
        foreach (var m in req.Messages)
        {
            WriteMessage(w, m);
        }
        w.WriteEndArray();

        var functionTools = req.Tools.Where(t => t.HostedRaw is null || (sameFamily && t.HostedFamily == WireProtocol.OpenAI)).ToList();
        if (functionTools.Count > 0)
        {
            w.WriteStartArray("tools");
            foreach (var t in functionTools)
            {
                if (t.HostedRaw is { } raw)
                {
                    raw.WriteTo(w);
                    continue;
                }
                w.WriteStartObject();
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", t.Name);
                if (t.Description is not null)
                {
                    w.WriteString("description", t.Description);
                }
                if (t.Parameters is { } ps)
                {
                    w.WritePropertyName("parameters");
                    ps.WriteTo(w);
                }
                if (t.Strict is { } strict)
                {
                    w.WriteBoolean("strict", strict);
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (req.ToolChoice is { } tc)
            {
                WriteToolChoice(w, tc);
            }
        }

        if (req.MaxTokens is { } max)
        {
            w.WriteNumber(options.MaxTokensField, options.MaxOutputTokens is { } cap ? Math.Min(max, cap) : max);
        }
        J.WriteOptional(w, "temperature", req.Temperature);
        J.WriteOptional(w, "top_p", req.TopP);
        if (req.StopSequences is { Count: > 0 } stops)
        {
            w.WriteStartArray("stop");
            foreach (var s in stops.Take(4))
            {
                w.WriteStringValue(s);
            }
            w.WriteEndArray();
        }
        J.WriteOptional(w, "n", req.N);
        if (req.Reasoning is { } r && (sameFamily || options.SendReasoningEffort) && EffortOf(r) is { } effort)
        {
            w.WriteString("reasoning_effort", effort);
        }
        if (req.ResponseFormat is { } rf)
        {
            WriteResponseFormat(w, rf);
        }
        if (sameFamily && req.UserId is not null)
        {
            w.WriteString("user", req.UserId);
        }
        if (sameFamily)
        {
            J.WriteExtensions(w, req.Extensions);
        }
        else if (req.SourceProtocol == WireProtocol.Responses)
        {
            J.WriteExtensions(w, req.Extensions, J.OpenAISharedFields);
        }
        if (req.Stream)
        {
            w.WriteBoolean("stream", true);
            // The gateway always needs usage, whatever the client asked for (P5).
            w.WriteStartObject("stream_options");
            w.WriteBoolean("include_usage", true);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>Effort for a reasoning request: explicit, or derived from a thinking budget (MAPPING §11).</summary>
    public static string? EffortOf(ReasoningOptions r)
    {
        if (r.Effort is not null)
        {
            return r.Effort;
        }
        if (r.Mode == ReasoningMode.Disabled)
        {
            return null;
        }
        return r.BudgetTokens switch
        {
            null => "medium",
            <= 0 => null,
            <= 1024 => "low",
            <= 8192 => "medium",
            _ => "high",
        };
    }

    private static void WriteMessage(Utf8JsonWriter w, ChatMessage m)
    {
        switch (m.Role)
        {
            case ChatRole.System:
                w.WriteStartObject();
                w.WriteString("role", "system");
                w.WriteString("content", JoinText(m.Content));
                w.WriteEndObject();
                return;
            case ChatRole.Assistant:
                WriteAssistant(w, m);
                return;
        }

        // Tool results first, one tool message per call in order, then what else the user turn said (MAPPING §7).
        List<ContentPart>? movedMedia = null;
        foreach (var part in m.Content)
        {
            if (part is not ToolResultPart tr)
            {
                continue;
            }
            w.WriteStartObject();
            w.WriteString("role", "tool");
            w.WriteString("tool_call_id", tr.CallId);
            var text = JoinText(tr.Content);
            w.WriteString("content", tr.IsError ? (text.Length == 0 ? "Error" : "Error: " + text) : text);
            w.WriteEndObject();
            foreach (var media in tr.Content.OfType<MediaPart>())
            {
                (movedMedia ??= []).Add(media);
            }
        }
        var rest = m.Content.Where(p => p is not ToolResultPart).Concat(movedMedia ?? []).ToList();
        if (rest.Count == 0)
        {
            return;
        }
        w.WriteStartObject();
        w.WriteString("role", "user");
        if (rest.Count == 1 && rest[0] is TextPart only)
        {
            w.WriteString("content", only.Text);
        }
        else
        {
            w.WriteStartArray("content");
            foreach (var part in rest)
            {
                WriteUserPart(w, part);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteUserPart(Utf8JsonWriter w, ContentPart part)
    {
        switch (part)
        {
            case TextPart t:
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", t.Text);
                w.WriteEndObject();
                break;
            case MediaPart { IsDocument: true } doc:
                w.WriteStartObject();
                w.WriteString("type", "file");
                w.WriteStartObject("file");
                if (doc.Title is not null)
                {
                    w.WriteString("filename", doc.Title);
                }
                w.WriteString("file_data", doc.Data is not null ? DataUrl.ToDataUrl(doc) : doc.Url);
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case MediaPart img:
                w.WriteStartObject();
                w.WriteString("type", "image_url");
                w.WriteStartObject("image_url");
                w.WriteString("url", img.Data is not null ? DataUrl.ToDataUrl(img) : img.Url);
                if (img.Detail is not null)
                {
                    w.WriteString("detail", img.Detail);
                }
                w.WriteEndObject();
                w.WriteEndObject();
                break;
        }
    }

    private static void WriteAssistant(Utf8JsonWriter w, ChatMessage m)
    {
        w.WriteStartObject();
        w.WriteString("role", "assistant");
        var text = JoinText(m.Content);
        if (text.Length > 0)
        {
            w.WriteString("content", text);
        }
        else
        {
            w.WriteNull("content");
        }
        OpenAIToolCalls.Write(w, m.Content, withSignatures: false);
        w.WriteEndObject();
    }

    private static void WriteToolChoice(Utf8JsonWriter w, ToolChoice tc)
    {
        switch (tc.Kind)
        {
            case ToolChoiceKind.Auto:
                w.WriteString("tool_choice", "auto");
                break;
            case ToolChoiceKind.None:
                w.WriteString("tool_choice", "none");
                break;
            case ToolChoiceKind.Required:
                w.WriteString("tool_choice", "required");
                break;
            case ToolChoiceKind.Specific:
                w.WriteStartObject("tool_choice");
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", tc.Name);
                w.WriteEndObject();
                w.WriteEndObject();
                break;
        }
        if (tc.DisableParallel)
        {
            w.WriteBoolean("parallel_tool_calls", false);
        }
    }

    private static void WriteResponseFormat(Utf8JsonWriter w, ResponseFormat rf)
    {
        w.WriteStartObject("response_format");
        switch (rf.Kind)
        {
            case ResponseFormatKind.Text:
                w.WriteString("type", "text");
                break;
            case ResponseFormatKind.JsonObject:
                w.WriteString("type", "json_object");
                break;
            case ResponseFormatKind.JsonSchema:
                w.WriteString("type", "json_schema");
                w.WriteStartObject("json_schema");
                WriteSchemaFields(w, rf);
                w.WriteEndObject();
                break;
        }
        w.WriteEndObject();
    }

    /// <summary>A JSON schema format's <c>name</c>, <c>schema</c> and <c>strict</c> (Chat Completions nests them, Responses does not).</summary>
    internal static void WriteSchemaFields(Utf8JsonWriter w, ResponseFormat rf)
    {
        w.WriteString("name", rf.Name ?? "response");
        if (rf.Schema is { } schema)
        {
            w.WritePropertyName("schema");
            schema.WriteTo(w);
        }
        if (rf.Strict is { } strict)
        {
            w.WriteBoolean("strict", strict);
        }
    }

    internal static string JoinText(IEnumerable<ContentPart> parts)
    {
        var sb = new StringBuilder();
        foreach (var t in parts.OfType<TextPart>())
        {
            if (sb.Length > 0 && t.Text.Length > 0)
            {
                sb.Append("\n\n");
            }
            sb.Append(t.Text);
        }
        return sb.ToString();
    }
}
