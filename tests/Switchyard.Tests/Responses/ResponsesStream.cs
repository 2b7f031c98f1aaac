using System.Text.Json.Nodes;
using Xunit;

namespace Switchyard.Tests.Responses;

/// <summary>Reads a Responses API event stream and checks the ordering rules clients rely on.</summary>
internal static class ResponsesStream
{
    public static List<JsonObject> Parse(string sse)
    {
        var events = new List<JsonObject>();
        foreach (var block in sse.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            string? data = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }
            Assert.NotNull(data);
            var json = JsonNode.Parse(data)!.AsObject();
            Assert.Equal(name, json["type"]!.GetValue<string>()); // the SSE event name is the event's type
            events.Add(json);
        }
        return events;
    }

    public static string Type(JsonObject e) => e["type"]!.GetValue<string>();

    /// <summary>
    /// created → in_progress first; sequence numbers 0, 1, 2, …; every item opened is filled and closed in the order
    /// of its kind; nothing is closed that was not opened; one terminal event, last, whose output lists every item.
    /// </summary>
    public static JsonObject CheckOrder(List<JsonObject> events)
    {
        Assert.Equal("response.created", Type(events[0]));
        Assert.Equal("response.in_progress", Type(events[1]));
        for (var i = 0; i < events.Count; i++)
        {
            Assert.Equal(i, events[i]["sequence_number"]!.GetValue<int>());
        }
        var terminal = events[^1];
        Assert.Contains(Type(terminal), new[] { "response.completed", "response.incomplete", "response.failed" });
        Assert.Single(events, e => Type(e) is "response.completed" or "response.incomplete" or "response.failed");

        var open = new Dictionary<int, (string Id, string Kind, List<string> Seen)>();
        var closed = new List<JsonNode>();
        foreach (var e in events.Skip(2).SkipLast(1))
        {
            var type = Type(e);
            var index = e["output_index"]?.GetValue<int>() ?? -1;
            switch (type)
            {
                case "response.output_item.added":
                    Assert.False(open.ContainsKey(index), $"output_index {index} opened twice");
                    Assert.Equal(closed.Count + open.Count, index);
                    open[index] = (e["item"]!["id"]!.GetValue<string>(), e["item"]!["type"]!.GetValue<string>(), []);
                    break;
                case "response.output_item.done":
                    Assert.True(open.Remove(index, out var item), $"output_index {index} closed but never opened");
                    Assert.Equal(item.Id, e["item"]!["id"]!.GetValue<string>());
                    var expected = item.Kind switch
                    {
                        "message" => new[] { "response.content_part.added", "response.output_text.done", "response.content_part.done" },
                        "function_call" => ["response.function_call_arguments.done"],
                        "custom_tool_call" => ["response.custom_tool_call_input.done"],
                        _ => [],
                    };
                    Assert.Equal(expected, item.Seen.Where(s => !s.EndsWith(".delta", StringComparison.Ordinal) && !s.StartsWith("response.reasoning_summary", StringComparison.Ordinal)));
                    closed.Add(e["item"]!);
                    break;
                default:
                    Assert.True(open.TryGetValue(index, out var target), $"{type} for output_index {index}, which is not open");
                    Assert.Equal(target.Id, e["item_id"]!.GetValue<string>());
                    target.Seen.Add(type);
                    break;
            }
        }
        Assert.Empty(open);
        var response = terminal["response"]!.AsObject();
        if (Type(terminal) != "response.failed")
        {
            var output = response["output"]!.AsArray();
            Assert.Equal(closed.Select(c => c!.ToJsonString()), output.Select(o => o!.ToJsonString()));
        }
        return response;
    }
}
