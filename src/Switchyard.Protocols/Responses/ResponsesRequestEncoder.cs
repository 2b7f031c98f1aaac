using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;
using Switchyard.Protocols.OpenAI;

namespace Switchyard.Protocols.Responses;

/// <summary>
/// Canonical <see cref="ChatRequest"/> → a Responses API request body (to an upstream of type <c>openai-responses</c>).
/// The gateway keeps conversation state itself, so the upstream is asked to keep none (<c>store: false</c>, unless a
/// Responses client said otherwise) and is always sent the whole history. Reasoning goes back as reasoning items only
/// with OpenAI's own <c>encrypted_content</c>; another vendor's thinking never reaches it.
/// </summary>
public static class ResponsesRequestEncoder
{
    public static byte[] Encode(ChatRequest req, EncodeOptions options)
    {
        if (req.N is > 1)
        {
            throw new ProtocolException("'n' greater than 1 is not supported by Responses upstreams.", "n");
        }
        var sameFamily = req.SourceProtocol == WireProtocol.Responses;
        var tools = ResponsesTools.Of(req.Tools);
        var hasFunctions = HostedTools.HasFunctions(req.Tools);
        foreach (var t in req.Tools)
        {
            if (HostedTools.Plan(t, WireProtocol.Responses, sameFamily, hasFunctions) == HostedToolPlan.Refuse)
            {
                throw new ProtocolException($"The hosted tool '{t.Name}' is not available on Responses upstreams.", "tools");
            }
        }
        return J.WriteToBytes(w =>
        {
            w.WriteStartObject();
            w.WriteString("model", options.Model);
            if (req.System.Count > 0)
            {
                w.WriteString("instructions", string.Join("\n\n", req.System.Select(s => s.Text)));
            }
            w.WriteStartArray("input");
            var customCalls = new HashSet<string>(StringComparer.Ordinal);
            foreach (var m in req.Messages)
            {
                WriteMessage(w, m, tools, customCalls);
            }
            w.WriteEndArray();
            WriteTools(w, req, tools, sameFamily, hasFunctions);
            if (req.MaxTokens is { } max)
            {
                w.WriteNumber("max_output_tokens", options.MaxOutputTokens is { } cap ? Math.Min(max, cap) : max);
            }
            J.WriteOptional(w, "temperature", req.Temperature);
            J.WriteOptional(w, "top_p", req.TopP);
            if (req.Reasoning is { } r && (sameFamily || options.SendReasoningEffort) && OpenAIRequestEncoder.EffortOf(r) is { } effort)
            {
                w.WriteStartObject("reasoning");
                w.WriteString("effort", effort);
                w.WriteEndObject();
            }
            if (req.ResponseFormat is { Kind: not ResponseFormatKind.Text } rf)
            {
                w.WriteStartObject("text");
                w.WriteStartObject("format");
                w.WriteString("type", rf.Kind == ResponseFormatKind.JsonSchema ? "json_schema" : "json_object");
                if (rf.Kind == ResponseFormatKind.JsonSchema)
                {
                    OpenAIRequestEncoder.WriteSchemaFields(w, rf);
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            if (req.UserId is not null)
            {
                w.WriteString("user", req.UserId);
            }
            if (sameFamily)
            {
                foreach (var (name, value) in req.Extensions)
                {
                    if (name != "previous_response_id") // the gateway rebuilt that history: the upstream does not know the id
                    {
                        w.WritePropertyName(name);
                        value.WriteTo(w);
                    }
                }
            }
            else if (req.SourceProtocol == WireProtocol.OpenAI)
            {
                J.WriteExtensions(w, req.Extensions, J.OpenAISharedFields);
            }
            if (!(sameFamily && req.Extensions.ContainsKey("store")))
            {
                w.WriteBoolean("store", false);
            }
            if (req.Stream)
            {
                w.WriteBoolean("stream", true);
            }
            w.WriteEndObject();
        });
    }

    private static void WriteMessage(Utf8JsonWriter w, ChatMessage m, ResponsesTools tools, HashSet<string> customCalls)
    {
        switch (m.Role)
        {
            case ChatRole.System:
                w.WriteStartObject();
                w.WriteString("type", "message");
                w.WriteString("role", "developer");
                w.WriteStartArray("content");
                foreach (var t in m.Content.OfType<TextPart>())
                {
                    InputText(w, "input_text", t.Text);
                }
                w.WriteEndArray();
                w.WriteEndObject();
                break;
            case ChatRole.User:
                WriteUser(w, m, customCalls);
                break;
            default:
                WriteAssistant(w, m, tools, customCalls);
                break;
        }
    }

    private static void WriteUser(Utf8JsonWriter w, ChatMessage m, HashSet<string> customCalls)
    {
        // Tool results are items of their own; the rest of the turn is one user message after them.
        foreach (var result in m.Content.OfType<ToolResultPart>())
        {
            w.WriteStartObject();
            var custom = customCalls.Contains(result.CallId);
            w.WriteString("type", custom ? "custom_tool_call_output" : "function_call_output");
            w.WriteString("call_id", result.CallId);
            if (result.Content.All(p => p is TextPart))
            {
                var text = string.Concat(result.Content.OfType<TextPart>().Select(t => t.Text));
                w.WriteString("output", result.IsError && text.Length == 0 ? "error" : text);
            }
            else
            {
                w.WriteStartArray("output");
                foreach (var part in result.Content)
                {
                    WriteInputPart(w, part);
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        var rest = m.Content.Where(p => p is not ToolResultPart).ToList();
        if (rest.Count == 0)
        {
            return;
        }
        w.WriteStartObject();
        w.WriteString("type", "message");
        w.WriteString("role", "user");
        w.WriteStartArray("content");
        foreach (var part in rest)
        {
            WriteInputPart(w, part);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteInputPart(Utf8JsonWriter w, ContentPart part)
    {
        switch (part)
        {
            case TextPart t:
                InputText(w, "input_text", t.Text);
                break;
            case MediaPart { IsDocument: true } doc:
                w.WriteStartObject();
                w.WriteString("type", "input_file");
                if (doc.Data is not null)
                {
                    w.WriteString("file_data", DataUrl.ToDataUrl(doc));
                    w.WriteString("filename", doc.Title ?? "document.pdf");
                }
                else
                {
                    w.WriteString("file_url", doc.Url);
                }
                w.WriteEndObject();
                break;
            case MediaPart image:
                w.WriteStartObject();
                w.WriteString("type", "input_image");
                w.WriteString("image_url", image.Data is not null ? DataUrl.ToDataUrl(image) : image.Url);
                w.WriteString("detail", image.Detail ?? "auto");
                w.WriteEndObject();
                break;
        }
    }

    private static void WriteAssistant(Utf8JsonWriter w, ChatMessage m, ResponsesTools tools, HashSet<string> customCalls)
    {
        var text = new List<string>();
        void FlushText()
        {
            if (text.Count == 0)
            {
                return;
            }
            w.WriteStartObject();
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteStartArray("content");
            foreach (var t in text)
            {
                InputText(w, "output_text", t);
            }
            w.WriteEndArray();
            w.WriteEndObject();
            text.Clear();
        }
        foreach (var part in m.Content)
        {
            switch (part)
            {
                case TextPart t when t.Text.Length > 0:
                    text.Add(t.Text);
                    break;
                case ThinkingPart { Signature: null, ResponsesEncryptedContent: { } encrypted } thinking:
                    FlushText();
                    w.WriteStartObject();
                    w.WriteString("type", "reasoning");
                    w.WriteStartArray("summary");
                    if (thinking.Text.Length > 0)
                    {
                        w.WriteStartObject();
                        w.WriteString("type", "summary_text");
                        w.WriteString("text", thinking.Text);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteString("encrypted_content", encrypted);
                    w.WriteEndObject();
                    break;
                case ToolCallPart call:
                    {
                        FlushText();
                        var (name, ns, custom) = tools.Describe(call.Name);
                        w.WriteStartObject();
                        w.WriteString("type", custom ? "custom_tool_call" : "function_call");
                        w.WriteString("call_id", call.Id);
                        w.WriteString("name", name);
                        if (ns is not null)
                        {
                            w.WriteString("namespace", ns);
                        }
                        if (custom)
                        {
                            customCalls.Add(call.Id);
                            w.WriteString("input", ResponsesOutput.CustomInput(call.ArgumentsJson));
                        }
                        else
                        {
                            w.WriteString("arguments", call.ArgumentsJson);
                        }
                        w.WriteEndObject();
                        break;
                    }
            }
        }
        FlushText();
    }

    private static void InputText(Utf8JsonWriter w, string type, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter w, ChatRequest req, ResponsesTools tools, bool sameFamily, bool hasFunctions)
    {
        if (req.Tools.Count == 0)
        {
            return;
        }
        w.WriteStartArray("tools");
        var namespaces = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in req.Tools)
        {
            switch (HostedTools.Plan(t, WireProtocol.Responses, sameFamily, hasFunctions))
            {
                case HostedToolPlan.Verbatim:
                    t.HostedRaw!.Value.WriteTo(w);
                    break;
                case HostedToolPlan.Equivalent:
                    w.WriteRawValue("""{"type":"web_search"}""", skipInputValidation: true);
                    break;
                case HostedToolPlan.Function when t.ResponsesNamespace is { } ns:
                    if (namespaces.Add(ns))
                    {
                        // A namespace is written once, with every function that belongs to it.
                        w.WriteStartObject();
                        w.WriteString("type", "namespace");
                        w.WriteString("name", ns);
                        w.WriteString("description", ns);
                        w.WriteStartArray("tools");
                        foreach (var member in req.Tools.Where(x => x.HostedRaw is null && x.ResponsesNamespace == ns))
                        {
                            WriteFunction(w, member, tools);
                        }
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    break;
                case HostedToolPlan.Function:
                    WriteFunction(w, t, tools);
                    break;
            }
        }
        w.WriteEndArray();
        if (req.ToolChoice is { } tc)
        {
            switch (tc.Kind)
            {
                case ToolChoiceKind.Specific:
                    w.WriteStartObject("tool_choice");
                    var (name, ns, custom) = tools.Describe(tc.Name!);
                    w.WriteString("type", custom ? "custom" : "function");
                    w.WriteString("name", name);
                    if (ns is not null)
                    {
                        w.WriteString("namespace", ns);
                    }
                    w.WriteEndObject();
                    break;
                default:
                    w.WriteString("tool_choice", tc.Kind switch { ToolChoiceKind.None => "none", ToolChoiceKind.Required => "required", _ => "auto" });
                    break;
            }
            if (tc.DisableParallel)
            {
                w.WriteBoolean("parallel_tool_calls", false);
            }
        }
    }

    private static void WriteFunction(Utf8JsonWriter w, ToolDefinition t, ResponsesTools tools)
    {
        var (name, _, custom) = tools.Describe(t.Name);
        w.WriteStartObject();
        w.WriteString("type", custom ? "custom" : "function");
        w.WriteString("name", name);
        if (t.Description is not null)
        {
            w.WriteString("description", t.Description);
        }
        if (!custom)
        {
            w.WritePropertyName("parameters");
            if (t.Parameters is { ValueKind: JsonValueKind.Object } schema)
            {
                schema.WriteTo(w);
            }
            else
            {
                w.WriteRawValue("""{"type":"object","properties":{}}""", skipInputValidation: true);
            }
            w.WriteBoolean("strict", t.Strict ?? false);
        }
        w.WriteEndObject();
    }
}
