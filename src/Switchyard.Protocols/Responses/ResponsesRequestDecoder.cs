using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Responses;

/// <summary>OpenAI Responses request body (from a client) → canonical <see cref="ChatRequest"/> (MAPPING §15).</summary>
public static class ResponsesRequestDecoder
{
    private static readonly HashSet<string> Modelled = new(StringComparer.Ordinal)
    {
        "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens", "temperature",
        "top_p", "stream", "reasoning", "text", "user", "safety_identifier",
    };

    /// <summary>Outputs of hosted tools a client may replay in its history: no other upstream can take them, they are left out.</summary>
    private static readonly HashSet<string> HostedCallItems = new(StringComparer.Ordinal)
    {
        "web_search_call", "file_search_call", "code_interpreter_call", "image_generation_call", "computer_call",
        "computer_call_output", "local_shell_call", "local_shell_call_output", "shell_call", "shell_call_output",
        "apply_patch_call", "apply_patch_call_output", "mcp_call", "mcp_list_tools", "mcp_approval_request",
        "mcp_approval_response", "tool_search_call", "tool_search_output", "compaction",
    };

    public static ChatRequest Decode(ReadOnlyMemory<byte> body)
    {
        using var doc = J.ParseBody(body);
        var root = J.RequireObject(doc.RootElement, "The request body");
        var req = new ChatRequest { Model = J.RequireStr(root, "model", "model"), SourceProtocol = WireProtocol.Responses };
        if (J.Str(root, "instructions", "instructions") is { Length: > 0 } instructions)
        {
            req.System.Add(new TextPart(instructions));
        }
        if (!J.Has(root, "input", out var input))
        {
            throw new ProtocolException("'input' is required.", "input");
        }
        if (input.ValueKind == JsonValueKind.String)
        {
            var msg = new ChatMessage(ChatRole.User);
            msg.Content.Add(new TextPart(input.GetString()!));
            req.Messages.Add(msg);
        }
        else
        {
            var index = 0;
            foreach (var item in J.Arr(input, "input"))
            {
                DecodeItem(req, item, $"input[{index++}]");
            }
        }
        if (req.Messages.Count == 0)
        {
            throw new ProtocolException("'input' must contain at least one message or item.", "input");
        }
        DecodeTools(req, root);
        req.MaxTokens = J.Int(root, "max_output_tokens", "max_output_tokens");
        req.Temperature = J.Num(root, "temperature", "temperature");
        req.TopP = J.Num(root, "top_p", "top_p");
        req.Stream = J.Bool(root, "stream", "stream") ?? false;
        req.StreamIncludeUsage = true;
        if (J.Has(root, "reasoning", out var reasoning) && J.Str(reasoning, "effort", "reasoning.effort") is { } effort)
        {
            req.Reasoning = new ReasoningOptions { Mode = effort == "none" ? ReasoningMode.Disabled : ReasoningMode.Enabled, Effort = effort };
        }
        if (J.Has(root, "text", out var text) && J.Has(text, "format", out var format))
        {
            req.ResponseFormat = DecodeFormat(format);
        }
        req.UserId = J.Str(root, "safety_identifier", "safety_identifier") ?? J.Str(root, "user", "user");
        foreach (var p in root.EnumerateObject())
        {
            if (!Modelled.Contains(p.Name))
            {
                req.Extensions[p.Name] = p.Value.Clone();
            }
        }
        return req;
    }

