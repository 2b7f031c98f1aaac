using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.Infrastructure;

/// <summary>
/// A fake model for agent CLIs, in each upstream protocol's streaming wire format: when the request offers the shell
/// tool and no tool result came back yet, it calls that tool with the given arguments; once the result is there it
/// answers "The command printed: …" with what the tool returned.
/// </summary>
public static class AgentUpstream
{
    public const string Prefix = "The command printed: ";

    public static Func<HttpContext, RecordedRequest, Task> For(string kind, string tool, object arguments) => kind switch
    {
        "openai" => (ctx, req) => OpenAI(ctx, req, tool, JsonSerializer.Serialize(arguments)),
        "openai-responses" => (ctx, req) => Responses(ctx, req, tool, JsonSerializer.Serialize(arguments)),
        "anthropic" => (ctx, req) => Anthropic(ctx, req, tool, JsonSerializer.Serialize(arguments)),
        "gemini" => (ctx, req) => Gemini(ctx, req, tool, JsonSerializer.SerializeToNode(arguments)!),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The tool's output in the last request that carried one (null when none did).</summary>
    public static string? ToolOutput(string kind, JsonNode request) => kind switch
    {
        "openai-responses" => request["input"] is JsonArray items && items.LastOrDefault(i => i!["type"]?.GetValue<string>() == "function_call_output") is { } result
            ? result["output"] switch
            {
                JsonValue v => v.GetValue<string>(),
                JsonArray parts => string.Concat(parts.Select(p => p!["text"]?.GetValue<string>())),
                _ => "",
            }
            : null,
        "openai" => request["messages"]!.AsArray().LastOrDefault(m => m!["role"]!.GetValue<string>() == "tool")?["content"] switch
        {
            JsonValue v => v.GetValue<string>(),
            JsonArray parts => string.Concat(parts.Select(p => p!["text"]?.GetValue<string>())),
            _ => null,
        },
        "anthropic" => request["messages"]!.AsArray()[^1]!["content"] is JsonArray blocks
            && blocks.FirstOrDefault(b => b!["type"]?.GetValue<string>() == "tool_result") is { } result
                ? result["content"] switch
                {
                    JsonValue v => v.GetValue<string>(),
                    JsonArray parts => string.Concat(parts.Select(p => p!["text"]?.GetValue<string>())),
                    _ => "",
                }
                : null,
        _ => request["contents"]!.AsArray()[^1]!["parts"]!.AsArray().FirstOrDefault(p => p!["functionResponse"] is not null)?["functionResponse"]!["response"] is { } r
            ? r["output"]?.GetValue<string>() ?? r.ToJsonString()
            : null,
    };

    private static Task OpenAI(HttpContext ctx, RecordedRequest req, string tool, string args)
    {
        var json = req.Json;
        var offered = json["tools"]?.AsArray().Any(t => t!["function"]?["name"]?.GetValue<string>() == tool) == true;
        var output = ToolOutput("openai", json);
        var sb = new StringBuilder();
        sb.Append(OpenAIChunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
        string finish;
        if (output is not null || !offered)
        {
            sb.Append(OpenAIChunk(new JsonObject { ["content"] = Prefix }, null));
            sb.Append(OpenAIChunk(new JsonObject { ["content"] = Printed(output) }, null));
            finish = "stop";
        }
        else
        {
            sb.Append(OpenAIChunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["id"] = "call_agent_1", ["type"] = "function", ["function"] = new JsonObject { ["name"] = tool, ["arguments"] = "" } }) }, null));
            sb.Append(OpenAIChunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = args[..5] } }) }, null));
            sb.Append(OpenAIChunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = args[5..] } }) }, null));
            finish = "tool_calls";
        }
        sb.Append(OpenAIChunk(new JsonObject(), finish));
        sb.Append("data: {\"id\":\"chatcmpl-agent\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4.1\",\"choices\":[],\"usage\":{\"prompt_tokens\":900,\"completion_tokens\":20,\"total_tokens\":920}}\n\n");
        sb.Append("data: [DONE]\n\n");
        return FakeUpstream.OpenAISse(sb.ToString())(ctx, req);
    }

    private static string OpenAIChunk(JsonObject delta, string? finish) =>
        "data: " + new JsonObject
        {
            ["id"] = "chatcmpl-agent",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1,
            ["model"] = "gpt-4.1",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        }.ToJsonString() + "\n\n";

    private static Task Responses(HttpContext ctx, RecordedRequest req, string tool, string args)
    {
        var json = req.Json;
        var offered = json["tools"]?.AsArray().Any(t => t!["name"]?.GetValue<string>() == tool) == true;
        var output = ToolOutput("openai-responses", json);
        var sb = new StringBuilder();
        var seq = 0;
        void Event(string type, JsonObject data)
        {
            data["type"] = type;
            data["sequence_number"] = seq++;
            sb.Append("event: ").Append(type).Append("\ndata: ").Append(data.ToJsonString()).Append("\n\n");
        }
        JsonObject Response(string status, JsonArray output, JsonObject? usage) => new()
        {
            ["id"] = "resp_agent",
            ["object"] = "response",
            ["created_at"] = 1,
            ["status"] = status,
            ["model"] = "gpt-5-codex",
            ["output"] = output,
            ["usage"] = usage,
        };
        Event("response.created", new JsonObject { ["response"] = Response("in_progress", [], null) });
        JsonObject item;
        if (output is not null || !offered)
        {
            var text = Prefix + Printed(output);
            item = new JsonObject { ["id"] = "msg_agent", ["type"] = "message", ["status"] = "completed", ["role"] = "assistant", ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray() }) };
            Event("response.output_item.added", new JsonObject { ["output_index"] = 0, ["item"] = new JsonObject { ["id"] = "msg_agent", ["type"] = "message", ["status"] = "in_progress", ["role"] = "assistant", ["content"] = new JsonArray() } });
            Event("response.content_part.added", new JsonObject { ["item_id"] = "msg_agent", ["output_index"] = 0, ["content_index"] = 0, ["part"] = new JsonObject { ["type"] = "output_text", ["text"] = "", ["annotations"] = new JsonArray() } });
            Event("response.output_text.delta", new JsonObject { ["item_id"] = "msg_agent", ["output_index"] = 0, ["content_index"] = 0, ["delta"] = text });
            Event("response.output_text.done", new JsonObject { ["item_id"] = "msg_agent", ["output_index"] = 0, ["content_index"] = 0, ["text"] = text });
            Event("response.content_part.done", new JsonObject { ["item_id"] = "msg_agent", ["output_index"] = 0, ["content_index"] = 0, ["part"] = new JsonObject { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray() } });
        }
        else
        {
            item = new JsonObject { ["id"] = "fc_agent", ["type"] = "function_call", ["status"] = "completed", ["call_id"] = "call_agent_1", ["name"] = tool, ["arguments"] = args };
            Event("response.output_item.added", new JsonObject { ["output_index"] = 0, ["item"] = new JsonObject { ["id"] = "fc_agent", ["type"] = "function_call", ["status"] = "in_progress", ["call_id"] = "call_agent_1", ["name"] = tool, ["arguments"] = "" } });
            Event("response.function_call_arguments.delta", new JsonObject { ["item_id"] = "fc_agent", ["output_index"] = 0, ["delta"] = args[..5] });
            Event("response.function_call_arguments.delta", new JsonObject { ["item_id"] = "fc_agent", ["output_index"] = 0, ["delta"] = args[5..] });
            Event("response.function_call_arguments.done", new JsonObject { ["item_id"] = "fc_agent", ["output_index"] = 0, ["arguments"] = args });
        }
        Event("response.output_item.done", new JsonObject { ["output_index"] = 0, ["item"] = item.DeepClone() });
        Event("response.completed", new JsonObject
        {
            ["response"] = Response("completed", [item], new JsonObject { ["input_tokens"] = 900, ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 }, ["output_tokens"] = 20, ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 }, ["total_tokens"] = 920 }),
        });
        return FakeUpstream.Sse(sb.ToString())(ctx, req);
    }

    private static Task Anthropic(HttpContext ctx, RecordedRequest req, string tool, string args)
    {
        var json = req.Json;
        var offered = json["tools"]?.AsArray().Any(t => t!["name"]?.GetValue<string>() == tool) == true;
        var output = ToolOutput("anthropic", json);
        var sb = new StringBuilder();
        Event(sb, "message_start", """{"type":"message_start","message":{"id":"msg_agent","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":900,"output_tokens":1}}}""");
        string stop;
        if (output is not null || !offered)
        {
            Event(sb, "content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""");
            Event(sb, "content_block_delta", JsonSerializer.Serialize(new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text = Prefix } }));
            Event(sb, "content_block_delta", JsonSerializer.Serialize(new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text = Printed(output) } }));
            stop = "end_turn";
        }
        else
        {
            Event(sb, "content_block_start", JsonSerializer.Serialize(new { type = "content_block_start", index = 0, content_block = new { type = "tool_use", id = "toolu_agent_1", name = tool, input = new { } } }));
            Event(sb, "content_block_delta", JsonSerializer.Serialize(new { type = "content_block_delta", index = 0, delta = new { type = "input_json_delta", partial_json = args[..5] } }));
            Event(sb, "content_block_delta", JsonSerializer.Serialize(new { type = "content_block_delta", index = 0, delta = new { type = "input_json_delta", partial_json = args[5..] } }));
            stop = "tool_use";
        }
        Event(sb, "content_block_stop", """{"type":"content_block_stop","index":0}""");
        Event(sb, "message_delta", JsonSerializer.Serialize(new { type = "message_delta", delta = new { stop_reason = stop, stop_sequence = (string?)null }, usage = new { output_tokens = 20 } }));
        Event(sb, "message_stop", """{"type":"message_stop"}""");
        return FakeUpstream.Sse(sb.ToString())(ctx, req);

        static void Event(StringBuilder sb, string name, string data) => sb.Append("event: ").Append(name).Append("\ndata: ").Append(data).Append("\n\n");
    }

    private static Task Gemini(HttpContext ctx, RecordedRequest req, string tool, JsonNode args)
    {
        var json = req.Json;
        if (GeminiSchemaRules.CheckRequest(json) is { } violation)
        {
            return FakeUpstream.Json(JsonSerializer.Serialize(new { error = new { code = 400, message = violation, status = "INVALID_ARGUMENT" } }), 400)(ctx, req);
        }
        var offered = json["tools"]?.AsArray().Any(t => t!["functionDeclarations"]?.AsArray().Any(d => d!["name"]!.GetValue<string>() == tool) == true) == true;
        var output = ToolOutput("gemini", json);
        var part = output is not null || !offered
            ? new JsonObject { ["text"] = Prefix + Printed(output) }
            : new JsonObject { ["functionCall"] = new JsonObject { ["name"] = tool, ["args"] = args.DeepClone() }, ["thoughtSignature"] = "Q2lRQjBlMktiN3NpZw==" };
        var chunk = new JsonObject
        {
            ["candidates"] = new JsonArray(new JsonObject { ["content"] = new JsonObject { ["parts"] = new JsonArray(part), ["role"] = "model" }, ["finishReason"] = "STOP", ["index"] = 0 }),
            ["usageMetadata"] = new JsonObject { ["promptTokenCount"] = 900, ["candidatesTokenCount"] = 20, ["totalTokenCount"] = 920 },
            ["modelVersion"] = "gemini-2.5-pro",
            ["responseId"] = "resp-agent",
        }.ToJsonString();
        return req.Path.EndsWith(":streamGenerateContent", StringComparison.Ordinal) ? FakeUpstream.GeminiStream([chunk])(ctx, req) : FakeUpstream.Json(chunk)(ctx, req);
    }

    /// <summary>
    /// The line of the tool's output that the command printed: shell tools wrap it in exit codes and timings (Codex),
    /// or label it <c>Output:</c> among process details inside <c>&lt;untrusted_context&gt;</c> tags (Gemini CLI).
    /// </summary>
    private static string Printed(string? output)
    {
        var lines = output?.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !(l.StartsWith('<') && l.EndsWith('>'))).ToList() ?? [];
        var labelled = lines.FindIndex(l => l.StartsWith("Output:", StringComparison.Ordinal));
        if (labelled >= 0)
        {
            var rest = lines[labelled]["Output:".Length..].Trim();
            return rest.Length > 0 ? rest : labelled + 1 < lines.Count ? lines[labelled + 1] : "nothing";
        }
        return lines.Count > 0 ? lines[^1] : "nothing";
    }
}
