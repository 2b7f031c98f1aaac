using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Gemini;

/// <summary>
/// Gemini <c>generateContent</c> request body (from a client) → canonical <see cref="ChatRequest"/>. Proto-JSON:
/// camelCase and snake_case names are both accepted (P28). Calls without ids get ids by position, and each
/// <c>functionResponse</c> takes the id of the call it answers (same name, in order).
/// </summary>
public static class GeminiRequestDecoder
{
    public static ChatRequest Decode(ReadOnlyMemory<byte> body, string model, bool stream)
    {
        using var doc = J.ParseBody(body);
        var root = J.RequireObject(doc.RootElement, "The request body");
        var req = new ChatRequest { Model = model, Stream = stream, SourceProtocol = WireProtocol.Gemini };
        if (G.Get(root, "systemInstruction", "system_instruction") is { } system)
        {
            foreach (var part in G.Parts(system, "systemInstruction"))
            {
                if (G.Get(part, "text") is { ValueKind: JsonValueKind.String } t)
                {
                    req.System.Add(new TextPart(t.GetString()!));
                }
            }
        }
        if (G.Get(root, "contents") is not { ValueKind: JsonValueKind.Array } contents)
        {
            throw new ProtocolException("* GenerateContentRequest.contents: contents is not specified", "contents");
        }
        var pendingCalls = new List<ToolCallPart>();
        var turn = 0;
        foreach (var content in contents.EnumerateArray())
        {
            var path = $"contents[{turn}]";
            var role = G.Get(content, "role")?.GetString() ?? "user";
            var msg = new ChatMessage(role == "model" ? ChatRole.Assistant : ChatRole.User);
            var ordinal = 0;
            foreach (var part in G.Parts(content, path))
            {
                var p = DecodePart(part, path, turn, ref ordinal, pendingCalls);
                if (p is not null)
                {
                    msg.Content.Add(p);
                }
            }
            if (msg.Role == ChatRole.Assistant)
            {
                pendingCalls = [.. msg.Content.OfType<ToolCallPart>()];
            }
            req.Messages.Add(msg);
            turn++;
        }
        if (turn == 0)
        {
            throw new ProtocolException("* GenerateContentRequest.contents: contents is not specified", "contents");
        }
        DecodeTools(req, root);
        if (G.Get(root, "generationConfig", "generation_config") is { ValueKind: JsonValueKind.Object } gc)
        {
            DecodeGenerationConfig(req, gc);
        }
        foreach (var name in (ReadOnlySpan<string>)["safetySettings", "safety_settings", "cachedContent", "cached_content", "labels"])
        {
            if (root.TryGetProperty(name, out var v))
            {
                req.Extensions[G.Camel(name)] = v.Clone();
            }
        }
        return req;
    }

    private static ContentPart? DecodePart(JsonElement part, string path, int turn, ref int ordinal, List<ToolCallPart> pendingCalls)
    {
        var signature = G.Get(part, "thoughtSignature", "thought_signature")?.GetString();
        if (G.Get(part, "text") is { ValueKind: JsonValueKind.String } text)
        {
            if (G.Get(part, "thought") is { ValueKind: JsonValueKind.True })
            {
                return new ThinkingPart { Text = text.GetString()!, ThoughtSignature = signature };
            }
            return new TextPart(text.GetString()!) { ThoughtSignature = signature };
        }
        if (G.Get(part, "inlineData", "inline_data") is { } inline)
        {
            var mime = G.Get(inline, "mimeType", "mime_type")?.GetString() ?? "application/octet-stream";
            return new MediaPart { MediaType = mime, Data = G.Get(inline, "data")?.GetString() ?? "", IsDocument = !mime.StartsWith("image/", StringComparison.Ordinal) };
        }
        if (G.Get(part, "fileData", "file_data") is { } file)
        {
            var mime = G.Get(file, "mimeType", "mime_type")?.GetString();
            return new MediaPart { Url = G.Get(file, "fileUri", "file_uri")?.GetString() ?? "", MediaType = mime, IsDocument = mime is not null && !mime.StartsWith("image/", StringComparison.Ordinal) };
        }
        if (G.Get(part, "functionCall", "function_call") is { } call)
        {
            var name = G.Get(call, "name")?.GetString() ?? throw new ProtocolException($"{path}.functionCall.name is required.");
            var args = G.Get(call, "args");
            return new ToolCallPart
            {
                Id = G.Get(call, "id")?.GetString() ?? $"call_{turn}_{ordinal++}",
                Name = name,
                ArgumentsJson = args is { ValueKind: JsonValueKind.Object } a ? a.GetRawText() : "{}",
                ThoughtSignature = signature,
            };
        }
        if (G.Get(part, "functionResponse", "function_response") is { } response)
        {
            var name = G.Get(response, "name")?.GetString() ?? "";
            var id = G.Get(response, "id")?.GetString();
            var match = id is not null ? pendingCalls.FirstOrDefault(c => c.Id == id) : pendingCalls.FirstOrDefault(c => c.Name == name);
            if (match is not null)
            {
                pendingCalls.Remove(match);
            }
            var result = new ToolResultPart { CallId = match?.Id ?? id ?? $"call_{name}" };
            var payload = G.Get(response, "response");
            if (payload is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty("error", out var err) && obj.EnumerateObject().Count() == 1)
            {
                result.IsError = true;
                result.Content.Add(new TextPart(err.ValueKind == JsonValueKind.String ? err.GetString()! : err.GetRawText()));
            }
            else if (payload is { ValueKind: JsonValueKind.Object } single && single.EnumerateObject().Count() == 1
                && (single.TryGetProperty("output", out var output) || single.TryGetProperty("result", out output)) && output.ValueKind == JsonValueKind.String)
            {
                result.Content.Add(new TextPart(output.GetString()!));
            }
            else if (payload is { } any)
            {
                result.Content.Add(new TextPart(any.GetRawText()));
            }
            return result;
        }
        return null; // executableCode, codeExecutionResult and future kinds have no canonical form
    }

