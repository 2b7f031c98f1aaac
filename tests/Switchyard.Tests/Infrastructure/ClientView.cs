using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.Infrastructure;

public sealed record ToolCallView(string Id, string Name, string Arguments);

/// <summary>What a client sees, assembled from its own protocol's response or stream (independent of the gateway's code).</summary>
public sealed record ClientView(HttpStatusCode Status, string Text, List<ToolCallView> ToolCalls, string? Finish, JsonNode? ErrorBody, string? RetryAfter, List<string> RawEvents)
{
    public static async Task<ClientView> ReadAsync(HttpResponseMessage resp, string protocol)
    {
        var body = await resp.Content.ReadAsStringAsync();
        var retry = resp.Headers.TryGetValues("retry-after", out var r) ? r.First() : null;
        if (!resp.IsSuccessStatusCode)
        {
            return new ClientView(resp.StatusCode, "", [], null, JsonNode.Parse(body), retry, []);
        }
        var isStream = resp.Content.Headers.ContentType?.MediaType == "text/event-stream";
        if (protocol == "gemini")
        {
            return FromGemini(resp.StatusCode, body, isStream);
        }
        if (!isStream)
        {
            var json = JsonNode.Parse(body)!;
            return protocol switch { "openai" => FromOpenAI(resp.StatusCode, json), "responses" => FromResponses(resp.StatusCode, json), _ => FromAnthropic(resp.StatusCode, json) };
        }
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).ToList();
        return protocol switch
        {
            "openai" => FromOpenAIStream(resp.StatusCode, events),
            "responses" => FromResponsesStream(resp.StatusCode, events),
            _ => FromAnthropicStream(resp.StatusCode, events),
        };
    }

    /// <summary>Responses: the output items; the finish is the response's status.</summary>
    private static ClientView FromResponses(HttpStatusCode status, JsonNode json)
    {
        var text = new StringBuilder();
        var calls = new List<ToolCallView>();
        foreach (var item in json["output"]!.AsArray())
        {
            switch (item!["type"]!.GetValue<string>())
            {
                case "message":
                    foreach (var part in item["content"]!.AsArray())
                    {
                        text.Append(part!["text"]?.GetValue<string>());
                    }
                    break;
                case "function_call":
                    calls.Add(new ToolCallView(item["call_id"]!.GetValue<string>(), item["name"]!.GetValue<string>(), item["arguments"]!.GetValue<string>()));
                    break;
            }
        }
        return new ClientView(status, text.ToString(), calls, json["status"]!.GetValue<string>(), null, null, []);
    }

    /// <summary>A Responses stream assembled from its deltas (as a streaming client shows it), finished by its terminal event.</summary>
    private static ClientView FromResponsesStream(HttpStatusCode status, List<string> events)
    {
        var text = new StringBuilder();
        var calls = new SortedDictionary<int, (string Id, string Name, StringBuilder Args, string? Done)>();
        string? finish = null;
        JsonNode? error = null;
        foreach (var e in events)
        {
            var json = JsonNode.Parse(e.Split('\n').First(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..])!;
            var index = json["output_index"]?.GetValue<int>() ?? -1;
            switch (json["type"]!.GetValue<string>())
            {
                case "response.output_text.delta":
                    text.Append(json["delta"]!.GetValue<string>());
                    break;
                case "response.output_item.added" when json["item"]!["type"]!.GetValue<string>() == "function_call":
                    calls[index] = (json["item"]!["call_id"]!.GetValue<string>(), json["item"]!["name"]!.GetValue<string>(), new StringBuilder(), null);
                    break;
                case "response.function_call_arguments.delta":
                    calls[index].Args.Append(json["delta"]!.GetValue<string>());
                    break;
                case "response.function_call_arguments.done":
                    calls[index] = calls[index] with { Done = json["arguments"]!.GetValue<string>() };
                    break;
                case "response.completed" or "response.incomplete":
                    finish = json["response"]!["status"]!.GetValue<string>();
                    break;
                case "response.failed":
                    error = json["response"]!["error"];
                    break;
            }
        }
        return new ClientView(status, text.ToString(), [.. calls.Values.Select(c => new ToolCallView(c.Id, c.Name, c.Args.Length > 0 ? c.Args.ToString() : c.Done ?? ""))], finish, error, null, events);
    }

    /// <summary>Gemini: one response, an SSE stream of partial responses, or a JSON array of them.</summary>
    private static ClientView FromGemini(HttpStatusCode status, string body, bool sse)
    {
        List<string> raw;
        List<JsonNode> chunks;
        if (sse)
        {
            raw = [.. body.Split(["\r\n\r\n", "\n\n"], StringSplitOptions.RemoveEmptyEntries)];
            chunks = [.. raw.Select(e => JsonNode.Parse(e["data: ".Length..])!)];
        }
        else
        {
            var parsed = JsonNode.Parse(body)!;
            chunks = parsed is JsonArray array ? [.. array.Select(n => n!)] : [parsed];
            raw = [.. chunks.Select(c => c.ToJsonString())];
        }
        var text = new StringBuilder();
        var calls = new List<ToolCallView>();
        string? finish = null;
        JsonNode? error = null;
        foreach (var chunk in chunks)
        {
            if (chunk["error"] is { } err)
            {
                error = err;
                continue;
            }
            var candidate = chunk["candidates"]?[0];
            foreach (var part in candidate?["content"]?["parts"]?.AsArray() ?? [])
            {
                if (part!["functionCall"] is { } fc)
                {
                    calls.Add(new ToolCallView(fc["id"]?.GetValue<string>() ?? "", fc["name"]!.GetValue<string>(), fc["args"]!.ToJsonString()));
                }
                else if (part["thought"] is null)
                {
                    text.Append(part["text"]?.GetValue<string>());
                }
            }
            finish = candidate?["finishReason"]?.GetValue<string>() ?? finish;
        }
        return new ClientView(status, text.ToString(), calls, finish, error, null, raw);
    }

    private static ClientView FromOpenAI(HttpStatusCode status, JsonNode json)
    {
        var msg = json["choices"]![0]!["message"]!;
        var calls = msg["tool_calls"]?.AsArray().Select(c => new ToolCallView(c!["id"]!.GetValue<string>(), c["function"]!["name"]!.GetValue<string>(), c["function"]!["arguments"]!.GetValue<string>())).ToList() ?? [];
        return new ClientView(status, msg["content"]?.GetValue<string>() ?? "", calls, json["choices"]![0]!["finish_reason"]!.GetValue<string>(), null, null, []);
    }

    private static ClientView FromAnthropic(HttpStatusCode status, JsonNode json)
    {
        var text = new StringBuilder();
        var calls = new List<ToolCallView>();
        foreach (var block in json["content"]!.AsArray())
        {
            switch (block!["type"]!.GetValue<string>())
            {
                case "text":
                    text.Append(block["text"]!.GetValue<string>());
                    break;
                case "tool_use":
                    calls.Add(new ToolCallView(block["id"]!.GetValue<string>(), block["name"]!.GetValue<string>(), block["input"]!.ToJsonString()));
                    break;
            }
        }
        return new ClientView(status, text.ToString(), calls, json["stop_reason"]!.GetValue<string>(), null, null, []);
    }

    private static ClientView FromOpenAIStream(HttpStatusCode status, List<string> events)
    {
        var text = new StringBuilder();
        var calls = new SortedDictionary<int, (string Id, string Name, StringBuilder Args)>();
        string? finish = null;
        JsonNode? error = null;
        foreach (var e in events)
        {
            var data = e.StartsWith("data: ", StringComparison.Ordinal) ? e[6..] : e;
            if (data == "[DONE]")
            {
                continue;
            }
            var json = JsonNode.Parse(data)!;
            if (json["error"] is { } err)
            {
                error = err;
                continue;
            }
            var choices = json["choices"]!.AsArray();
            if (choices.Count == 0)
            {
                continue;
            }
            var delta = choices[0]!["delta"]!;
            text.Append(delta["content"]?.GetValue<string>());
            foreach (var tc in delta["tool_calls"]?.AsArray() ?? [])
            {
                var i = tc!["index"]!.GetValue<int>();
                if (!calls.TryGetValue(i, out var call))
                {
                    call = (tc["id"]!.GetValue<string>(), tc["function"]!["name"]!.GetValue<string>(), new StringBuilder());
                    calls[i] = call;
                }
                call.Args.Append(tc["function"]?["arguments"]?.GetValue<string>());
            }
            finish = choices[0]!["finish_reason"]?.GetValue<string>() ?? finish;
        }
        return new ClientView(status, text.ToString(), [.. calls.Values.Select(c => new ToolCallView(c.Id, c.Name, c.Args.ToString()))], finish, error, null, events);
    }

    private static ClientView FromAnthropicStream(HttpStatusCode status, List<string> events)
    {
        var text = new StringBuilder();
        var blocks = new SortedDictionary<int, (string Type, string Id, string Name, StringBuilder Args)>();
        string? finish = null;
        JsonNode? error = null;
        foreach (var e in events)
        {
            var lines = e.Split('\n');
            var data = lines.First(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..];
            var json = JsonNode.Parse(data)!;
            switch (json["type"]!.GetValue<string>())
            {
                case "content_block_start":
                    var cb = json["content_block"]!;
                    blocks[json["index"]!.GetValue<int>()] = (cb["type"]!.GetValue<string>(), cb["id"]?.GetValue<string>() ?? "", cb["name"]?.GetValue<string>() ?? "", new StringBuilder());
                    break;
                case "content_block_delta":
                    var d = json["delta"]!;
                    if (d["type"]!.GetValue<string>() == "text_delta")
                    {
                        text.Append(d["text"]!.GetValue<string>());
                    }
                    else if (d["type"]!.GetValue<string>() == "input_json_delta")
                    {
                        blocks[json["index"]!.GetValue<int>()].Args.Append(d["partial_json"]!.GetValue<string>());
                    }
                    break;
                case "message_delta":
                    finish = json["delta"]!["stop_reason"]!.GetValue<string>();
                    break;
                case "error":
                    error = json;
                    break;
            }
        }
        var calls = blocks.Values.Where(b => b.Type == "tool_use").Select(b => new ToolCallView(b.Id, b.Name, b.Args.Length == 0 ? "{}" : b.Args.ToString())).ToList();
        return new ClientView(status, text.ToString(), calls, finish, error, null, events);
    }
}
