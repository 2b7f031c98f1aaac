using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Providers;

/// <summary>The embedded demo and the mock provider, driven exactly as the README's curls drive them.</summary>
public sealed class MockProviderTests
{
    private static Task<Gateway> Demo() => Gateway.StartAsync(DemoConfig.Create());

    [Theory]
    [InlineData("""{"type":5}""")]
    [InlineData("""{"type":[7,"string"]}""")]
    [InlineData("""[]""")]
    [InlineData("""{"type":[]}""")]
    public async Task The_mock_calls_a_tool_whatever_its_property_schemas_look_like(string property)
    {
        // A fuzz finding: a property schema whose "type" is not a name was a 500.
        await using var gw = await Demo();
        var tools = """[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":PROPERTY},"required":["a"]}}}]""".Replace("PROPERTY", property, StringComparison.Ordinal);
        using var r = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"use a tool"}],"tools":""" + tools + "}");
        var v = await ClientView.ReadAsync(r, "openai");
        Assert.Equal(HttpStatusCode.OK, v.Status);
        Assert.Equal("""{"a":"mock"}""", Assert.Single(v.ToolCalls).Arguments);
    }

    [Fact]
    public async Task The_demo_answers_the_READMEs_requests()
    {
        await using var gw = await Demo();
        using (var r = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}"""))
        {
            var v = await ClientView.ReadAsync(r, "openai");
            Assert.Equal("Mock response to: Hello", v.Text);
            Assert.Equal("mock", r.Headers.GetValues("x-switchyard-provider").Single());
        }
        using (var r = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hello"}]}"""))
        {
            var v = await ClientView.ReadAsync(r, "openai");
            Assert.Equal("Mock response to: Hello", v.Text);
            Assert.Contains(v.RawEvents, e => e.Contains("\"choices\":[],\"usage\"", StringComparison.Ordinal));
        }
        using (var r = await gw.PostJsonAsync("/v1/chat/completions/stream", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}"""))
        {
            Assert.Equal("text/event-stream", r.Content.Headers.ContentType!.MediaType);
            Assert.Equal("Mock response to: Hello", (await ClientView.ReadAsync(r, "openai")).Text);
        }
        using (var r = await gw.PostJsonAsync("/v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Hello"}]}""", ("anthropic-version", "2023-06-01")))
        {
            Assert.Equal("Mock response to: Hello", (await ClientView.ReadAsync(r, "anthropic")).Text);
        }
        using (var r = await gw.PostJsonAsync("/v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":256,"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],"messages":[{"role":"user","content":"use a tool for Paris"}]}"""))
        {
            var v = await ClientView.ReadAsync(r, "anthropic");
            Assert.Equal("tool_use", v.Finish);
            Assert.Equal("get_weather", Assert.Single(v.ToolCalls).Name);
            Assert.Equal("mock", JsonNode.Parse(v.ToolCalls[0].Arguments)!["city"]!.GetValue<string>());
        }
        using (var r = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"mock-fault-429","messages":[{"role":"user","content":"Hello"}]}"""))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.Equal("7", r.Headers.GetValues("retry-after").Single());
        }
        var models = JsonNode.Parse(await gw.Client.GetStringAsync("/v1/models"))!;
        Assert.Equal("list", models["object"]!.GetValue<string>());
        Assert.Contains(models["data"]!.AsArray(), m => m!["id"]!.GetValue<string>() == "gpt-4o-mini");
        Assert.Equal("gpt-4o-mini", JsonNode.Parse(await gw.Client.GetStringAsync("/v1/models/gpt-4o-mini"))!["id"]!.GetValue<string>());
        Assert.Equal("ok", JsonNode.Parse(await gw.Client.GetStringAsync("/health"))!["status"]!.GetValue<string>());
        Assert.Equal("switchyard", JsonNode.Parse(await gw.Client.GetStringAsync("/"))!["name"]!.GetValue<string>());
        using var head = await gw.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task Model_lists_take_the_Anthropic_shape_for_Anthropic_callers()
    {
        await using var gw = await Demo();
        using var req = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        req.Headers.Add("anthropic-version", "2023-06-01");
        var json = JsonNode.Parse(await (await gw.Client.SendAsync(req)).Content.ReadAsStringAsync())!;
        Assert.False(json["has_more"]!.GetValue<bool>());
        Assert.All(json["data"]!.AsArray(), m => Assert.Equal("model", m!["type"]!.GetValue<string>()));
        using var missing = new HttpRequestMessage(HttpMethod.Get, "/v1/models/not-routed");
        missing.Headers.Add("anthropic-version", "2023-06-01");
        var notFound = await gw.Client.SendAsync(missing);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("not_found_error", JsonNode.Parse(await notFound.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("500", 500, 500)]
    [InlineData("529", 503, 529)]
    [InlineData("401", 401, 401)]
    [InlineData("400", 400, 400)]
    public async Task Injected_status_faults_reach_each_client_in_its_shape(string fault, int openAiStatus, int anthropicStatus)
    {
        await using var gw = await Demo();
        using var oa = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}""", ("x-mock-fault", fault));
        Assert.Equal(openAiStatus, (int)oa.StatusCode);
        Assert.NotNull(JsonNode.Parse(await oa.Content.ReadAsStringAsync())!["error"]!["message"]);
        using var an = await gw.PostJsonAsync("/v1/messages", """{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", ("x-mock-fault", fault));
        Assert.Equal(anthropicStatus, (int)an.StatusCode);
        Assert.Equal("error", JsonNode.Parse(await an.Content.ReadAsStringAsync())!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Mid_stream_and_dropped_connection_faults()
    {
        await using var gw = await Demo();
        using (var r = await gw.PostJsonAsync("/v1/messages", """{"model":"mock-fault-midstream","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"one two three four five six seven eight"}]}"""))
        {
            var v = await ClientView.ReadAsync(r, "anthropic");
            Assert.Equal(HttpStatusCode.OK, v.Status);
            Assert.Equal("overloaded_error", v.ErrorBody!["error"]!["type"]!.GetValue<string>());
        }
        // The connection is reset mid-stream: depending on timing the client fails while reading headers or body.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var r = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"one two three four five six seven eight"}]}""", ("x-mock-fault", "drop"));
            await r.Content.ReadAsStringAsync();
        });
        await Assert.ThrowsAsync<HttpRequestException>(() => gw.PostJsonAsync("/v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}""", ("x-mock-fault", "drop-early")));
    }

    [Fact]
    public async Task Thinking_is_signed_and_parallel_calls_are_offered_when_asked()
    {
        await using var gw = await Demo();
        using var r = await gw.PostJsonAsync("/v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":1024},"tools":[{"name":"a","input_schema":{"type":"object"}},{"name":"b","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"use tools in parallel"}]}""");
        var json = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
        var content = json["content"]!.AsArray();
        Assert.Equal("thinking", content[0]!["type"]!.GetValue<string>());
        Assert.StartsWith("mock-signature-", content[0]!["signature"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["a", "b"], content.Where(c => c!["type"]!.GetValue<string>() == "tool_use").Select(c => c!["name"]!.GetValue<string>()));
        Assert.True(json["usage"]!["input_tokens"]!.GetValue<int>() > 0);
    }
}