    private static void DecodeTools(ChatRequest req, JsonElement root)
    {
        if (G.Get(root, "tools") is { ValueKind: JsonValueKind.Array } tools)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                if (G.Get(tool, "functionDeclarations", "function_declarations") is { ValueKind: JsonValueKind.Array } decls)
                {
                    foreach (var d in decls.EnumerateArray())
                    {
                        var schema = G.Get(d, "parametersJsonSchema", "parameters_json_schema") ?? G.Get(d, "parameters");
                        req.Tools.Add(new ToolDefinition
                        {
                            Name = G.Get(d, "name")?.GetString() ?? throw new ProtocolException("functionDeclarations[].name is required.", "tools"),
                            Description = G.Get(d, "description")?.GetString(),
                            Parameters = schema is { } s ? GeminiSchemaToJsonSchema(s) : null,
                        });
                    }
                }
                else
                {
                    var kind = tool.EnumerateObject().FirstOrDefault().Name ?? "tool";
                    req.Tools.Add(new ToolDefinition { Name = kind, HostedRaw = tool.Clone(), HostedFamily = WireProtocol.Gemini });
                }
            }
        }
        if (G.Get(root, "toolConfig", "tool_config") is { } tc && G.Get(tc, "functionCallingConfig", "function_calling_config") is { } fcc)
        {
            var mode = G.Get(fcc, "mode")?.GetString() ?? "AUTO";
            var allowed = G.Get(fcc, "allowedFunctionNames", "allowed_function_names");
            var names = allowed is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray().Select(n => n.GetString()!).ToList() : [];
            req.ToolChoice = mode switch
            {
                "NONE" => new ToolChoice(ToolChoiceKind.None),
                "ANY" when names.Count == 1 => new ToolChoice(ToolChoiceKind.Specific, names[0]),
                "ANY" => new ToolChoice(ToolChoiceKind.Required),
                _ => new ToolChoice(ToolChoiceKind.Auto),
            };
        }
    }

    /// <summary>Gemini schemas are JSON Schema once types are lower-cased and <c>nullable</c> becomes a type union.</summary>
    private static JsonElement GeminiSchemaToJsonSchema(JsonElement schema)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(schema.GetRawText());
        Lower(node);
        return JsonSerializer.SerializeToElement(node, GeminiJson.Default.JsonNode);

        static void Lower(System.Text.Json.Nodes.JsonNode? n)
        {
            if (n is System.Text.Json.Nodes.JsonObject o)
            {
                if (o["type"] is System.Text.Json.Nodes.JsonValue t && t.TryGetValue<string>(out var type))
                {
                    var lower = type.ToLowerInvariant();
                    o["type"] = o["nullable"]?.GetValue<bool>() == true ? new System.Text.Json.Nodes.JsonArray(lower, "null") : lower;
                    o.Remove("nullable");
                }
                foreach (var (_, v) in o.ToList())
                {
                    Lower(v);
                }
            }
            else if (n is System.Text.Json.Nodes.JsonArray arr)
            {
                foreach (var v in arr)
                {
                    Lower(v);
                }
            }
        }
    }

    private static void DecodeGenerationConfig(ChatRequest req, JsonElement gc)
    {
        req.MaxTokens = G.Int(gc, "maxOutputTokens", "max_output_tokens");
        req.Temperature = G.Num(gc, "temperature");
        req.TopP = G.Num(gc, "topP", "top_p");
        req.TopK = G.Int(gc, "topK", "top_k");
        req.N = G.Int(gc, "candidateCount", "candidate_count");
        if (G.Get(gc, "stopSequences", "stop_sequences") is { ValueKind: JsonValueKind.Array } stops)
        {
            req.StopSequences = [.. stops.EnumerateArray().Select(s => s.GetString()!)];
        }
        var mime = G.Get(gc, "responseMimeType", "response_mime_type")?.GetString();
        var schema = G.Get(gc, "responseJsonSchema", "response_json_schema") ?? G.Get(gc, "responseSchema", "response_schema");
        if (mime == "application/json")
        {
            req.ResponseFormat = schema is { } s
                ? new ResponseFormat(ResponseFormatKind.JsonSchema, "response", GeminiSchemaToJsonSchema(s))
                : new ResponseFormat(ResponseFormatKind.JsonObject);
        }
        if (G.Get(gc, "thinkingConfig", "thinking_config") is { } tc)
        {
            var budget = G.Int(tc, "thinkingBudget", "thinking_budget");
            var level = G.Get(tc, "thinkingLevel", "thinking_level")?.GetString();
            req.Reasoning = new ReasoningOptions
            {
                Mode = budget == 0 ? ReasoningMode.Disabled : budget is null or -1 && level is null ? ReasoningMode.Adaptive : ReasoningMode.Enabled,
                BudgetTokens = budget is > 0 ? budget : null,
                Effort = level?.ToLowerInvariant(),
            };
        }
        // Same family: knobs without a canonical field (seed, penalties, logprobs, modalities…) survive via the raw object.
        req.Extensions["generationConfig"] = gc.Clone();
    }
}

