using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Responses;

/// <summary><c>/v1/responses</c> through Chat, Anthropic and Gemini upstreams: events, tools, state, errors.</summary>
public sealed class ResponsesApiTests
{
    private static string Config(string kind, string url, string extra = "") => $$"""
        auth:
          keys: [sk-sy-test]
        {{extra}}
        providers:
          - name: up
            type: {{kind}}
            base_url: {{Dispatch.ProtocolMatrixTests.BaseUrl(kind, url)}}
            keys: [sk-upstream-a]
        routes:
          - model: resp-model
            targets: [{provider: up, model: upstream-model}]
        """;

    private const string WeatherTool = """{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}""";

    internal static async Task<HttpResponseMessage> PostAsync(Gateway gw, string body, string key = "sk-sy-test", bool headersOnly = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await gw.Client.SendAsync(request, headersOnly ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
    }

    [Theory]
    [InlineData("openai", false)]
    [InlineData("anthropic", false)]
    [InlineData("gemini", false)]
    [InlineData("openai", true)]
    [InlineData("anthropic", true)]
    [InlineData("gemini", true)]
    public async Task Streams_items_in_the_order_clients_rely_on(string kind, bool tools)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(Config(kind, fake.Url));
        var toolsField = tools ? $",\"tools\":[{WeatherTool}]" : "";
        using var resp = await PostAsync(gw, $$"""{"model":"resp-model","stream":true,"instructions":"Be brief.","input":"Weather in Paris and Tokyo?"{{toolsField}}}""");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.StartsWith("text/event-stream", resp.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var events = ResponsesStream.Parse(await resp.Content.ReadAsStringAsync());
        var response = ResponsesStream.CheckOrder(events);
        Assert.Equal("completed", response["status"]!.GetValue<string>());
        Assert.StartsWith("resp_", response["id"]!.GetValue<string>(), StringComparison.Ordinal);
        var usage = response["usage"]!;
        Assert.True(usage["input_tokens"]!.GetValue<int>() > 0);
        Assert.True(usage["output_tokens"]!.GetValue<int>() > 0);
        Assert.Equal(usage["input_tokens"]!.GetValue<int>() + usage["output_tokens"]!.GetValue<int>(), usage["total_tokens"]!.GetValue<int>());
        Assert.NotNull(usage["input_tokens_details"]!["cached_tokens"]);
        Assert.NotNull(usage["output_tokens_details"]!["reasoning_tokens"]);
        var output = response["output"]!.AsArray();
        if (tools)
        {
            var calls = output.Where(o => o!["type"]!.GetValue<string>() == "function_call").ToList();
            Assert.Equal(["Paris", "Tokyo"], calls.Select(c => JsonNode.Parse(c!["arguments"]!.GetValue<string>())!["city"]!.GetValue<string>()));
            Assert.All(calls, c => Assert.StartsWith("fc_", c!["id"]!.GetValue<string>(), StringComparison.Ordinal));
            Assert.Equal(2, calls.Select(c => c!["call_id"]!.GetValue<string>()).Distinct().Count());
        }
        else
        {
            Assert.Equal(Wire.Text, output.Single()!["content"]![0]!["text"]!.GetValue<string>());
        }
        // The instructions reached the upstream as its system prompt.
        Assert.Contains("Be brief.", fake.Requests.Single().Json.ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Namespaced_and_custom_tools_cross_to_an_Anthropic_upstream_and_come_back_as_they_were(bool stream)
    {
        await using var fake = await FakeUpstream.StartAsync((ctx, req) =>
        {
            var last = req.Json["messages"]!.AsArray()[^1]!["content"]!.AsArray();
            return last.Any(b => b!["type"]?.GetValue<string>() == "tool_result")
                ? (stream ? FakeUpstream.Sse(Wire.Anthropic.TextStream) : FakeUpstream.Json(Wire.Anthropic.TextResponse))(ctx, req)
                : (stream ? FakeUpstream.Sse(TwoCallsStream) : FakeUpstream.Json(TwoCallsResponse))(ctx, req);
        });
        await using var gw = await Gateway.StartAsync(Config("anthropic", fake.Url));
        const string Tools = """
            "tools":[
              {"type":"namespace","name":"multi_agent_v1","description":"Sub-agents","tools":[{"type":"function","name":"close_agent","description":"Close one","parameters":{"type":"object","properties":{"id":{"type":"string"}}}}]},
              {"type":"custom","name":"apply_patch","description":"Apply a patch","format":{"type":"grammar","syntax":"lark","definition":"start: /.+/"}},
              {"type":"web_search"}
            ]
            """;
        using var first = await PostAsync(gw, $$"""{"model":"resp-model","stream":{{(stream ? "true" : "false")}},"input":"Patch it and close the agent.",{{Tools}}}""");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var text = await first.Content.ReadAsStringAsync();
        var output = (stream ? ResponsesStream.CheckOrder(ResponsesStream.Parse(text)) : JsonNode.Parse(text)!.AsObject())["output"]!.AsArray();

        // Upstream: one function per namespaced function, the custom tool as a function taking {input}, web search as Anthropic's.
        var sentTools = fake.Requests.First().Json["tools"]!.AsArray();
        Assert.Equal(["multi_agent_v1__close_agent", "apply_patch", "web_search"], sentTools.Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal("string", sentTools[1]!["input_schema"]!["properties"]!["input"]!["type"]!.GetValue<string>());
        Assert.Contains("start: /.+/", sentTools[1]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("web_search_20250305", sentTools[2]!["type"]!.GetValue<string>());

        // Client: the calls as it declared them.
        var call = output.Single(o => o!["type"]!.GetValue<string>() == "function_call")!;
        Assert.Equal("close_agent", call["name"]!.GetValue<string>());
        Assert.Equal("multi_agent_v1", call["namespace"]!.GetValue<string>());
        Assert.Equal("""{"id":"a1"}""", call["arguments"]!.GetValue<string>());
        var custom = output.Single(o => o!["type"]!.GetValue<string>() == "custom_tool_call")!;
        Assert.Equal("apply_patch", custom["name"]!.GetValue<string>());
        Assert.Equal("*** Begin Patch\n*** End Patch", custom["input"]!.GetValue<string>());
        Assert.Null(custom["namespace"]);

        // The history replayed: the upstream sees its own names and tool results for both calls.
        var history = new JsonArray(JsonNode.Parse("""{"role":"user","content":"Patch it and close the agent."}"""));
        foreach (var item in output)
        {
            history.Add(item!.DeepClone());
        }
        history.Add(JsonNode.Parse($$"""{"type":"function_call_output","call_id":"{{call["call_id"]}}","output":"closed"}"""));
        history.Add(JsonNode.Parse($$"""{"type":"custom_tool_call_output","call_id":"{{custom["call_id"]}}","output":[{"type":"input_text","text":"patched"}]}"""));
        using var second = await PostAsync(gw, $$"""{"model":"resp-model","stream":{{(stream ? "true" : "false")}},"input":{{history.ToJsonString()}},{{Tools}}}""");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var sent = fake.Requests.Last().Json["messages"]!.AsArray();
        var uses = sent[^2]!["content"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "tool_use").ToList();
        Assert.Equal(["multi_agent_v1__close_agent", "apply_patch"], uses.Select(u => u!["name"]!.GetValue<string>()));
        Assert.Equal("*** Begin Patch\n*** End Patch", uses[1]!["input"]!["input"]!.GetValue<string>());
        var results = sent[^1]!["content"]!.AsArray();
        Assert.Equal(["toolu_close", "toolu_patch"], results.Select(r => r!["tool_use_id"]!.GetValue<string>()));
    }

    private const string TwoCallsResponse = """
        {"id":"msg_two","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"tool_use","id":"toolu_close","name":"multi_agent_v1__close_agent","input":{"id":"a1"}},{"type":"tool_use","id":"toolu_patch","name":"apply_patch","input":{"input":"*** Begin Patch\n*** End Patch"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":100,"output_tokens":30}}
        """;

    private static readonly string TwoCallsStream = string.Concat(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_two\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":100,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_close\",\"name\":\"multi_agent_v1__close_agent\",\"input\":{}}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"id\\\":\\\"a1\\\"}\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_patch\",\"name\":\"apply_patch\",\"input\":{}}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"input\\\":\\\"*** Begin Patch\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\\n*** End Patch\\\"}\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":30}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

    [Theory]
    [InlineData("anthropic", true, """{"type":"web_search_20250305","name":"web_search"}""")]
    [InlineData("gemini", false, """{"googleSearch":{}}""")]
    [InlineData("gemini", true, null)]
    [InlineData("openai", true, null)]
    [InlineData("openai", false, null)]
    public async Task Web_search_is_mapped_where_the_upstream_has_it_and_left_out_elsewhere(string kind, bool withFunction, string? expected)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted(kind));
        await using var gw = await Gateway.StartAsync(Config(kind, fake.Url));
        var tools = withFunction ? $"[{WeatherTool},{{\"type\":\"web_search\"}}]" : "[{\"type\":\"web_search\"}]";
        using var resp = await PostAsync(gw, $$"""{"model":"resp-model","input":"News?","tools":{{tools}},"tool_choice":"none"}""");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var sent = fake.Requests.Single().Json["tools"]?.AsArray() ?? [];
        var hosted = sent.Where(t => t!.ToJsonString().Contains("search", StringComparison.OrdinalIgnoreCase)).Select(t => t!.ToJsonString()).ToList();
        Assert.Equal(expected is null ? [] : [expected], hosted);
    }

    [Fact]
    public async Task A_follow_up_names_the_previous_response_the_moment_its_stream_completed()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("anthropic"));
        await using var gw = await Gateway.StartAsync(Config("anthropic", fake.Url));
        using var first = await PostAsync(gw, """{"model":"resp-model","stream":true,"input":"My name is Ada."}""", headersOnly: true);
        using var reader = new StreamReader(await first.Content.ReadAsStreamAsync());
        string? id = null;
        while (id is null && await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal) && JsonNode.Parse(line[6..]) is { } e && e["type"]!.GetValue<string>() == "response.completed")
            {
                id = e["response"]!["id"]!.GetValue<string>();
            }
        }
        Assert.NotNull(id);
        // Sent while the first stream may still be open: the answer was kept before the client could read it.
        using var second = await PostAsync(gw, $$"""{"model":"resp-model","previous_response_id":"{{id}}","input":[{"role":"user","content":"What is my name?"}]}""");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var answer = JsonNode.Parse(await second.Content.ReadAsStringAsync())!;
        Assert.Equal(id, answer["previous_response_id"]!.GetValue<string>());
        var sent = fake.Requests.Last().Json["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user"], sent.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal(Wire.Text, sent[1]!["content"]![0]!["text"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_Responses_upstream_gets_the_bytes_and_the_gateway_keeps_the_state(bool stream)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai-responses"));
        await using var gw = await Gateway.StartAsync(Config("openai-responses", fake.Url));
        var streamField = stream ? "true" : "false";
        using var first = await PostAsync(gw, $$"""{"model":"resp-model","stream":{{streamField}},"input":"My name is Ada.","prompt_cache_key":"k1"}""");
        var text = await first.Content.ReadAsStringAsync();
        var id = (stream ? ResponsesStream.Parse(text)[^1]["response"]! : JsonNode.Parse(text)!)["id"]!.GetValue<string>();
        Assert.StartsWith("resp_67", id, StringComparison.Ordinal); // the upstream's own answer, forwarded
        var forwarded = fake.Requests.Single().Json;
        Assert.Equal("upstream-model", forwarded["model"]!.GetValue<string>());
        Assert.Equal("k1", forwarded["prompt_cache_key"]!.GetValue<string>());

        using var second = await PostAsync(gw, $$"""{"model":"resp-model","previous_response_id":"{{id}}","input":"What is my name?"}""");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var sent = fake.Requests.Last().Json;
        Assert.Null(sent["previous_response_id"]); // the upstream never stored it: it gets the history instead
        var input = sent["input"]!.AsArray();
        Assert.Equal(["message", "message", "message"], input.Select(i => i!["type"]!.GetValue<string>()));
        Assert.Equal("My name is Ada.", input[0]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(Wire.Text, input[1]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("What is my name?", input[2]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{id}", "sk-sy-test")).StatusCode);
    }

    [Fact]
    public async Task Stored_responses_belong_to_the_tenant_that_made_them()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        await using var gw = await Gateway.StartAsync(Config("openai", fake.Url, """
            tenants:
              - {name: team-a, keys: [sk-team-a]}
              - {name: team-b, keys: [sk-team-b]}
            """));
        using var created = await PostAsync(gw, """{"model":"resp-model","input":"Hello"}""", key: "sk-team-a");
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{id}", "sk-team-a")).StatusCode);
        using var other = await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{id}", "sk-team-b");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("response_not_found", JsonNode.Parse(await other.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
        using var borrowed = await PostAsync(gw, $$"""{"model":"resp-model","previous_response_id":"{{id}}","input":"Hi"}""", key: "sk-team-b");
        Assert.Equal(HttpStatusCode.BadRequest, borrowed.StatusCode);
        var error = JsonNode.Parse(await borrowed.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("previous_response_id", error["param"]!.GetValue<string>());
        Assert.Equal("previous_response_not_found", error["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gw, HttpMethod.Delete, $"/v1/responses/{id}", "sk-team-b")).StatusCode);

        using var items = await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{id}/input_items", "sk-team-a");
        Assert.Equal("Hello", JsonNode.Parse(await items.Content.ReadAsStringAsync())!["data"]![0]!["content"]![0]!["text"]!.GetValue<string>());
        using var deleted = await SendAsync(gw, HttpMethod.Delete, $"/v1/responses/{id}", "sk-team-a");
        Assert.True(JsonNode.Parse(await deleted.Content.ReadAsStringAsync())!["deleted"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{id}", "sk-team-a")).StatusCode);

        // store: false keeps nothing.
        using var unstored = await PostAsync(gw, """{"model":"resp-model","input":"Hello","store":false}""", key: "sk-team-a");
        var unstoredId = JsonNode.Parse(await unstored.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{unstoredId}", "sk-team-a")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(gw, HttpMethod.Get, $"/v1/responses/{id}", "sk-wrong")).StatusCode);
    }

    internal static Task<HttpResponseMessage> SendAsync(Gateway gw, HttpMethod method, string path, string key)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return gw.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_rate_limit_before_the_stream_is_an_OpenAI_error_with_its_retry_hint()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.Anthropic.RateLimitError, 429, ("retry-after", "3")));
        await using var gw = await Gateway.StartAsync(Config("anthropic", fake.Url));
        using var resp = await PostAsync(gw, """{"model":"resp-model","stream":true,"input":"Hello"}""");
        Assert.Equal(HttpStatusCode.TooManyRequests, resp.StatusCode);
        Assert.Equal("3", resp.Headers.GetValues("retry-after").Single());
        var error = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("rate_limit_exceeded", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_error_mid_stream_ends_it_with_response_failed()
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock);
        using var resp = await PostAsync(gw, """{"model":"mock-fault-midstream","stream":true,"input":"Hello"}""");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var events = ResponsesStream.Parse(await resp.Content.ReadAsStringAsync());
        Assert.Equal("response.failed", ResponsesStream.Type(events[^1]));
        Assert.DoesNotContain(events, e => ResponsesStream.Type(e) == "response.completed");
        var response = events[^1]["response"]!;
        Assert.Equal("failed", response["status"]!.GetValue<string>());
        Assert.Equal("server_error", response["error"]!["code"]!.GetValue<string>());
        Assert.Equal(events.Count - 1, events[^1]["sequence_number"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"model":"resp-model"}""", "input")]
    [InlineData("""{"model":"resp-model","input":42}""", "input")]
    [InlineData("""{"input":"hi"}""", "model")]
    [InlineData("""{"model":"resp-model","input":[{"type":"function_call","name":"f","arguments":"{}"}]}""", "input[0].call_id")]
    [InlineData("""{"model":"resp-model","input":[{"type":"teleport"}]}""", "input[0].type")]
    [InlineData("""{"model":"resp-model","input":[{"type":"item_reference","id":"msg_1"}]}""", "input[0].id")]
    public async Task Bad_input_gets_a_400_naming_the_field(string body, string param)
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock);
        using var resp = await gw.Client.PostAsync("/v1/responses", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        var error = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(param, error["param"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_WebSocket_mode_is_refused_at_once_and_input_tokens_are_counted()
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock);
        var upgrade = new HttpRequestMessage(HttpMethod.Get, "/v1/responses");
        upgrade.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        upgrade.Headers.TryAddWithoutValidation("Upgrade", "websocket");
        upgrade.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
        upgrade.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        using var refused = await gw.Client.SendAsync(upgrade);
        Assert.Equal(HttpStatusCode.UpgradeRequired, refused.StatusCode);
        Assert.Equal("websocket_not_supported", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());

        using var counted = await gw.Client.PostAsync("/v1/responses/input_tokens", new StringContent("""{"model":"gpt-4o-mini","input":"How many tokens is this?"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
        var json = JsonNode.Parse(await counted.Content.ReadAsStringAsync())!;
        Assert.Equal("response.input_tokens", json["object"]!.GetValue<string>());
        Assert.InRange(json["input_tokens"]!.GetValue<int>(), 3, 40);
    }
}
