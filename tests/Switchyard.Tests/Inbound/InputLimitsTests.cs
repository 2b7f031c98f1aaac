using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Config;
using Switchyard.Inbound;
using Switchyard.Protocols.Canonical;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Inbound;

/// <summary>Each <c>server.limits</c> bound refuses what exceeds it, naming the field, in every client protocol; and within it nothing changes.</summary>
public sealed class InputLimitsTests
{
    private static readonly InputLimits Small = new(JsonDepth: 8, Messages: 2, Parts: 3, Tools: 1, StringBytes: 40, ToolSchemaBytes: 160);

    private static string Refusal(ClientProtocol client, string body, bool counting = false)
    {
        var e = Assert.Throws<ProtocolException>(() => InboundPrologue.Accept(client, Encoding.UTF8.GetBytes(body), client.Wire == WireProtocol.Gemini ? "g" : null, false, counting, Small));
        Assert.Equal(ErrorKind.InvalidRequest, e.Error.Kind);
        Assert.Equal(400, client.ErrorStatus(e.Error));
        return $"{e.Error.Param} | {e.Message}";
    }

    private static void Accepted(ClientProtocol client, string body) =>
        InboundPrologue.Accept(client, Encoding.UTF8.GetBytes(body), client.Wire == WireProtocol.Gemini ? "g" : null, false, false, Small);

    private const string Tool = """{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}""";

    [Fact]
    public void Within_every_limit_a_request_goes_through()
    {
        Accepted(ClientProtocol.OpenAI, $$"""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":"ok"}],"tools":[{{Tool}}]}""");
        Accepted(ClientProtocol.Anthropic, """{"model":"m","max_tokens":5,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}""");
        Accepted(ClientProtocol.Gemini, """{"contents":[{"parts":[{"text":"a"}]}],"systemInstruction":{"parts":[{"text":"s"}]},"tools":[{"functionDeclarations":[]}]}""");
    }

    [Fact]
    public void Nesting_deeper_than_json_depth_is_refused_at_the_field()
    {
        var deep = """{"type":"object","properties":{"a":{"type":"array","items":{"type":"array","items":{"type":"array","items":{}}}}}}""";
        Assert.Equal("tools[0].function.parameters.properties.a.items.items | 'tools[0].function.parameters.properties.a.items.items' is nested deeper than 8 levels, the gateway's limit (server.limits.json_depth).",
            Refusal(ClientProtocol.OpenAI, $$$"""{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{{{deep}}}}}]}"""));
        Assert.StartsWith("contents[0].parts[0].functionCall.args.a.b | ",
            Refusal(ClientProtocol.Gemini, """{"contents":[{"parts":[{"functionCall":{"name":"f","args":{"a":{"b":{"c":{"d":{"e":1}}}}}}}]}]}"""), StringComparison.Ordinal);
    }

    [Fact]
    public void More_messages_than_the_limit_are_refused_at_the_first_one_too_many()
    {
        Assert.StartsWith("messages[2] | 'messages[2]': the request has more than 2 messages",
            Refusal(ClientProtocol.Anthropic, """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}"""), StringComparison.Ordinal);
        Assert.StartsWith("contents[2] | ", Refusal(ClientProtocol.Gemini, """{"contents":[{"parts":[]},{"parts":[]},{"parts":[]}]}"""), StringComparison.Ordinal);
    }

    [Fact]
    public void Parts_count_across_messages_the_system_prompt_and_nested_tool_results()
    {
        Assert.StartsWith("messages[1].content[1] | 'messages[1].content[1]': the request has more than 3 content parts",
            Refusal(ClientProtocol.OpenAI, """{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},{"role":"user","content":[{"type":"text","text":"c"},{"type":"text","text":"d"}]}]}"""), StringComparison.Ordinal);
        Assert.StartsWith("messages[0].content[0].content[1] | ",
            Refusal(ClientProtocol.Anthropic, """{"model":"m","max_tokens":5,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}]}"""), StringComparison.Ordinal);
        Assert.StartsWith("contents[0].parts[1] | ",
            Refusal(ClientProtocol.Gemini, """{"systemInstruction":{"parts":[{"text":"s"},{"text":"t"}]},"contents":[{"parts":[{"text":"a"},{"text":"b"}]}]}"""), StringComparison.Ordinal);
    }

