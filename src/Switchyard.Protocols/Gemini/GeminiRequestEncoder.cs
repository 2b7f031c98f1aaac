using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Gemini;

/// <summary>Canonical <see cref="ChatRequest"/> → Gemini <c>generateContent</c> body (to an upstream), camelCase only (P28).</summary>
public static class GeminiRequestEncoder
{
    /// <summary>Google's documented value for function calls whose history has no Gemini signature (P27). Gemini only.</summary>
    public const string SignatureBypass = "skip_thought_signature_validator";

    private static readonly HashSet<string> ModelledConfig = new(StringComparer.Ordinal)
    {
        "maxOutputTokens", "max_output_tokens", "temperature", "topP", "top_p", "topK", "top_k", "candidateCount", "candidate_count",
        "stopSequences", "stop_sequences", "responseMimeType", "response_mime_type", "responseSchema", "response_schema",
        "responseJsonSchema", "response_json_schema", "thinkingConfig", "thinking_config",
    };

    public static byte[] Encode(ChatRequest req, EncodeOptions options) => J.WriteToBytes(w => Write(w, req, options));

    private static void Write(Utf8JsonWriter w, ChatRequest req, EncodeOptions options)
    {
        var sameFamily = req.SourceProtocol == WireProtocol.Gemini;
        w.WriteStartObject();
        var contents = BuildContents(req, sameFamily);
        w.WriteStartArray("contents");
        foreach (var (role, parts) in contents)
        {
            w.WriteStartObject();
            w.WriteString("role", role);
            w.WriteStartArray("parts");
            foreach (var part in parts)
            {
                part(w);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();

        var systemTexts = req.System.Where(s => !string.IsNullOrWhiteSpace(s.Text)).ToList();
        if (systemTexts.Count > 0)
        {
            w.WriteStartObject("systemInstruction");
            w.WriteStartArray("parts");
            foreach (var s in systemTexts)
            {
                w.WriteStartObject();
                w.WriteString("text", s.Text);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }

        var functions = req.Tools.Where(t => t.HostedRaw is null).ToList();
        var hasFunctions = functions.Count > 0;
        var hosted = req.Tools.Where(t => t.HostedRaw is not null && HostedTools.Plan(t, WireProtocol.Gemini, sameFamily, hasFunctions) != HostedToolPlan.Omit).ToList();
        foreach (var h in hosted.Where(h => HostedTools.Plan(h, WireProtocol.Gemini, sameFamily, hasFunctions) == HostedToolPlan.Refuse))
        {
            throw new ProtocolException($"The hosted tool '{h.Name}' is not available on Gemini upstreams.", "tools");
        }
        if (functions.Count > 0 || hosted.Count > 0)
        {
            w.WriteStartArray("tools");
            if (functions.Count > 0)
            {
                w.WriteStartObject();
                w.WriteStartArray("functionDeclarations");
                foreach (var t in functions)
                {
                    w.WriteStartObject();
                    w.WriteString("name", t.Name);
                    if (t.Description is not null)
                    {
                        w.WriteString("description", t.Description);
                    }
                    if (t.Parameters is { } schema && GeminiSchema.Sanitize(schema) is { } cleaned)
                    {
                        w.WritePropertyName("parameters");
                        cleaned.WriteTo(w);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            foreach (var h in hosted)
            {
                if (HostedTools.Plan(h, WireProtocol.Gemini, sameFamily, hasFunctions) == HostedToolPlan.Equivalent)
                {
                    w.WriteRawValue("""{"googleSearch":{}}""", skipInputValidation: true); // Grounding with Google Search
                    continue;
                }
                h.HostedRaw!.Value.WriteTo(w);
            }
            w.WriteEndArray();
            if (req.ToolChoice is { } tc && functions.Count > 0)
            {
                w.WriteStartObject("toolConfig");
                w.WriteStartObject("functionCallingConfig");
                w.WriteString("mode", tc.Kind switch { ToolChoiceKind.None => "NONE", ToolChoiceKind.Required or ToolChoiceKind.Specific => "ANY", _ => "AUTO" });
                if (tc.Kind == ToolChoiceKind.Specific)
                {
                    w.WriteStartArray("allowedFunctionNames");
                    w.WriteStringValue(tc.Name);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
        }

        WriteGenerationConfig(w, req, options, sameFamily, hasTools: functions.Count > 0);
        if (sameFamily)
        {
            foreach (var (k, v) in req.Extensions)
            {
                if (k != "generationConfig")
                {
                    w.WritePropertyName(k);
                    v.WriteTo(w);
                }
            }
        }
        w.WriteEndObject();
    }

    private static void WriteGenerationConfig(Utf8JsonWriter w, ChatRequest req, EncodeOptions options, bool sameFamily, bool hasTools)
    {
        w.WriteStartObject("generationConfig");
        var max = req.MaxTokens;
        if (max is { } m && options.MaxOutputTokens is { } cap)
        {
            max = Math.Min(m, cap);
        }
        J.WriteOptional(w, "maxOutputTokens", max);
        J.WriteOptional(w, "temperature", req.Temperature is { } t ? Math.Clamp(t, 0, 2) : null);
        J.WriteOptional(w, "topP", req.TopP);
        J.WriteOptional(w, "topK", req.TopK);
        J.WriteOptional(w, "candidateCount", req.N);
        if (req.StopSequences is { Count: > 0 } stops)
        {
            w.WriteStartArray("stopSequences");
            foreach (var s in stops.Take(5))
            {
                w.WriteStringValue(s);
            }
            w.WriteEndArray();
        }
        // JSON mode cannot be combined with function calling (P21): tools win, the format is dropped.
        if (req.ResponseFormat is { Kind: not ResponseFormatKind.Text } rf && !hasTools)
        {
            w.WriteString("responseMimeType", "application/json");
            if (rf.Schema is { } schema && GeminiSchema.Sanitize(schema) is { } cleaned)
            {
                w.WritePropertyName("responseSchema");
                cleaned.WriteTo(w);
            }
        }
        // Cross-family "disabled" simply sends nothing: some Gemini models cannot turn thinking off (budget 0 is a 400).
        if (req.Reasoning is { } r && (r.Mode != ReasoningMode.Disabled || sameFamily))
        {
            w.WriteStartObject("thinkingConfig");
            if (r.Mode == ReasoningMode.Disabled)
            {
                w.WriteNumber("thinkingBudget", 0);
            }
            else
            {
                var budget = r.BudgetTokens ?? r.Effort switch
                {
                    "minimal" => 128,
                    "low" => 1024,
                    "medium" => 2048,
                    "high" => 4096,
                    "xhigh" or "max" => 8192,
                    _ => -1, // adaptive: the model decides
                };
                w.WriteNumber("thinkingBudget", budget);
                w.WriteBoolean("includeThoughts", true);
            }
            w.WriteEndObject();
        }
        if (sameFamily && req.Extensions.TryGetValue("generationConfig", out var raw))
        {
            foreach (var p in raw.EnumerateObject())
            {
                if (!ModelledConfig.Contains(p.Name))
                {
                    p.WriteTo(w);
                }
            }
        }
        w.WriteEndObject();
    }

    /// <summary>
    /// Gemini's turn rules: roles user/model, same-role turns merged, a user turn first (P11), function responses
    /// matched to their calls by name (P10), responses as JSON objects (P31), signatures back on their parts (P27).
    /// </summary>
    private static List<(string Role, List<Action<Utf8JsonWriter>> Parts)> BuildContents(ChatRequest req, bool sameFamily)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var result = new List<(string Role, List<Action<Utf8JsonWriter>> Parts)>();
        foreach (var m in req.Messages)
        {
            var role = m.Role == ChatRole.Assistant ? "model" : "user";
            var parts = new List<Action<Utf8JsonWriter>>();
            var firstCallOfTurn = true;
            // Function responses lead a user turn, like Anthropic's tool results.
            foreach (var part in m.Content.OrderBy(p => p is ToolResultPart ? 0 : 1))
            {
                switch (part)
                {
                    case TextPart t when string.IsNullOrWhiteSpace(t.Text):
                        break;
                    case TextPart t:
                        {
                            var text = m.Role == ChatRole.System ? $"<system>\n{t.Text}\n</system>" : t.Text;
                            var sig = sameFamily ? t.ThoughtSignature : null;
                            parts.Add(w =>
                            {
                                w.WriteStartObject();
                                w.WriteString("text", text);
                                if (sig is not null)
                                {
                                    w.WriteString("thoughtSignature", sig);
                                }
                                w.WriteEndObject();
                            });
                            break;
                        }
                    case ThinkingPart th when sameFamily && role == "model":
                        parts.Add(w =>
                        {
                            w.WriteStartObject();
                            w.WriteString("text", th.Text);
                            w.WriteBoolean("thought", true);
                            if (th.ThoughtSignature is not null)
                            {
                                w.WriteString("thoughtSignature", th.ThoughtSignature);
                            }
                            w.WriteEndObject();
                        });
                        break;
                    case MediaPart media:
                        parts.Add(w => WriteMedia(w, media));
                        break;
                    case ToolCallPart call:
                        {
                            names[call.Id] = call.Name;
                            // Foreign histories have no Gemini signature: the first call of a step carries the bypass value.
                            var sig = call.ThoughtSignature ?? (firstCallOfTurn && !sameFamily ? SignatureBypass : null);
                            firstCallOfTurn = false;
                            parts.Add(w => GeminiToolCalls.WriteFunctionCallPart(w, call, withId: false, sig));
                            break;
                        }
                    case ToolResultPart toolResult:
                        {
                            var name = names.TryGetValue(toolResult.CallId, out var n) ? n : toolResult.CallId;
                            parts.Add(w => WriteFunctionResponse(w, name, toolResult));
                            break;
                        }
                }
            }
            if (parts.Count == 0)
            {
                continue;
            }
            if (result.Count > 0 && result[^1].Role == role)
            {
                result[^1].Parts.AddRange(parts);
            }
            else
            {
                result.Add((role, parts));
            }
        }
        if (result.Count == 0 || result[0].Role != "user")
        {
            result.Insert(0, ("user", [w => { w.WriteStartObject(); w.WriteString("text", "(no content)"); w.WriteEndObject(); }]));
        }
        return result;
    }

    private static void WriteFunctionResponse(Utf8JsonWriter w, string name, ToolResultPart result)
    {
        var text = string.Concat(result.Content.OfType<TextPart>().Select(t => t.Text));
        w.WriteStartObject();
        w.WriteStartObject("functionResponse");
        w.WriteString("name", name);
        w.WritePropertyName("response");
        if (result.IsError)
        {
            w.WriteStartObject();
            w.WriteString("error", text);
            w.WriteEndObject();
        }
        else if (IsJsonObject(text))
        {
            w.WriteRawValue(text, skipInputValidation: true);
        }
        else
        {
            w.WriteStartObject();
            w.WriteString("output", text); // Struct only: anything else is wrapped (P31)
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static bool IsJsonObject(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length == 0 || trimmed[0] != '{')
        {
            return false;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void WriteMedia(Utf8JsonWriter w, MediaPart media)
    {
        w.WriteStartObject();
        if (media.Data is not null)
        {
            w.WriteStartObject("inlineData");
            w.WriteString("mimeType", media.MediaType ?? "application/octet-stream");
            w.WriteString("data", media.Data);
            w.WriteEndObject();
        }
        else
        {
            // Gemini only fetches its own file URIs (Files API, gs://, YouTube); other URLs are refused upstream.
            w.WriteStartObject("fileData");
            if (media.MediaType is not null)
            {
                w.WriteString("mimeType", media.MediaType);
            }
            w.WriteString("fileUri", media.Url);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
