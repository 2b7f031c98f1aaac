using System.Text.Json;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.OpenAI;

/// <summary>OpenAI Chat Completions request body (from a client) → canonical <see cref="ChatRequest"/>.</summary>
public static class OpenAIRequestDecoder
{
    private static readonly HashSet<string> Modelled = new(StringComparer.Ordinal)
    {
        "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "max_tokens", "max_completion_tokens",
        "temperature", "top_p", "stop", "stream", "stream_options", "reasoning_effort", "response_format", "user", "n",
        "functions", "function_call",
    };

    public static ChatRequest Decode(ReadOnlyMemory<byte> body)
    {
        using var doc = J.ParseBody(body);
        var root = J.RequireObject(doc.RootElement, "The request body");
        var req = new ChatRequest { Model = J.RequireStr(root, "model", "model"), SourceProtocol = WireProtocol.OpenAI };
        if (!J.Has(root, "messages", out var messages))
        {
            throw new ProtocolException("'messages' is required.", "messages");
        }
        var index = 0;
        foreach (var m in J.Arr(messages, "messages"))
        {
            DecodeMessage(req, m, $"messages[{index++}]");
        }
        if (index == 0)
        {
            throw new ProtocolException("'messages' must contain at least one message.", "messages");
        }
        DecodeTools(req, root);
        req.MaxTokens = J.Int(root, "max_completion_tokens", "max_completion_tokens") ?? J.Int(root, "max_tokens", "max_tokens");
        req.Temperature = J.Num(root, "temperature", "temperature");
        req.TopP = J.Num(root, "top_p", "top_p");
        req.N = J.Int(root, "n", "n");
        req.Stream = J.Bool(root, "stream", "stream") ?? false;
        if (J.Has(root, "stream_options", out var so) && so.ValueKind == JsonValueKind.Object)
        {
            req.StreamIncludeUsage = J.Bool(so, "include_usage", "stream_options.include_usage") ?? false;
        }
        if (J.Has(root, "stop", out var stop))
        {
            req.StopSequences = stop.ValueKind switch
            {
                JsonValueKind.String => [stop.GetString()!],
                JsonValueKind.Array => [.. stop.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.String ? s.GetString()! : throw new ProtocolException("'stop' must be a string or an array of strings.", "stop"))],
                _ => throw new ProtocolException("'stop' must be a string or an array of strings.", "stop"),
            };
        }
        if (J.Str(root, "reasoning_effort", "reasoning_effort") is { } effort)
        {
            req.Reasoning = new ReasoningOptions { Mode = effort == "none" ? ReasoningMode.Disabled : ReasoningMode.Enabled, Effort = effort };
        }
        if (J.Has(root, "response_format", out var rf))
        {
            req.ResponseFormat = DecodeResponseFormat(rf);
        }
        req.UserId = J.Str(root, "user", "user");
        foreach (var p in root.EnumerateObject())
        {
            if (!Modelled.Contains(p.Name))
            {
                req.Extensions[p.Name] = p.Value.Clone();
            }
        }
        return req;
    }

    private static void DecodeMessage(ChatRequest req, JsonElement m, string path)
    {
        J.RequireObject(m, path);
        var role = J.RequireStr(m, "role", path + ".role");
        switch (role)
        {
            case "system" or "developer":
                req.AddInstructions(DecodeTextOnly(m, path));
                break;
            case "user":
                {
                    var msg = new ChatMessage(ChatRole.User);
                    DecodeUserContent(msg.Content, m, path);
                    req.Messages.Add(msg);
                    break;
                }
            case "assistant":
                req.Messages.Add(DecodeAssistant(m, path));
                break;
            case "tool" or "function":
                {
                    var callId = role == "tool"
                        ? J.RequireStr(m, "tool_call_id", path + ".tool_call_id")
                        : J.Str(m, "name", path + ".name") ?? "function";
                    var result = new ToolResultPart { CallId = callId };
                    result.Content.AddRange(DecodeTextOnly(m, path));
                    // Consecutive tool messages answer one assistant turn: one user message carries them all (P10).
                    if (req.Messages.Count > 0 && req.Messages[^1] is { Role: ChatRole.User } last && last.Content.All(c => c is ToolResultPart))
                    {
                        last.Content.Add(result);
                    }
                    else
                    {
                        var msg = new ChatMessage(ChatRole.User);
                        msg.Content.Add(result);
                        req.Messages.Add(msg);
                    }
                    break;
                }
            default:
                throw new ProtocolException($"'{path}.role' has an unknown value '{role}'.", path + ".role");
        }
    }

    private static List<TextPart> DecodeTextOnly(JsonElement m, string path)
    {
        var list = new List<TextPart>();
        if (!J.Has(m, "content", out var content))
        {
            return list;
        }
        if (content.ValueKind == JsonValueKind.String)
        {
            list.Add(new TextPart(content.GetString()!));
            return list;
        }
        var i = 0;
        foreach (var part in J.Arr(content, path + ".content"))
        {
            var p = $"{path}.content[{i++}]";
            var type = J.Str(part, "type", p + ".type");
            if (type is not null and not "text")
            {
                throw new ProtocolException($"'{p}.type' must be 'text' in this message.", p + ".type");
            }
            list.Add(new TextPart(J.RequireStr(part, "text", p + ".text")) { CacheControl = CacheControlOf(part) });
        }
        return list;
    }

    private static void DecodeUserContent(List<ContentPart> target, JsonElement m, string path)
    {
        if (!J.Has(m, "content", out var content))
        {
            throw new ProtocolException($"'{path}.content' is required.", path + ".content");
        }
        if (content.ValueKind == JsonValueKind.String)
        {
            target.Add(new TextPart(content.GetString()!));
            return;
        }
        var i = 0;
        foreach (var part in J.Arr(content, path + ".content"))
        {
            var p = $"{path}.content[{i++}]";
            J.RequireObject(part, p);
            var type = J.RequireStr(part, "type", p + ".type");
            switch (type)
            {
                case "text":
                    target.Add(new TextPart(J.RequireStr(part, "text", p + ".text")) { CacheControl = CacheControlOf(part) });
                    break;
                case "image_url":
                    {
                        if (!J.Has(part, "image_url"u8, out var img) || img.ValueKind is not (JsonValueKind.String or JsonValueKind.Object))
                        {
                            throw new ProtocolException($"'{p}.image_url' is required: a URL string or an object with 'url'.", p + ".image_url");
                        }
                        var url = img.ValueKind == JsonValueKind.String ? img.GetString()! : J.RequireStr(img, "url", p + ".image_url.url");
                        var image = DataUrl.ToMediaPart(url, img.ValueKind == JsonValueKind.Object ? J.Str(img, "detail", p + ".image_url.detail") : null, isDocument: false);
                        image.CacheControl = CacheControlOf(part);
                        target.Add(image);
                        break;
                    }
                case "file":
                    {
                        if (!J.Has(part, "file", out var file))
                        {
                            throw new ProtocolException($"'{p}.file' is required.", p + ".file");
                        }
                        var data = J.Str(file, "file_data", p + ".file.file_data")
                            ?? throw new ProtocolException($"'{p}.file': only inline 'file_data' can be translated; provider file ids do not cross providers.", p + ".file");
                        var document = DataUrl.ToMediaPart(data, null, isDocument: true, J.Str(file, "filename", p + ".file.filename"));
                        document.CacheControl = CacheControlOf(part);
                        target.Add(document);
                        break;
                    }
                default:
                    throw new ProtocolException($"Content part type '{type}' at '{p}' is not supported.", p + ".type");
            }
        }
    }

    private static ChatMessage DecodeAssistant(JsonElement m, string path)
    {
        var msg = new ChatMessage(ChatRole.Assistant);
        // litellm's de-facto extension carries Anthropic thinking blocks through OpenAI-shaped history (P8).
        if (J.Has(m, "thinking_blocks", out var blocks) && blocks.ValueKind == JsonValueKind.Array)
        {
            foreach (var b in blocks.EnumerateArray())
            {
                switch (J.Str(b, "type", path + ".thinking_blocks.type"))
                {
                    case "thinking":
                        msg.Content.Add(new ThinkingPart { Text = J.Str(b, "thinking", path) ?? "", Signature = J.Str(b, "signature", path) });
                        break;
                    case "redacted_thinking":
                        msg.Content.Add(new RedactedThinkingPart { Data = J.Str(b, "data", path) ?? "" });
                        break;
                }
            }
        }
        else if (J.Str(m, "reasoning_content", path + ".reasoning_content") is { Length: > 0 } reasoning)
        {
            msg.Content.Add(new ThinkingPart { Text = reasoning });
        }
        if (J.Has(m, "content", out var content))
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                msg.Content.Add(new TextPart(content.GetString()!));
            }
            else
            {
                var i = 0;
                foreach (var part in J.Arr(content, path + ".content"))
                {
                    var p = $"{path}.content[{i++}]";
                    var type = J.Str(part, "type", p + ".type");
                    var text = type == "refusal" ? J.Str(part, "refusal", p + ".refusal") : J.Str(part, "text", p + ".text");
                    msg.Content.Add(new TextPart(text ?? "") { CacheControl = CacheControlOf(part) });
                }
            }
        }
        if (J.Has(m, "tool_calls", out var calls))
        {
            var i = 0;
            foreach (var call in J.Arr(calls, path + ".tool_calls"))
            {
                var p = $"{path}.tool_calls[{i++}]";
                if (!J.Has(call, "function", out var fn))
                {
                    throw new ProtocolException($"'{p}.function' is required.", p + ".function");
                }
                msg.Content.Add(new ToolCallPart
                {
                    Id = J.RequireStr(call, "id", p + ".id"),
                    Name = J.RequireStr(fn, "name", p + ".function.name"),
                    ArgumentsJson = J.NormalizeArguments(J.Str(fn, "arguments", p + ".function.arguments")),
                    ThoughtSignature = GoogleSignature(call),
                });
            }
        }
        else if (J.Has(m, "function_call", out var legacy))
        {
            var name = J.RequireStr(legacy, "name", path + ".function_call.name");
            msg.Content.Add(new ToolCallPart { Id = name, Name = name, ArgumentsJson = J.NormalizeArguments(J.Str(legacy, "arguments", path)) });
        }
        return msg;
    }

    private static void DecodeTools(ChatRequest req, JsonElement root)
    {
        if (J.Has(root, "tools", out var tools))
        {
            var i = 0;
            foreach (var t in J.Arr(tools, "tools"))
            {
                var p = $"tools[{i++}]";
                var type = J.Str(t, "type", p + ".type") ?? "function";
                if (type != "function")
                {
                    req.Tools.Add(new ToolDefinition { Name = type, HostedRaw = t.Clone(), HostedFamily = WireProtocol.OpenAI });
                    continue;
                }
                if (!J.Has(t, "function", out var fn))
                {
                    throw new ProtocolException($"'{p}.function' is required.", p + ".function");
                }
                req.Tools.Add(new ToolDefinition
                {
                    Name = J.RequireStr(fn, "name", p + ".function.name"),
                    Description = J.Str(fn, "description", p + ".function.description"),
                    Parameters = J.Has(fn, "parameters", out var ps) ? ps.Clone() : null,
                    Strict = J.Bool(fn, "strict", p + ".function.strict"),
                    CacheControl = CacheControlOf(t),
                });
            }
        }
        else if (J.Has(root, "functions", out var functions))
        {
            foreach (var fn in J.Arr(functions, "functions"))
            {
                req.Tools.Add(new ToolDefinition
                {
                    Name = J.RequireStr(fn, "name", "functions.name"),
                    Description = J.Str(fn, "description", "functions.description"),
                    Parameters = J.Has(fn, "parameters", out var ps) ? ps.Clone() : null,
                });
            }
        }

        var disableParallel = J.Bool(root, "parallel_tool_calls", "parallel_tool_calls") == false;
        if (J.Has(root, "tool_choice", out var tc) || J.Has(root, "function_call", out tc))
        {
            req.ToolChoice = tc.ValueKind switch
            {
                JsonValueKind.String => NamedToolChoice(tc.GetString()),
                JsonValueKind.Object => DecodeToolChoiceObject(tc),
                _ => throw new ProtocolException("'tool_choice' must be a string or an object.", "tool_choice"),
            };
        }
        if (disableParallel)
        {
            req.ToolChoice = (req.ToolChoice ?? new ToolChoice(ToolChoiceKind.Auto)) with { DisableParallel = true };
        }
    }

    /// <summary>OpenAI's string tool choices (Chat Completions and Responses alike).</summary>
    internal static ToolChoice NamedToolChoice(string? value) => value switch
    {
        "auto" => new ToolChoice(ToolChoiceKind.Auto),
        "none" => new ToolChoice(ToolChoiceKind.None),
        "required" => new ToolChoice(ToolChoiceKind.Required),
        var other => throw new ProtocolException($"'tool_choice' has an unknown value '{other}'.", "tool_choice"),
    };

    private static ToolChoice DecodeToolChoiceObject(JsonElement tc)
    {
        var type = J.Str(tc, "type", "tool_choice.type");
        if (type == "allowed_tools" && J.Has(tc, "allowed_tools", out var allowed))
        {
            return new ToolChoice(J.Str(allowed, "mode", "tool_choice.allowed_tools.mode") == "required" ? ToolChoiceKind.Required : ToolChoiceKind.Auto);
        }
        if (J.Has(tc, "function", out var fn))
        {
            return new ToolChoice(ToolChoiceKind.Specific, J.RequireStr(fn, "name", "tool_choice.function.name"));
        }
        if (J.Str(tc, "name", "tool_choice.name") is { } name)
        {
            return new ToolChoice(ToolChoiceKind.Specific, name);
        }
        throw new ProtocolException("'tool_choice' object must name a function.", "tool_choice");
    }

    private static ResponseFormat DecodeResponseFormat(JsonElement rf)
    {
        var type = J.RequireStr(rf, "type", "response_format.type");
        return type switch
        {
            "text" => new ResponseFormat(ResponseFormatKind.Text),
            "json_object" => new ResponseFormat(ResponseFormatKind.JsonObject),
            "json_schema" when J.Has(rf, "json_schema", out var js) => new ResponseFormat(
                ResponseFormatKind.JsonSchema,
                J.Str(js, "name", "response_format.json_schema.name"),
                J.Has(js, "schema", out var schema) ? schema.Clone() : null,
                J.Bool(js, "strict", "response_format.json_schema.strict")),
            _ => throw new ProtocolException($"'response_format.type' value '{type}' is not supported.", "response_format.type"),
        };
    }

    /// <summary>Gemini's thought signature carried through OpenAI-shaped history (<c>extra_content.google.thought_signature</c>, P27).</summary>
    internal static string? GoogleSignature(JsonElement call) =>
        J.Has(call, "extra_content", out var extra) && J.Has(extra, "google", out var google) && J.Has(google, "thought_signature", out var sig) && sig.ValueKind == JsonValueKind.String
            ? sig.GetString()
            : null;

    internal static void WriteGoogleSignature(Utf8JsonWriter w, string? signature)
    {
        if (signature is null)
        {
            return;
        }
        w.WriteStartObject("extra_content");
        w.WriteStartObject("google");
        w.WriteString("thought_signature", signature);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static JsonElement? CacheControlOf(JsonElement part) =>
        J.Has(part, "cache_control", out var cc) ? cc.Clone() : null;
}
