using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;
using Switchyard.Protocols.OpenAI;

namespace Switchyard.Protocols.Responses;

/// <summary>Responses API <c>response</c> objects ⇄ canonical <see cref="ChatResponse"/>.</summary>
public static class ResponsesResponseCodec
{
    /// <summary>Canonical → the response object a Responses client reads.</summary>
    public static byte[] Encode(ChatResponse response, ResponsesEcho echo)
    {
        var items = ResponsesOutput.ItemsOf(response, echo.Tools);
        var (status, reason) = ResponsesOutput.StatusOf(response.FinishReason);
        return J.WriteToBytes(w => ResponsesOutput.WriteResponse(w, echo, status, response.Model, items, done: true, response.Usage, reason));
    }

    /// <summary>A Responses upstream's answer → canonical.</summary>
    public static ChatResponse Decode(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(Utf8Text.Repair(body));
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ProtocolException("The response must be a JSON object.");
        }
        var resp = new ChatResponse
        {
            Id = J.Str(root, "id", "id") ?? "resp_unknown",
            Model = J.Str(root, "model", "model") ?? "",
            Created = J.Has(root, "created_at", out var created) && created.ValueKind == JsonValueKind.Number && created.TryGetInt64(out var c) ? c : 0,
        };
        if (J.Has(root, "output", out var output))
        {
            var i = 0;
            foreach (var item in J.Arr(output, "output"))
            {
                DecodeItem(resp.Content, item, $"output[{i++}]");
            }
        }
        resp.FinishReason = FinishOf(J.Str(root, "status", "status"), J.Has(root, "incomplete_details", out var details) ? J.Str(details, "reason", "incomplete_details.reason") : null,
            resp.Content.Exists(p => p is ToolCallPart));
        if (J.Has(root, "usage", out var usage))
        {
            resp.Usage = DecodeUsage(usage);
        }
        return resp;
    }

    private static void DecodeItem(List<ContentPart> content, JsonElement item, string path)
    {
        switch (J.Str(item, "type", path + ".type"))
        {
            case "message":
                if (J.Has(item, "content", out var parts))
                {
                    foreach (var part in J.Arr(parts, path + ".content"))
                    {
                        var text = J.Str(part, "type", path + ".content.type") == "refusal" ? J.Str(part, "refusal", path + ".content.refusal") : J.Str(part, "text", path + ".content.text");
                        if (!string.IsNullOrEmpty(text))
                        {
                            content.Add(new TextPart(text));
                        }
                    }
                }
                break;
            case "reasoning":
                {
                    var summary = J.Has(item, "summary", out var s) && s.ValueKind == JsonValueKind.Array
                        ? string.Join("\n\n", s.EnumerateArray().Select(p => J.Str(p, "text", path + ".summary.text") ?? ""))
                        : "";
                    var thinking = new ThinkingPart { Text = summary };
                    thinking.ResponsesEncryptedContent = J.Str(item, "encrypted_content", path + ".encrypted_content");
                    content.Add(thinking);
                    break;
                }
            case "function_call":
                content.Add(new ToolCallPart
                {
                    Id = J.Str(item, "call_id", path + ".call_id") ?? J.Str(item, "id", path + ".id") ?? $"call_{content.Count}",
                    Name = ResponsesTools.Flatten(J.Str(item, "namespace", path + ".namespace"), J.Str(item, "name", path + ".name") ?? ""),
                    ArgumentsJson = J.NormalizeArguments(J.Str(item, "arguments", path + ".arguments")),
                });
                break;
            case "custom_tool_call":
                content.Add(new ToolCallPart
                {
                    Id = J.Str(item, "call_id", path + ".call_id") ?? $"call_{content.Count}",
                    Name = ResponsesTools.Flatten(J.Str(item, "namespace", path + ".namespace"), J.Str(item, "name", path + ".name") ?? ""),
                    ArgumentsJson = ResponsesRequestDecoder.CustomArguments(J.Str(item, "input", path + ".input") ?? ""),
                });
                break;
            default:
                // Hosted tools' calls (web_search_call, …): only the Responses family can read them.
                content.Add(new RawPart { Family = WireProtocol.Responses, Raw = item.Clone() });
                break;
        }
    }

    public static FinishReason FinishOf(string? status, string? incompleteReason, bool calledTools) => (status, incompleteReason) switch
    {
        ("incomplete", "content_filter") => FinishReason.ContentFilter,
        ("incomplete", _) => FinishReason.MaxTokens,
        _ when calledTools => FinishReason.ToolUse,
        _ => FinishReason.EndTurn,
    };

    public static Usage DecodeUsage(JsonElement usage) => new()
    {
        InputTokens = J.Int(usage, "input_tokens", "usage.input_tokens") ?? 0,
        OutputTokens = J.Int(usage, "output_tokens", "usage.output_tokens") ?? 0,
        CacheReadTokens = J.Has(usage, "input_tokens_details", out var input) ? J.Int(input, "cached_tokens", "usage.input_tokens_details.cached_tokens") ?? 0 : 0,
        ReasoningTokens = J.Has(usage, "output_tokens_details", out var output) ? J.Int(output, "reasoning_tokens", "usage.output_tokens_details.reasoning_tokens") ?? 0 : 0,
    };

    /// <summary>A <c>response.failed</c> or <c>error</c> event's error, classified as the codes say (Codex reads the same codes).</summary>
    public static GatewayError ErrorOf(JsonElement error)
    {
        var code = J.Str(error, "code", "error.code");
        var message = J.Str(error, "message", "error.message") ?? "The upstream's response failed.";
        var kind = code switch
        {
            "rate_limit_exceeded" => ErrorKind.RateLimit,
            "insufficient_quota" => ErrorKind.QuotaExceeded,
            "context_length_exceeded" or "invalid_prompt" => ErrorKind.InvalidRequest,
            "server_is_overloaded" or "slow_down" => ErrorKind.Overloaded,
            _ => ErrorKind.Internal,
        };
        return new GatewayError(kind, message) { Code = code == "context_length_exceeded" ? code : null };
    }

    /// <summary>Errors of a Responses upstream have OpenAI's shape.</summary>
    public static GatewayError DecodeError(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter) => OpenAIErrors.Decode(status, body, retryAfter);
}
