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
            var parts = G.Parts(system, "systemInstruction");
            for (var i = 0; i < parts.Count; i++)
            {
                if (G.Str(parts[i], "text", $"systemInstruction.parts[{i}]") is { } t)
                {
                    req.System.Add(new TextPart(t));
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
            var parts = G.Parts(content, path);
            var role = G.Str(content, "role", path) ?? "user";
            var msg = new ChatMessage(role switch
            {
                "model" => ChatRole.Assistant,
                // "function" is how older clients sent function responses; Google still takes it
                "user" or "" or "function" => ChatRole.User,
                _ => throw new ProtocolException($"Please use a valid role: user, model. ('{path}.role' is '{role}')", path + ".role"),
            });
            var ordinal = 0;
            for (var i = 0; i < parts.Count; i++)
            {
                var p = DecodePart(parts[i], $"{path}.parts[{i}]", turn, ref ordinal, pendingCalls);
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
        if (G.Obj(root, "generationConfig", "", "generation_config") is { } gc)
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
        var signature = G.Str(part, "thoughtSignature", path, "thought_signature");
        if (G.Str(part, "text", path) is { } text)
        {
            if (G.Bool(part, "thought", path) == true)
            {
                return new ThinkingPart { Text = text, ThoughtSignature = signature };
            }
            return new TextPart(text) { ThoughtSignature = signature };
        }
        if (G.Obj(part, "inlineData", path, "inline_data") is { } inline)
        {
            var at = path + ".inlineData";
            var mime = G.Str(inline, "mimeType", at, "mime_type") ?? "application/octet-stream";
            return new MediaPart { MediaType = mime, Data = G.Str(inline, "data", at) ?? "", IsDocument = !mime.StartsWith("image/", StringComparison.Ordinal) };
        }
        if (G.Obj(part, "fileData", path, "file_data") is { } file)
        {
            var at = path + ".fileData";
            var mime = G.Str(file, "mimeType", at, "mime_type");
            return new MediaPart { Url = G.Str(file, "fileUri", at, "file_uri") ?? "", MediaType = mime, IsDocument = mime is not null && !mime.StartsWith("image/", StringComparison.Ordinal) };
        }
        if (G.Obj(part, "functionCall", path, "function_call") is { } call)
        {
            var at = path + ".functionCall";
            var name = G.Str(call, "name", at) ?? throw new ProtocolException($"{at}.name is required.", at + ".name");
            var args = G.Obj(call, "args", at);
            return new ToolCallPart
            {
                Id = G.Str(call, "id", at) ?? $"call_{turn}_{ordinal++}",
                Name = name,
                ArgumentsJson = args is { } a ? a.GetRawText() : "{}",
                ThoughtSignature = signature,
            };
        }
        if (G.Obj(part, "functionResponse", path, "function_response") is { } response)
        {
            var at = path + ".functionResponse";
            var name = G.Str(response, "name", at) ?? "";
            var id = G.Str(response, "id", at);
            var match = id is not null ? pendingCalls.FirstOrDefault(c => c.Id == id) : pendingCalls.FirstOrDefault(c => c.Name == name);
            if (match is not null)
            {
                pendingCalls.Remove(match);
            }
            var result = new ToolResultPart { CallId = match?.Id ?? id ?? $"call_{name}" };
            var payload = G.Obj(response, "response", at);
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
        if (G.Arr(root, "tools", "") is { } tools)
        {
            var t = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var at = $"tools[{t++}]";
                if (tool.ValueKind != JsonValueKind.Object)
                {
                    throw G.Invalid(at, "Tool", tool);
                }
                if (G.Arr(tool, "functionDeclarations", at, "function_declarations") is { } decls)
                {
                    var i = 0;
                    foreach (var d in decls.EnumerateArray())
                    {
                        var dat = $"{at}.functionDeclarations[{i++}]";
                        if (d.ValueKind != JsonValueKind.Object)
                        {
                            throw G.Invalid(dat, "FunctionDeclaration", d);
                        }
                        // parametersJsonSchema is a protobuf Value (any JSON); parameters a Schema message.
                        var schema = G.Get(d, "parametersJsonSchema", "parameters_json_schema") ?? G.Obj(d, "parameters", dat);
                        req.Tools.Add(new ToolDefinition
                        {
                            Name = G.Str(d, "name", dat) ?? throw new ProtocolException($"{dat}.name is required.", dat + ".name"),
                            Description = G.Str(d, "description", dat),
                            Parameters = schema is { } s ? GeminiSchemaToJsonSchema(s) : null,
                        });
                    }
                }
                else if (tool.EnumerateObject().Select(p => p.Name).FirstOrDefault() is { } kind)
                {
                    req.Tools.Add(new ToolDefinition
                    {
                        Name = kind,
                        HostedRaw = tool.Clone(),
                        HostedFamily = WireProtocol.Gemini,
                        HostedKind = kind is "googleSearch" or "google_search" ? HostedToolKind.WebSearch : HostedToolKind.Other,
                    });
                }
                // An empty Tool object declares nothing.
            }
        }
        if (G.Obj(root, "toolConfig", "", "tool_config") is { } tc && G.Obj(tc, "functionCallingConfig", "toolConfig", "function_calling_config") is { } fcc)
        {
            const string at = "toolConfig.functionCallingConfig";
            var mode = G.Str(fcc, "mode", at) ?? "AUTO";
            var names = G.Strings(fcc, "allowedFunctionNames", at, "allowed_function_names");
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
                    var nullable = o["nullable"] is System.Text.Json.Nodes.JsonValue flag && flag.TryGetValue<bool>(out var isNullable) && isNullable;
                    o["type"] = nullable ? new System.Text.Json.Nodes.JsonArray(lower, "null") : lower;
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
        const string at = "generationConfig";
        req.MaxTokens = G.IntField(gc, "maxOutputTokens", at, "max_output_tokens");
        req.Temperature = G.NumField(gc, "temperature", at);
        req.TopP = G.NumField(gc, "topP", at, "top_p");
        req.TopK = G.IntField(gc, "topK", at, "top_k");
        req.N = G.IntField(gc, "candidateCount", at, "candidate_count");
        if (G.Get(gc, "stopSequences", "stop_sequences") is not null)
        {
            req.StopSequences = G.Strings(gc, "stopSequences", at, "stop_sequences");
        }
        var mime = G.Str(gc, "responseMimeType", at, "response_mime_type");
        var schema = G.Get(gc, "responseJsonSchema", "response_json_schema") ?? G.Obj(gc, "responseSchema", at, "response_schema");
        if (mime == "application/json")
        {
            req.ResponseFormat = schema is { } s
                ? new ResponseFormat(ResponseFormatKind.JsonSchema, "response", GeminiSchemaToJsonSchema(s))
                : new ResponseFormat(ResponseFormatKind.JsonObject);
        }
        if (G.Obj(gc, "thinkingConfig", at, "thinking_config") is { } tc)
        {
            var budget = G.IntField(tc, "thinkingBudget", "generationConfig.thinkingConfig", "thinking_budget");
            var level = G.Str(tc, "thinkingLevel", "generationConfig.thinkingConfig", "thinking_level");
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

    // Typed request fields: absent (or null) is null; any other JSON type is Google's own 400, naming the field.
    // Proto-JSON also takes numbers as strings ("5"), so those are read too.

    public static string? Str(JsonElement obj, string camel, string path, string? snake = null) =>
        Get(obj, camel, snake) is not { } v ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : throw Invalid(Field(path, camel), "TYPE_STRING", v);

    public static bool? Bool(JsonElement obj, string camel, string path, string? snake = null) =>
        Get(obj, camel, snake) is not { } v ? null
        : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean()
        : throw Invalid(Field(path, camel), "TYPE_BOOL", v);

    public static JsonElement? Obj(JsonElement obj, string camel, string path, string? snake = null) =>
        Get(obj, camel, snake) is not { } v ? null
        : v.ValueKind == JsonValueKind.Object ? v
        : throw Invalid(Field(path, camel), "TYPE_MESSAGE", v);

    public static JsonElement? Arr(JsonElement obj, string camel, string path, string? snake = null) =>
        Get(obj, camel, snake) is not { } v ? null
        : v.ValueKind == JsonValueKind.Array ? v
        : throw Invalid(Field(path, camel), "TYPE_LIST", v);

    public static List<string> Strings(JsonElement obj, string camel, string path, string? snake = null)
    {
        var list = new List<string>();
        if (Arr(obj, camel, path, snake) is { } items)
        {
            foreach (var item in items.EnumerateArray())
            {
                list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Invalid($"{Field(path, camel)}[{list.Count}]", "TYPE_STRING", item));
            }
        }
        return list;
    }

    public static int? IntField(JsonElement obj, string camel, string path, string? snake = null) =>
        Get(obj, camel, snake) is not { } v ? null
        : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i
        : v.ValueKind == JsonValueKind.String && int.TryParse(v.GetString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out i) ? i
        : throw Invalid(Field(path, camel), "TYPE_INT32", v);

    public static double? NumField(JsonElement obj, string camel, string path, string? snake = null) =>
        Get(obj, camel, snake) is not { } v ? null
        : v.ValueKind == JsonValueKind.Number ? v.GetDouble()
        : v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d
        : throw Invalid(Field(path, camel), "TYPE_DOUBLE", v);

    /// <summary>Google's wording: <c>Invalid value at 'contents[0].role' (TYPE_STRING), [1]</c>.</summary>
    public static ProtocolException Invalid(string field, string expected, JsonElement got)
    {
        var raw = got.GetRawText();
        return new ProtocolException($"Invalid value at '{field}' ({expected}), {(raw.Length > 40 ? raw[..40] + "…" : raw)}", field);
    }

    private static string Field(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>Lenient (upstream answers): a string, or null when absent or of another type.</summary>
    public static string? Text(JsonElement obj, string camel, string? snake = null) =>
        Get(obj, camel, snake) is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;

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
