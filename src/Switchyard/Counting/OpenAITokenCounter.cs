using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.OpenAI;

namespace Switchyard.Counting;

/// <summary>
/// Prompt tokens of a request to an OpenAI model, counted with the model's own tiktoken encoding (o200k_base for
/// GPT-4o, GPT-4.1, GPT-5 and the o-series; cl100k_base for GPT-4 and GPT-3.5) over the body the gateway would send,
/// framed as OpenAI frames chat messages (3 tokens a message, 1 a name, 3 priming the reply) and tool definitions
/// (the OpenAI cookbook's formula). Text conversations count as the API does; tool definitions are OpenAI's own
/// approximation, images an estimate. Models without a known encoding get null: the caller estimates.
/// </summary>
internal static class OpenAITokenCounter
{
    private static readonly ConcurrentDictionary<string, Tokenizer> s_byEncoding = new(StringComparer.Ordinal);

    public static (int Tokens, string Encoding)? TryCount(ChatRequest request, string model)
    {
        if (EncodingOf(model) is not { } encoding)
        {
            return null;
        }
        var tokenizer = s_byEncoding.GetOrAdd(encoding, static name => TiktokenTokenizer.CreateForEncoding(name));
        using var doc = JsonDocument.Parse(OpenAIRequestEncoder.Encode(request, new EncodeOptions(model)));
        var root = doc.RootElement;
        var tokens = 3; // every reply is primed with <|start|>assistant<|message|>
        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            tokens += 3;
            foreach (var field in message.EnumerateObject())
            {
                tokens += field.Name switch
                {
                    "role" or "tool_call_id" => Count(tokenizer, field.Value.GetString()),
                    "name" => 1 + Count(tokenizer, field.Value.GetString()),
                    "content" => Content(tokenizer, field.Value),
                    "tool_calls" => field.Value.EnumerateArray().Sum(c => 3 + Count(tokenizer, c.GetProperty("function").GetProperty("name").GetString())
                        + Count(tokenizer, c.GetProperty("function").GetProperty("arguments").GetString())),
                    _ => 0,
                };
            }
        }
        if (root.TryGetProperty("tools", out var tools))
        {
            tokens += Tools(tokenizer, tools, encoding == "o200k_base" ? 7 : 10);
        }
        return (tokens, encoding);
    }

    /// <summary>The tiktoken encoding of an OpenAI model name; null for other names (DeepSeek, Llama…: the caller estimates).</summary>
    internal static string? EncodingOf(string model)
    {
        foreach (var prefix in (ReadOnlySpan<string>)["gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o", "codex-"])
        {
            if (model.StartsWith(prefix, StringComparison.Ordinal))
            {
                return "o200k_base";
            }
        }
        foreach (var prefix in (ReadOnlySpan<string>)["gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada-002"])
        {
            if (model.StartsWith(prefix, StringComparison.Ordinal))
            {
                return "cl100k_base";
            }
        }
        return null;
    }

    private static int Count(Tokenizer tokenizer, string? text) => string.IsNullOrEmpty(text) ? 0 : tokenizer.CountTokens(text);

    private static int Content(Tokenizer tokenizer, JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => Count(tokenizer, content.GetString()),
        JsonValueKind.Array => content.EnumerateArray().Sum(part => part.TryGetProperty("text", out var text) ? Count(tokenizer, text.GetString())
            : part.TryGetProperty("image_url", out _) ? TokenEstimator.PerImage : TokenEstimator.PerDocumentPage),
        _ => 0,
    };

    /// <summary>The OpenAI cookbook's count of function definitions (how the API renders them is not published).</summary>
    private static int Tools(Tokenizer tokenizer, JsonElement tools, int functionInit)
    {
        var tokens = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            if (!tool.TryGetProperty("function", out var function))
            {
                continue;
            }
            tokens += functionInit;
            var description = function.TryGetProperty("description", out var d) ? d.GetString() ?? "" : "";
            tokens += Count(tokenizer, function.GetProperty("name").GetString() + ":" + description.TrimEnd('.'));
            if (function.TryGetProperty("parameters", out var parameters) && parameters.TryGetProperty("properties", out var properties)
                && properties.ValueKind == JsonValueKind.Object && properties.EnumerateObject().Any())
            {
                tokens += 3;
                foreach (var property in properties.EnumerateObject())
                {
                    tokens += 3;
                    var type = property.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : "";
                    var about = property.Value.TryGetProperty("description", out var pd) && pd.ValueKind == JsonValueKind.String ? pd.GetString() ?? "" : "";
                    if (property.Value.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array)
                    {
                        tokens -= 3;
                        foreach (var value in values.EnumerateArray())
                        {
                            tokens += 3 + Count(tokenizer, value.ToString());
                        }
                    }
                    tokens += Count(tokenizer, $"{property.Name}:{type}:{about.TrimEnd('.')}");
                }
            }
        }
        return tokens > 0 ? tokens + 12 : 0;
    }
}