    private static void DecodeItem(ChatRequest req, JsonElement item, string path)
    {
        J.RequireObject(item, path);
        var type = J.Str(item, "type", path + ".type") ?? (J.Has(item, "role", out _) ? "message" : null);
        switch (type)
        {
            case "message":
                DecodeMessage(req, item, path);
                break;
            case "function_call":
                {
                    var name = ResponsesTools.Flatten(J.Str(item, "namespace", path + ".namespace"), J.RequireStr(item, "name", path + ".name"));
                    AssistantTurn(req).Content.Add(new ToolCallPart
                    {
                        Id = J.RequireStr(item, "call_id", path + ".call_id"),
                        Name = name,
                        ArgumentsJson = J.NormalizeArguments(J.Str(item, "arguments", path + ".arguments")),
                    });
                    break;
                }
            case "custom_tool_call":
                {
                    var name = ResponsesTools.Flatten(J.Str(item, "namespace", path + ".namespace"), J.RequireStr(item, "name", path + ".name"));
                    AssistantTurn(req).Content.Add(new ToolCallPart
                    {
                        Id = J.RequireStr(item, "call_id", path + ".call_id"),
                        Name = name,
                        ArgumentsJson = CustomArguments(J.Str(item, "input", path + ".input") ?? ""),
                    });
                    break;
                }
            case "function_call_output" or "custom_tool_call_output":
                {
                    var result = new ToolResultPart { CallId = J.RequireStr(item, "call_id", path + ".call_id") };
                    if (J.Has(item, "output", out var output))
                    {
                        if (output.ValueKind == JsonValueKind.String)
                        {
                            result.Content.Add(new TextPart(output.GetString()!));
                        }
                        else
                        {
                            DecodeInputContent(result.Content, output, path + ".output");
                        }
                    }
                    ToolResultTurn(req).Content.Add(result);
                    break;
                }
            case "reasoning":
                {
                    var summary = "";
                    if (J.Has(item, "summary", out var parts))
                    {
                        summary = string.Join("\n\n", J.Arr(parts, path + ".summary").Select(s => J.Str(s, "text", path + ".summary.text") ?? ""));
                    }
                    if (summary.Length == 0 && J.Has(item, "content", out var content) && content.ValueKind == JsonValueKind.Array)
                    {
                        summary = string.Concat(content.EnumerateArray().Select(s => J.Str(s, "text", path + ".content.text") ?? ""));
                    }
                    AssistantTurn(req).Content.Add(ResponsesReasoning.FromItem(summary, J.Str(item, "encrypted_content", path + ".encrypted_content")));
                    break;
                }
            case "item_reference":
                throw new ProtocolException($"'{path}' references the item '{J.Str(item, "id", path + ".id")}', which is not stored here.", path + ".id");
            case null:
                throw new ProtocolException($"'{path}.type' is required.", path + ".type");
            case var hosted when HostedCallItems.Contains(hosted):
                break;
            default:
                throw new ProtocolException($"'{path}.type' has an unknown value '{type}'.", path + ".type");
        }
    }

    /// <summary>A custom tool's raw input as the arguments of the one-parameter function other upstreams know it as.</summary>
    internal static string CustomArguments(string input) => J.WriteToString(w =>
    {
        w.WriteStartObject();
        w.WriteString("input", input);
        w.WriteEndObject();
    });

    private static void DecodeMessage(ChatRequest req, JsonElement item, string path)
    {
        var role = J.RequireStr(item, "role", path + ".role");
        switch (role)
        {
            case "system" or "developer":
                {
                    var parts = new List<ContentPart>();
                    DecodeMessageContent(parts, item, path);
                    req.AddInstructions(parts.OfType<TextPart>());
                    break;
                }
            case "user":
                {
                    var msg = new ChatMessage(ChatRole.User);
                    DecodeMessageContent(msg.Content, item, path);
                    req.Messages.Add(msg);
                    break;
                }
            case "assistant":
                DecodeMessageContent(AssistantTurn(req).Content, item, path);
                break;
            default:
                throw new ProtocolException($"'{path}.role' has an unknown value '{role}'.", path + ".role");
        }
    }

    private static void DecodeMessageContent(List<ContentPart> target, JsonElement item, string path)
    {
        if (!J.Has(item, "content", out var content))
        {
            throw new ProtocolException($"'{path}.content' is required.", path + ".content");
        }
        if (content.ValueKind == JsonValueKind.String)
        {
            target.Add(new TextPart(content.GetString()!));
            return;
        }
        DecodeInputContent(target, content, path + ".content");
    }