/// <summary>Proto-JSON accessors: a field by its camelCase or snake_case name.</summary>
internal static class G
{
    public static JsonElement? Get(JsonElement obj, string camel, string? snake = null)
    {
        if (obj.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (obj.TryGetProperty(camel, out var v) && v.ValueKind != JsonValueKind.Null)
        {
            return v;
        }
        snake ??= Snake(camel);
        return snake != camel && obj.TryGetProperty(snake, out v) && v.ValueKind != JsonValueKind.Null ? v : null;
    }

    /// <summary>The parts of a Content: a list of Part objects (a string or a lone object there is a 400, as Google answers).</summary>
    public static List<JsonElement> Parts(JsonElement content, string path)
    {
        if (content.ValueKind != JsonValueKind.Object)
        {
            throw new ProtocolException($"Invalid value at '{path}': must be a Content object with 'parts'.", path);
        }
        if (Get(content, "parts") is not { } parts)
        {
            return [];
        }
        if (parts.ValueKind != JsonValueKind.Array)
        {
            throw new ProtocolException($"Invalid value at '{path}.parts': must be a list of Part objects.", path + ".parts");
        }
        var list = new List<JsonElement>(parts.GetArrayLength());
        var i = 0;
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object)
            {
                throw new ProtocolException($"Invalid value at '{path}.parts[{i}]': must be a Part object.", $"{path}.parts[{i}]");
            }
            list.Add(part);
            i++;
        }
        return list;
    }

    public static int? Int(JsonElement obj, string camel, string? snake = null) =>
        Get(obj, camel, snake) is { ValueKind: JsonValueKind.Number } n && n.TryGetInt32(out var i) ? i : null;

    public static double? Num(JsonElement obj, string camel, string? snake = null) =>
        Get(obj, camel, snake) is { ValueKind: JsonValueKind.Number } n ? n.GetDouble() : null;

    public static string Snake(string camel)
    {
        var sb = new System.Text.StringBuilder(camel.Length + 4);
        foreach (var ch in camel)
        {
            if (char.IsAsciiLetterUpper(ch))
            {
                sb.Append('_').Append(char.ToLowerInvariant(ch));
            }
            else
            {
                sb.Append(ch);
            }
        }
        return sb.ToString();
    }

    public static string Camel(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length);
        var upper = false;
        foreach (var ch in name)
        {
            if (ch == '_')
            {
                upper = true;
                continue;
            }
            sb.Append(upper ? char.ToUpperInvariant(ch) : ch);
            upper = false;
        }
        return sb.ToString();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))]
internal sealed partial class GeminiJson : System.Text.Json.Serialization.JsonSerializerContext;
