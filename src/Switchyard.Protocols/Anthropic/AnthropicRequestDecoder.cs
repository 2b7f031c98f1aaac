using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Anthropic;

/// <summary>Anthropic Messages request body (from a client) → canonical <see cref="ChatRequest"/>.</summary>
public static class AnthropicRequestDecoder
{
    private static readonly HashSet<string> Modelled = new(StringComparer.Ordinal)
    {
        "model", "messages", "system", "tools", "tool_choice", "max_tokens", "temperature", "top_p", "top_k",
        "stop_sequences", "stream", "thinking", "metadata",
    };

    private static readonly HashSet<string> ToolFields = new(StringComparer.Ordinal) { "name", "description", "input_schema", "cache_control", "type", "strict" };

    public static ChatRequest Decode(ReadOnlyMemory<byte> body)
    {
        using var doc = J.ParseBody(body);
        var root = J.RequireObject(doc.RootElement, "The request body");
        var req = new ChatRequest { Model = J.RequireStr(root, "model", "model"), SourceProtocol = WireProtocol.Anthropic };
        if (J.Has(root, "system", out var system))
        {
            if (system.ValueKind == JsonValueKind.String)
            {
                req.System.Add(new TextPart(system.GetString()!));
            }
            else
            {
                var i = 0;
                foreach (var block in J.Arr(system, "system"))
                {
                    var p = $"system[{i++}]";
                    req.System.Add(new TextPart(J.RequireStr(block, "text", p + ".text")) { CacheControl = CacheControlOf(block) });
                }
            }
        }
        if (!J.Has(root, "messages", out var messages))
        {
            throw new ProtocolException("messages: Field required", "messages");
        }
        var index = 0;
        foreach (var m in J.Arr(messages, "messages"))
        {
            req.Messages.Add(DecodeMessage(m, $"messages.{index++}"));
        }
        if (index == 0)
        {
            throw new ProtocolException("messages: at least one message is required", "messages");
        }
        DecodeTools(req, root);
        req.MaxTokens = J.Int(root, "max_tokens", "max_tokens");
        req.Temperature = J.Num(root, "temperature", "temperature");
        req.TopP = J.Num(root, "top_p", "top_p");
        req.TopK = J.Int(root, "top_k", "top_k");
        req.Stream = J.Bool(root, "stream", "stream") ?? false;
        if (J.Has(root, "stop_sequences", out var stops))
        {
            req.StopSequences = [.. J.Arr(stops, "stop_sequences").Select(s => s.ValueKind == JsonValueKind.String ? s.GetString()! : throw new ProtocolException("stop_sequences: Input should be a valid list of strings", "stop_sequences"))];
        }
        if (J.Has(root, "metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
        {
            req.UserId = J.Str(metadata, "user_id", "metadata.user_id");
        }
        if (J.Has(root, "thinking", out var thinking))
        {
            req.Reasoning = DecodeThinking(thinking);
        }
        if (J.Has(root, "output_config", out var oc) && oc.ValueKind == JsonValueKind.Object)
        {
            if (J.Str(oc, "effort", "output_config.effort") is { } effort)
            {
                req.Reasoning ??= new ReasoningOptions { Mode = ReasoningMode.Adaptive };
                req.Reasoning.Effort = effort;
            }
            if (J.Has(oc, "format", out var format) && J.Str(format, "type", "output_config.format.type") == "json_schema")
            {
                req.ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonSchema, null, J.Has(format, "schema", out var schema) ? schema.Clone() : null);
            }
        }
        foreach (var p in root.EnumerateObject())
        {
            if (!Modelled.Contains(p.Name))
            {
                req.Extensions[p.Name] = p.Value.Clone();
            }
        }
        return req;
    }

    private static ReasoningOptions DecodeThinking(JsonElement thinking)
    {
        var type = J.RequireStr(thinking, "type", "thinking.type");
        return new ReasoningOptions
        {
            Mode = type switch
            {
                "enabled" => ReasoningMode.Enabled,
                "adaptive" => ReasoningMode.Adaptive,
                "disabled" => ReasoningMode.Disabled,
                _ => throw new ProtocolException($"thinking.type: unknown value '{type}'", "thinking.type"),
            },
            BudgetTokens = J.Int(thinking, "budget_tokens", "thinking.budget_tokens"),
            Raw = thinking.Clone(),
        };
    }

    private static ChatMessage DecodeMessage(JsonElement m, string path)
    {
        J.RequireObject(m, path);
        var role = J.RequireStr(m, "role", path + ".role") switch
        {
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "system" => ChatRole.System, // Claude Code's mid-conversation system messages
            var other => throw new ProtocolException($"{path}.role: Input should be 'user' or 'assistant' (got '{other}')", path + ".role"),
        };
        var msg = new ChatMessage(role);
        if (!J.Has(m, "content", out var content))
        {
            throw new ProtocolException($"{path}.content: Field required", path + ".content");
        }
        DecodeBlocks(msg.Content, content, path + ".content");
        return msg;
    }

    private static void DecodeBlocks(List<ContentPart> target, JsonElement content, string path)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            target.Add(new TextPart(content.GetString()!));
            return;
        }
        var i = 0;
        foreach (var block in J.Arr(content, path))
        {
            target.Add(DecodeBlock(block, $"{path}.{i++}"));
        }
    }

    internal static ContentPart DecodeBlock(JsonElement block, string path)
    {
        J.RequireObject(block, path);
        var type = J.RequireStr(block, "type", path + ".type");
        var cc = CacheControlOf(block);
        switch (type)
        {
            case "text":
                {
                    var text = new TextPart(J.RequireStr(block, "text", path + ".text")) { CacheControl = cc };
                    foreach (var p in block.EnumerateObject())
                    {
                        if (p.Name is not ("type" or "text" or "cache_control"))
                        {
                            (text.Extensions ??= [])[p.Name] = p.Value.Clone();
                        }
                    }
                    return text;
                }
            case "image" or "document":
                return DecodeMedia(block, type == "document", path, cc);
            case "tool_use":
                return new ToolCallPart
                {
                    Id = J.RequireStr(block, "id", path + ".id"),
                    Name = J.RequireStr(block, "name", path + ".name"),
                    ArgumentsJson = J.Has(block, "input", out var input) ? J.NormalizeArguments(input.GetRawText()) : "{}",
                    CacheControl = cc,
                };
            case "tool_result":
                {
                    var result = new ToolResultPart
                    {
                        CallId = J.RequireStr(block, "tool_use_id", path + ".tool_use_id"),
                        IsError = J.Bool(block, "is_error", path + ".is_error") ?? false,
                        CacheControl = cc,
                    };
                    if (J.Has(block, "content", out var rc))
                    {
                        DecodeBlocks(result.Content, rc, path + ".content");
                    }
                    return result;
                }
            case "thinking":
                return new ThinkingPart { Text = J.Str(block, "thinking", path + ".thinking") ?? "", Signature = J.Str(block, "signature", path + ".signature") };
            case "redacted_thinking":
                return new RedactedThinkingPart { Data = J.RequireStr(block, "data", path + ".data") };
            default:
                return new RawPart { Family = WireProtocol.Anthropic, Raw = block.Clone() };
        }
    }

    private static MediaPart DecodeMedia(JsonElement block, bool isDocument, string path, JsonElement? cc)
    {
        if (!J.Has(block, "source", out var source))
        {
            throw new ProtocolException($"{path}.source: Field required", path + ".source");
        }
        var title = J.Str(block, "title", path + ".title");
        var sourceType = J.RequireStr(source, "type", path + ".source.type");
        return sourceType switch
        {
            "base64" => new MediaPart { IsDocument = isDocument, MediaType = J.Str(source, "media_type", path + ".source.media_type"), Data = J.RequireStr(source, "data", path + ".source.data"), CacheControl = cc, Title = title },
            "url" => new MediaPart { IsDocument = isDocument, Url = J.RequireStr(source, "url", path + ".source.url"), CacheControl = cc, Title = title },
            "text" => new MediaPart { IsDocument = true, MediaType = "text/plain", Data = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(J.Str(source, "data", path) ?? "")), CacheControl = cc, Title = title },
            _ => throw new ProtocolException($"{path}.source.type: '{sourceType}' sources cannot be translated to another provider.", path + ".source.type"),
        };
    }

    private static void DecodeTools(ChatRequest req, JsonElement root)
    {
        if (J.Has(root, "tools", out var tools))
        {
            var i = 0;
            foreach (var t in J.Arr(tools, "tools"))
            {
                var p = $"tools.{i++}";
                J.RequireObject(t, p);
                var type = J.Str(t, "type", p + ".type");
                if (type is not (null or "custom"))
                {
                    req.Tools.Add(new ToolDefinition
                    {
                        Name = J.Str(t, "name", p + ".name") ?? type,
                        HostedRaw = t.Clone(),
                        HostedFamily = WireProtocol.Anthropic,
                        HostedKind = type.StartsWith("web_search", StringComparison.Ordinal) ? HostedToolKind.WebSearch : HostedToolKind.Other,
                    });
                    continue;
                }
                Dictionary<string, JsonElement>? ext = null;
                foreach (var prop in t.EnumerateObject())
                {
                    if (!ToolFields.Contains(prop.Name))
                    {
                        (ext ??= [])[prop.Name] = prop.Value.Clone();
                    }
                }
                req.Tools.Add(new ToolDefinition
                {
                    Name = J.RequireStr(t, "name", p + ".name"),
                    Description = J.Str(t, "description", p + ".description"),
                    Parameters = J.Has(t, "input_schema", out var schema) ? schema.Clone() : null,
                    Strict = J.Bool(t, "strict", p + ".strict"),
                    CacheControl = CacheControlOf(t),
                    Extensions = ext,
                });
            }
        }
        if (J.Has(root, "tool_choice", out var tc))
        {
            var type = J.RequireStr(tc, "type", "tool_choice.type");
            var kind = type switch
            {
                "auto" => ToolChoiceKind.Auto,
                "any" => ToolChoiceKind.Required,
                "tool" => ToolChoiceKind.Specific,
                "none" => ToolChoiceKind.None,
                _ => throw new ProtocolException($"tool_choice.type: unknown value '{type}'", "tool_choice.type"),
            };
            req.ToolChoice = new ToolChoice(kind, kind == ToolChoiceKind.Specific ? J.RequireStr(tc, "name", "tool_choice.name") : null,
                J.Bool(tc, "disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use") ?? false);
        }
    }

    private static JsonElement? CacheControlOf(JsonElement part) =>
        J.Has(part, "cache_control", out var cc) ? cc.Clone() : null;
}