    private static void DecodeInputContent(List<ContentPart> target, JsonElement content, string path)
    {
        var i = 0;
        foreach (var part in J.Arr(content, path))
        {
            var p = $"{path}[{i++}]";
            J.RequireObject(part, p);
            var type = J.RequireStr(part, "type", p + ".type");
            switch (type)
            {
                case "input_text" or "output_text" or "text" or "summary_text":
                    target.Add(new TextPart(J.RequireStr(part, "text", p + ".text")));
                    break;
                case "refusal":
                    target.Add(new TextPart(J.Str(part, "refusal", p + ".refusal") ?? ""));
                    break;
                case "input_image":
                    {
                        var url = J.Str(part, "image_url", p + ".image_url")
                            ?? throw new ProtocolException($"'{p}': only 'image_url' (a URL or a data URL) can be translated; provider file ids do not cross providers.", p + ".image_url");
                        target.Add(DataUrl.ToMediaPart(url, J.Str(part, "detail", p + ".detail"), isDocument: false));
                        break;
                    }
                case "input_file":
                    {
                        var filename = J.Str(part, "filename", p + ".filename");
                        if (J.Str(part, "file_data", p + ".file_data") is { } data)
                        {
                            var url = data.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? data : "data:application/pdf;base64," + data;
                            target.Add(DataUrl.ToMediaPart(url, null, isDocument: true, filename));
                        }
                        else if (J.Str(part, "file_url", p + ".file_url") is { } fileUrl)
                        {
                            target.Add(DataUrl.ToMediaPart(fileUrl, null, isDocument: true, filename));
                        }
                        else
                        {
                            throw new ProtocolException($"'{p}': only inline 'file_data' or a 'file_url' can be translated; provider file ids do not cross providers.", p + ".file_data");
                        }
                        break;
                    }
                default:
                    throw new ProtocolException($"Content part type '{type}' at '{p}' is not supported.", p + ".type");
            }
        }
    }

    /// <summary>Consecutive assistant-side items (reasoning, text, calls) are one assistant turn.</summary>
    private static ChatMessage AssistantTurn(ChatRequest req)
    {
        if (req.Messages.Count > 0 && req.Messages[^1].Role == ChatRole.Assistant)
        {
            return req.Messages[^1];
        }
        var msg = new ChatMessage(ChatRole.Assistant);
        req.Messages.Add(msg);
        return msg;
    }

    /// <summary>Consecutive call outputs answer one assistant turn: one user message carries them all (P10).</summary>
    private static ChatMessage ToolResultTurn(ChatRequest req)
    {
        if (req.Messages.Count > 0 && req.Messages[^1] is { Role: ChatRole.User } last && last.Content.Count > 0 && last.Content.All(c => c is ToolResultPart))
        {
            return last;
        }
        var msg = new ChatMessage(ChatRole.User);
        req.Messages.Add(msg);
        return msg;
    }

    private static void DecodeTools(ChatRequest req, JsonElement root)
    {
        if (J.Has(root, "tools", out var tools))
        {
            var i = 0;
            foreach (var t in J.Arr(tools, "tools"))
            {
                DecodeTool(req, t, null, $"tools[{i++}]");
            }
        }
        var disableParallel = J.Bool(root, "parallel_tool_calls", "parallel_tool_calls") == false;
        if (J.Has(root, "tool_choice", out var tc))
        {
            req.ToolChoice = tc.ValueKind switch
            {
                JsonValueKind.String => OpenAI.OpenAIRequestDecoder.NamedToolChoice(tc.GetString()),
                JsonValueKind.Object => DecodeToolChoice(tc),
                _ => throw new ProtocolException("'tool_choice' must be a string or an object.", "tool_choice"),
            };
        }
        if (disableParallel)
        {
            req.ToolChoice = (req.ToolChoice ?? new ToolChoice(ToolChoiceKind.Auto)) with { DisableParallel = true };
        }
    }