    [Fact]
    public void More_tools_than_the_limit_are_refused_and_Gemini_counts_declarations()
    {
        Assert.StartsWith("tools[1] | 'tools[1]': the request has more than 1 tools",
            Refusal(ClientProtocol.OpenAI, $$"""{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{{Tool}},{{Tool}}]}"""), StringComparison.Ordinal);
        Assert.StartsWith("tools[0].functionDeclarations[0] | ",
            Refusal(ClientProtocol.Gemini, """{"contents":[{"parts":[{"text":"a"}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}]}"""), StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_longer_than_the_limit_is_refused_with_its_length_and_so_is_a_property_name()
    {
        var text = new string('x', 41);
        Assert.Equal($"messages[0].content | 'messages[0].content' is a string of 41 bytes; the gateway takes at most 40 (server.limits.string_length).",
            Refusal(ClientProtocol.OpenAI, $$"""{"model":"m","messages":[{"role":"user","content":"{{text}}"}]}"""));
        Assert.StartsWith($"messages[0].{text} | ", Refusal(ClientProtocol.Anthropic, $$"""{"model":"m","max_tokens":5,"messages":[{"{{text}}":1,"role":"user","content":"a"}]}"""), StringComparison.Ordinal);
        Assert.StartsWith("contents[0].parts[0].text | ", Refusal(ClientProtocol.Gemini, $$"""{"contents":[{"parts":[{"text":"{{text}}"}]}]}"""), StringComparison.Ordinal);
    }

    [Fact]
    public void A_tool_definition_larger_than_tool_schema_is_refused()
    {
        var big = """{"type":"function","function":{"name":"f","description":"@D@","parameters":{"type":"object","properties":{"a":{"type":"string","description":"@E@"},"b":{"type":"string"}}}}}""".Replace("@D@", new string('d', 30), StringComparison.Ordinal).Replace("@E@", new string('e', 30), StringComparison.Ordinal);
        Assert.Matches(@"^tools\[0\] \| 'tools\[0\]' is a tool definition of \d+ bytes; the gateway takes at most 160 \(server.limits.tool_schema\)\.$",
            Refusal(ClientProtocol.OpenAI, $$"""{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{{big}}]}"""));
        Assert.StartsWith("tools[0].functionDeclarations[0] | ",
            Refusal(ClientProtocol.Gemini, """{"contents":[{"parts":[{"text":"a"}]}],"tools":[{"functionDeclarations":[{"name":"f","description":"@D@","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING","description":"@E@"},"b":{"type":"STRING","description":"@E@"}}}}]}]}""".Replace("@D@", new string('d', 38), StringComparison.Ordinal).Replace("@E@", new string('e', 38), StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_limits_are_configured_under_server_limits_and_bad_values_are_named()
    {
        var config = ConfigLoader.Parse("""
            server:
              limits: {json_depth: 10, messages: 5, parts: 6, tools: 7, string_length: 1KB, tool_schema: 2KB, header_size: 16KB, header_timeout: 5s, min_body_rate: 100, body_rate_grace: 3s}
            providers: [{name: m, type: mock}]
            """, "l.yaml");
        Assert.Equal(new InputLimits(10, 5, 6, 7, 1024, 2048), config.Server.Limits);
        Assert.Equal(new TransportLimits(16 * 1024, TimeSpan.FromSeconds(5), 100, TimeSpan.FromSeconds(3)), config.Server.Transport);
        Assert.Equal(InputLimits.Default, ConfigLoader.Parse("providers: [{name: m, type: mock}]", "d.yaml").Server.Limits);
        var deep = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("server:\n  limits: {json_depth: 1000}\nproviders: [{name: m, type: mock}]\n", "l.yaml"));
        Assert.Contains("l.yaml:2:24: server.limits.json_depth: '1000' is deeper than the decoders go (at most 256).", deep.Message, StringComparison.Ordinal);
        var grace = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("server:\n  limits: {body_rate_grace: 1s}\nproviders: [{name: m, type: mock}]\n", "l.yaml"));
        Assert.Contains("server.limits.body_rate_grace: must be longer than 1s", grace.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("server:\n  limits: {mesages: 3}\nproviders: [{name: m, type: mock}]\n", "l.yaml"));
        Assert.Contains("server.limits.mesages: unknown key", unknown.Message, StringComparison.Ordinal);
    }

    private const string LimitedGateway = """
        server:
          limits: {messages: 1, header_size: 4KB, min_body_rate: 200, body_rate_grace: 2s}
        providers: [{name: demo, type: mock}]
        routes: [{model: "*", targets: [{provider: demo}]}]
        """;

    [Fact]
    public async Task Over_HTTP_a_limit_is_a_400_in_the_clients_shape_naming_the_field()
    {
        await using var gw = await Gateway.StartAsync(LimitedGateway);
        using var openai = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, openai.StatusCode);
        var error = JsonNode.Parse(await openai.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("messages[1]", error["param"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        using var gemini = await gw.PostJsonAsync("/v1beta/models/m:generateContent", """{"contents":[{"parts":[{"text":"a"}]},{"parts":[{"text":"b"}]}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, gemini.StatusCode);
        Assert.Equal("INVALID_ARGUMENT", JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Headers_larger_than_header_size_are_refused_by_the_server_with_431()
    {
        await using var gw = await Gateway.StartAsync(LimitedGateway);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent("""{"model":"m","messages":[{"role":"user","content":"a"}]}""", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("x-padding", new string('p', 5000));
        using var response = await gw.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        using var fine = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"a"}]}""");
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }

    [Fact]
    public async Task A_slow_loris_body_is_cut_and_answered_408_in_the_clients_shape()
    {
        await using var gw = await Gateway.StartAsync(LimitedGateway);
        var uri = new Uri(gw.Url);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, uri.Port);
        var stream = tcp.GetStream();
        var head = "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nanthropic-version: 2023-06-01\r\nContent-Length: 4000\r\n\r\n{\"model\":\"m\",";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var reply = new StringBuilder();
        var buffer = new byte[4096];
        var read = Task.Run(async () =>
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                reply.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }, timeout.Token);
        // One byte every 250 ms: 4 bytes a second, far below min_body_rate once the 2 s grace is over.
        for (var i = 0; i < 40 && !read.IsCompleted; i++)
        {
            try
            {
                await stream.WriteAsync(" "u8.ToArray(), timeout.Token);
            }
            catch (IOException)
            {
                break; // the server cut the connection
            }
            await Task.Delay(250, timeout.Token);
        }
        await read.WaitAsync(timeout.Token);
        var text = reply.ToString();
        Assert.StartsWith("HTTP/1.1 408", text, StringComparison.Ordinal);
        var body = JsonNode.Parse(text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..])!;
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Contains("server.limits.min_body_rate", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
