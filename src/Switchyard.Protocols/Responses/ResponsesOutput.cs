using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Responses;

/// <summary>One item of a response's <c>output[]</c> as the gateway composes it.</summary>
public abstract class OutputItem(string id)
{
    public string Id { get; } = id;
    public abstract void Write(Utf8JsonWriter w, bool done);
}

public sealed class MessageItem(string id) : OutputItem(id)
{
    public System.Text.StringBuilder Text { get; } = new();

    public override void Write(Utf8JsonWriter w, bool done)
    {
        w.WriteStartObject();
        w.WriteString("id", Id);
        w.WriteString("type", "message");
        w.WriteString("status", done ? "completed" : "in_progress");
        w.WriteString("role", "assistant");
        w.WriteStartArray("content");
        if (done)
        {
            ResponsesOutput.WriteTextPart(w, Text.ToString());
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

public sealed class ReasoningItem(string id) : OutputItem(id)
{
    public System.Text.StringBuilder Summary { get; } = new();
    public string? EncryptedContent { get; set; }
    /// <summary>An Anthropic signature streamed in pieces: carried as <c>encrypted_content</c> once complete.</summary>
    public System.Text.StringBuilder? Signature { get; set; }

    public override void Write(Utf8JsonWriter w, bool done)
    {
        var encrypted = EncryptedContent ?? (Signature is { Length: > 0 } ? ResponsesReasoning.ForSignature(Signature.ToString()) : null);
        w.WriteStartObject();
        w.WriteString("id", Id);
        w.WriteString("type", "reasoning");
        w.WriteStartArray("summary");
        if (done && Summary.Length > 0)
        {
            w.WriteStartObject();
            w.WriteString("type", "summary_text");
            w.WriteString("text", Summary.ToString());
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (done && encrypted is not null)
        {
            w.WriteString("encrypted_content", encrypted);
        }
        w.WriteEndObject();
    }
}

/// <summary>A function call, or a custom tool's call (<c>custom_tool_call</c> with its raw <c>input</c>).</summary>
public sealed class CallItem(string id, string callId, string name, string? ns, bool custom) : OutputItem(id)
{
    public string CallId { get; } = callId;
    public string Name { get; } = name;
    public string? Namespace { get; } = ns;
    public bool Custom { get; } = custom;
    public System.Text.StringBuilder Arguments { get; } = new();

    /// <summary>The arguments as the client reads them: JSON text (never empty, P14), or a custom tool's input.</summary>
    public string Final => Custom ? ResponsesOutput.CustomInput(Arguments.ToString()) : J.NormalizeArguments(Arguments.ToString());

    public override void Write(Utf8JsonWriter w, bool done)
    {
        w.WriteStartObject();
        w.WriteString("id", Id);
        w.WriteString("type", Custom ? "custom_tool_call" : "function_call");
        w.WriteString("status", done ? "completed" : "in_progress");
        w.WriteString("call_id", CallId);
        w.WriteString("name", Name);
        if (Namespace is not null)
        {
            w.WriteString("namespace", Namespace);
        }
        w.WriteString(Custom ? "input" : "arguments", done ? Final : "");
        w.WriteEndObject();
    }
}

/// <summary>The pieces of a Responses answer both the JSON body and the stream write.</summary>
public static class ResponsesOutput
{
    /// <summary>A fresh id with the prefix the Responses API gives each kind of object (<c>resp_</c>, <c>msg_</c>, <c>fc_</c>, <c>rs_</c>).</summary>
    public static string NewId(string prefix)
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        return prefix + Convert.ToHexStringLower(random);
    }

    /// <summary>The output items of a whole canonical answer: a run of text is one message; each call and reasoning block its own item.</summary>
    public static List<OutputItem> ItemsOf(ChatResponse response, ResponsesTools tools)
    {
        var items = new List<OutputItem>();
        MessageItem? message = null;
        foreach (var part in response.Content)
        {
            switch (part)
            {
                case TextPart text:
                    if (message is null)
                    {
                        message = new MessageItem(NewId("msg_"));
                        items.Add(message);
                    }
                    message.Text.Append(text.Text);
                    continue;
                case ThinkingPart or RedactedThinkingPart:
                    {
                        var reasoning = new ReasoningItem(NewId("rs_")) { EncryptedContent = ResponsesReasoning.EncryptedContentOf(part) };
                        if (part is ThinkingPart t)
                        {
                            reasoning.Summary.Append(t.Text);
                        }
                        items.Add(reasoning);
                        break;
                    }
                case ToolCallPart call:
                    {
                        var (name, ns, custom) = tools.Describe(call.Name);
                        var item = new CallItem(NewId(custom ? "ctc_" : "fc_"), call.Id, name, ns, custom);
                        item.Arguments.Append(call.ArgumentsJson);
                        items.Add(item);
                        break;
                    }
            }
            message = null;
        }
        return items;
    }

    public static void WriteTextPart(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "output_text");
        w.WriteString("text", text);
        w.WriteStartArray("annotations");
        w.WriteEndArray();
        w.WriteStartArray("logprobs");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>A custom tool's input: the <c>input</c> string of the arguments the upstream produced for it.</summary>
    public static string CustomInput(string argumentsJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(argumentsJson);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.String)
            {
                return input.GetString()!;
            }
        }
        catch (JsonException)
        {
            // not JSON: the text itself is the input
        }
        return argumentsJson;
    }

    /// <summary><c>status</c> and <c>incomplete_details</c> of a finished answer.</summary>
    public static (string Status, string? IncompleteReason) StatusOf(FinishReason? finish) => finish switch
    {
        FinishReason.MaxTokens or FinishReason.ContextWindowExceeded => ("incomplete", "max_output_tokens"),
        FinishReason.ContentFilter => ("incomplete", "content_filter"),
        _ => ("completed", null),
    };

    /// <summary>The whole response object (the JSON answer, and the one inside <c>response.*</c> events).</summary>
    public static void WriteResponse(Utf8JsonWriter w, ResponsesEcho echo, string status, string model, IReadOnlyList<OutputItem> output, bool done, Usage? usage,
        string? incompleteReason = null, GatewayError? error = null)
    {
        w.WriteStartObject();
        w.WriteString("id", echo.Id);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", echo.CreatedAt);
        w.WriteString("status", status);
        if (status == "completed")
        {
            w.WriteNumber("completed_at", echo.CreatedAt);
        }
        if (error is null)
        {
            w.WriteNull("error");
        }
        else
        {
            w.WriteStartObject("error");
            w.WriteString("code", FailureCode(error));
            w.WriteString("message", FailureMessage(error));
            w.WriteEndObject();
        }
        if (incompleteReason is null)
        {
            w.WriteNull("incomplete_details");
        }
        else
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", incompleteReason);
            w.WriteEndObject();
        }
        echo.WriteRequestFields(w);
        w.WriteString("model", model);
        w.WriteStartArray("output");
        foreach (var item in output)
        {
            item.Write(w, done);
        }
        w.WriteEndArray();
        if (usage is null)
        {
            w.WriteNull("usage");
        }
        else
        {
            WriteUsage(w, usage);
        }
        w.WriteEndObject();
    }