    private static void DecodeTool(ChatRequest req, JsonElement t, string? ns, string path)
    {
        J.RequireObject(t, path);
        var type = J.RequireStr(t, "type", path + ".type");
        switch (type)
        {
            case "function":
                {
                    var name = J.RequireStr(t, "name", path + ".name");
                    var tool = new ToolDefinition
                    {
                        Name = ResponsesTools.Flatten(ns, name),
                        Description = J.Str(t, "description", path + ".description"),
                        Parameters = J.Has(t, "parameters", out var ps) ? ps.Clone() : null,
                        Strict = J.Bool(t, "strict", path + ".strict"),
                    };
                    Mark(tool, ns, name);
                    req.Tools.Add(tool);
                    break;
                }
            case "custom":
                {
                    var name = J.RequireStr(t, "name", path + ".name");
                    var description = J.Str(t, "description", path + ".description");
                    if (J.Has(t, "format", out var format) && J.Str(format, "type", path + ".format.type") == "grammar")
                    {
                        // Other upstreams cannot enforce a grammar: the model reads it instead.
                        description = $"{description}\n\nThe input must follow this {J.Str(format, "syntax", path + ".format.syntax") ?? "grammar"}:\n{J.Str(format, "definition", path + ".format.definition")}".Trim();
                    }
                    using var schema = JsonDocument.Parse(ResponsesTools.CustomToolSchema);
                    var tool = new ToolDefinition
                    {
                        Name = ResponsesTools.Flatten(ns, name),
                        Description = description,
                        Parameters = schema.RootElement.Clone(),
                    };
                    Mark(tool, ns, name);
                    tool.ResponsesCustom = true;
                    req.Tools.Add(tool);
                    break;
                }
            case "namespace" when ns is null:
                {
                    var name = J.RequireStr(t, "name", path + ".name");
                    if (J.Has(t, "tools", out var inner))
                    {
                        var i = 0;
                        foreach (var child in J.Arr(inner, path + ".tools"))
                        {
                            DecodeTool(req, child, name, $"{path}.tools[{i++}]");
                        }
                    }
                    break;
                }
            case "namespace":
                throw new ProtocolException($"'{path}': a namespace cannot hold another namespace.", path + ".type");
            default:
                req.Tools.Add(new ToolDefinition { Name = type, HostedRaw = t.Clone(), HostedFamily = WireProtocol.Responses, HostedKind = HostedKindOf(type) });
                break;
        }
    }

    private static HostedToolKind HostedKindOf(string type) => type switch
    {
        "web_search" or "web_search_preview" or "web_search_2025_08_26" or "web_search_preview_2025_03_11" => HostedToolKind.WebSearch,
        _ => HostedToolKind.Other,
    };

    private static void Mark(ToolDefinition tool, string? ns, string name)
    {
        if (ns is not null)
        {
            tool.ResponsesNamespace = ns;
            tool.ResponsesLocalName = name;
        }
    }

    private static ToolChoice DecodeToolChoice(JsonElement tc)
    {
        var type = J.Str(tc, "type", "tool_choice.type");
        switch (type)
        {
            case "function" or "custom":
                return new ToolChoice(ToolChoiceKind.Specific, ResponsesTools.Flatten(J.Str(tc, "namespace", "tool_choice.namespace"), J.RequireStr(tc, "name", "tool_choice.name")));
            case "allowed_tools":
                return new ToolChoice(J.Str(tc, "mode", "tool_choice.mode") == "required" ? ToolChoiceKind.Required : ToolChoiceKind.Auto);
            default:
                // A hosted tool forced by type (e.g. {"type":"web_search"}): the model may use tools.
                return new ToolChoice(ToolChoiceKind.Required);
        }
    }

    private static ResponseFormat DecodeFormat(JsonElement format)
    {
        var type = J.RequireStr(format, "type", "text.format.type");
        return type switch
        {
            "text" => new ResponseFormat(ResponseFormatKind.Text),
            "json_object" => new ResponseFormat(ResponseFormatKind.JsonObject),
            "json_schema" => new ResponseFormat(
                ResponseFormatKind.JsonSchema,
                J.Str(format, "name", "text.format.name"),
                J.Has(format, "schema", out var schema) ? schema.Clone() : null,
                J.Bool(format, "strict", "text.format.strict")),
            _ => throw new ProtocolException($"'text.format.type' value '{type}' is not supported.", "text.format.type"),
        };
    }
}