    public static void WriteUsage(Utf8JsonWriter w, Usage u)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", u.InputTokens);
        w.WriteStartObject("input_tokens_details");
        w.WriteNumber("cached_tokens", u.CacheReadTokens);
        w.WriteEndObject();
        w.WriteNumber("output_tokens", u.OutputTokens);
        w.WriteStartObject("output_tokens_details");
        w.WriteNumber("reasoning_tokens", u.ReasoningTokens);
        w.WriteEndObject();
        w.WriteNumber("total_tokens", u.TotalTokens);
        w.WriteEndObject();
    }

    /// <summary>The <c>error.code</c> Responses clients classify (Codex retries rate limits after the "try again in" delay).</summary>
    public static string FailureCode(GatewayError e) => e.Kind switch
    {
        ErrorKind.RateLimit => "rate_limit_exceeded",
        ErrorKind.QuotaExceeded => "insufficient_quota",
        ErrorKind.InvalidRequest when e.Code == "context_length_exceeded" => "context_length_exceeded",
        ErrorKind.InvalidRequest => "invalid_prompt",
        _ => "server_error",
    };

    public static string FailureMessage(GatewayError e) =>
        e is { Kind: ErrorKind.RateLimit, RetryAfter: { } retry } && !e.Message.Contains("try again in", StringComparison.OrdinalIgnoreCase)
            ? string.Create(CultureInfo.InvariantCulture, $"{e.Message} Please try again in {Math.Max(1, Math.Ceiling(retry.TotalSeconds))}s.")
            : e.Message;
}
