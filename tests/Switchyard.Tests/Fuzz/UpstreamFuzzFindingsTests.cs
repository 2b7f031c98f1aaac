using System.Net;
using System.Text;
using Switchyard.Dispatch;
using Switchyard.Protocols.Canonical;
using Switchyard.Providers;
using Switchyard.Tests.Dispatch;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Fuzz;

/// <summary>Each case the upstream fuzz suites found once, kept as a named regression test.</summary>
public sealed class UpstreamFuzzFindingsTests
{
    private static List<StreamEvent> Decode(UpstreamCodec codec, string sse) =>
        UpstreamFuzzTests.DecodeStream(codec, Encoding.UTF8.GetBytes(sse), [], eofWithData: true);

    [Fact]
    public void An_upstream_answer_with_a_broken_byte_is_read_with_a_replacement_character()
    {
        var body = Encoding.UTF8.GetBytes(Wire.OpenAI.TextResponse.Replace("Hello from", "Hello\u0001from", StringComparison.Ordinal));
        body[Array.IndexOf(body, (byte)1)] = 0xFF; // not UTF-8
        var response = UpstreamCodec.OpenAI.DecodeResponse(body);
        Assert.Equal("Hello\uFFFDfrom upstream!", Assert.IsType<TextPart>(Assert.Single(response.Content)).Text);
    }

    [Fact]
    public void A_stream_event_with_half_a_surrogate_pair_is_read_with_a_replacement_character()
    {
        var events = Decode(UpstreamCodec.OpenAI, string.Concat(
            "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"smile \\ud83d\"},\"finish_reason\":null}]}\n\n",
            "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: [DONE]\n\n"));
        Assert.Equal("smile \uFFFD", events.OfType<BlockDeltaEvent>().Single().Value);
        Assert.IsType<MessageStopEvent>(events[^1]);
    }

    [Fact]
    public void An_OpenAI_answer_whose_created_is_not_a_number_still_decodes()
    {
        var response = UpstreamCodec.OpenAI.DecodeResponse(Encoding.UTF8.GetBytes(Wire.OpenAI.TextResponse.Replace("\"created\":1741569952", "\"created\":{}", StringComparison.Ordinal)));
        Assert.Equal(0, response.Created);
    }

    [Theory]
    [InlineData("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n", "content_block_delta before message_start")]
    [InlineData(Start + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n", "a delta for block 3, which is not open")]
    [InlineData(Start + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":[0],\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n", "content_block_start without a valid 'index'")]
    [InlineData(Start + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
        + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":[1]}\n\n", "'delta' is not an object")]
    [InlineData(Start + Start, "a second message_start")]
    public void An_Anthropic_stream_out_of_its_own_order_ends_in_a_malformed_stream_error(string sse, string message)
    {
        var events = Decode(UpstreamCodec.Anthropic, sse);
        var error = Assert.IsType<StreamErrorEvent>(events[^1]);
        Assert.Equal(ErrorKind.BadGateway, error.Error.Kind);
        Assert.Contains(message, error.Error.Message, StringComparison.Ordinal);
        Assert.Equal("ok", UpstreamFuzzTests.Check(events));
    }

    private const string Start = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n";

    [Fact]
    public void An_Anthropic_block_left_open_is_closed_by_the_messages_end()
    {
        var events = Decode(UpstreamCodec.Anthropic, Start
            + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"hi\"}}\n\n"
            + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n"
            + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        Assert.Equal("ok", UpstreamFuzzTests.Check(events));
        Assert.IsType<MessageStopEvent>(events[^1]);
    }

    [Fact]
    public void JSON_that_is_not_an_event_object_is_noise_in_an_Anthropic_stream()
    {
        var events = Decode(UpstreamCodec.Anthropic, Wire.Anthropic.TextStream.Replace("{\"type\": \"ping\"}", "\"just a string\"", StringComparison.Ordinal));
        Assert.IsType<MessageStopEvent>(events[^1]);
    }

    [Theory]
    [InlineData("openai", """{"error":{"message":"","type":"requests"}}""")]
    [InlineData("anthropic", """{"type":"error","error":{"type":"rate_limit_error","message":" "}}""")]
    [InlineData("gemini", """{"error":{"code":429,"message":["x"],"status":{},"details":[{"reason":7,"retryDelay":[]}]}}""")]
    public void An_upstream_error_with_an_empty_or_odd_message_still_says_what_happened(string kind, string body)
    {
        var codec = kind switch { "openai" => UpstreamCodec.OpenAI, "anthropic" => UpstreamCodec.Anthropic, _ => UpstreamCodec.Gemini };
        var error = codec.DecodeError(429, Encoding.UTF8.GetBytes(body), null);
        Assert.Equal("Upstream returned HTTP 429.", error.Message);
        Assert.Equal(ErrorKind.RateLimit, error.Kind);
    }

    [Fact]
    public void The_byte_path_forwards_an_answer_whose_usage_has_the_wrong_type_and_counts_no_usage()
    {
        var sniffer = new UsageSniffer(WireProtocol.OpenAI);
        sniffer.ReadWholeBody(Encoding.UTF8.GetBytes(Wire.OpenAI.TextResponse.Replace("\"prompt_tokens\":19", "\"prompt_tokens\":{}", StringComparison.Ordinal)));
        Assert.Null(sniffer.Usage);
        Assert.Equal("stop", sniffer.FinishReason);
    }

    [Fact]
    public async Task A_passthrough_answer_with_a_bad_usage_field_is_forwarded_not_a_500()
    {
        var body = Wire.OpenAI.TextResponse.Replace("\"prompt_tokens\":19", "\"prompt_tokens\":{}", StringComparison.Ordinal);
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(body));
        await using var gw = await Gateway.StartAsync(ProtocolMatrixTests.Config("openai", fake.Url));
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", ProtocolMatrixTests.ClientRequest("openai", stream: false, tools: false));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal(body, await resp.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{\"id\":\"chatcmpl-1\",\"choices\":[")] // cut short
    [InlineData("<html><body>502 Bad Gateway</body></html>")] // a proxy's page with a 200
    [InlineData("{\"id\":\"a\"} {\"id\":\"b\"}")] // two values
    public async Task A_passthrough_answer_that_is_not_JSON_is_a_502_not_a_success(string answer)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(answer));
        await using var gw = await Gateway.StartAsync(ProtocolMatrixTests.Config("openai", fake.Url));
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", ProtocolMatrixTests.ClientRequest("openai", stream: false, tools: false));
        Assert.Equal(HttpStatusCode.BadGateway, resp.StatusCode);
        Assert.Contains("returned a response that is not JSON", await resp.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private const string BadAnthropicAnswer = """{"id":"msg_1","type":"message","content":[{"type":"text","text":7}],"stop_reason":"end_turn"}""";
    private const string BadOpenAIAnswer = """{"id":"c","choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"call_1"}]},"finish_reason":"tool_calls"}]}""";

    [Theory]
    [InlineData("openai", "anthropic", BadAnthropicAnswer, "server_error", "content.0.text")]
    [InlineData("gemini", "anthropic", BadAnthropicAnswer, "UNAVAILABLE", "content.0.text")]
    [InlineData("anthropic", "openai", BadOpenAIAnswer, "api_error", "choices[0].message.tool_calls[0].function")]
    public async Task A_malformed_upstream_answer_is_a_502_in_the_clients_shape_naming_the_field(string client, string upstream, string answer, string type, string field)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(answer));
        await using var gw = await Gateway.StartAsync(ProtocolMatrixTests.Config(upstream, fake.Url));
        using var resp = await gw.PostJsonAsync(ProtocolMatrixTests.ClientPath(client, stream: false), ProtocolMatrixTests.ClientRequest(client, stream: false, tools: false), ("anthropic-version", "2023-06-01"));
        Assert.Equal(HttpStatusCode.BadGateway, resp.StatusCode);
        var text = await resp.Content.ReadAsStringAsync();
        Assert.Contains(type, text, StringComparison.Ordinal);
        Assert.Contains("returned a response that could not be read", text, StringComparison.Ordinal);
        Assert.Contains(field, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task A_passthrough_stream_cut_before_its_end_gets_the_clients_error_event_after_the_upstreams_bytes(string kind)
    {
        var full = kind == "openai" ? Wire.OpenAI.TextStream : Wire.Anthropic.TextStream;
        var cut = full[..full.IndexOf(kind == "openai" ? "\"finish_reason\":\"stop\"" : "event: content_block_stop", StringComparison.Ordinal)];
        cut = cut[..(cut.LastIndexOf("\n\n", StringComparison.Ordinal) + 2)];
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Sse(cut));
        await using var gw = await Gateway.StartAsync(ProtocolMatrixTests.Config(kind, fake.Url));
        var request = ProtocolMatrixTests.ClientRequest(kind, stream: true, tools: false);
        if (kind == "openai")
        {
            request = request.Replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}", StringComparison.Ordinal);
        }
        using var resp = await gw.PostJsonAsync(ProtocolMatrixTests.ClientPath(kind, stream: true), request, ("anthropic-version", "2023-06-01"));
        var text = await resp.Content.ReadAsStringAsync();
        Assert.StartsWith(cut, text, StringComparison.Ordinal);
        var view = await ClientView.ReadAsync(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(text, Encoding.UTF8, "text/event-stream") }, kind);
        Assert.Contains("The upstream stream ended unexpectedly.", view.ErrorBody!.ToJsonString(), StringComparison.Ordinal);

        // A whole stream is forwarded byte for byte, with nothing after it.
        fake.Handler = FakeUpstream.Sse(full);
        using var whole = await gw.PostJsonAsync(ProtocolMatrixTests.ClientPath(kind, stream: true), request, ("anthropic-version", "2023-06-01"));
        Assert.Equal(full, await whole.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_translated_stream_cut_before_its_end_ends_in_the_clients_in_stream_error()
    {
        var cut = Wire.OpenAI.TextStream[..Wire.OpenAI.TextStream.IndexOf("\"finish_reason\":\"stop\"", StringComparison.Ordinal)];
        cut = cut[..(cut.LastIndexOf("\n\n", StringComparison.Ordinal) + 2)];
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Sse(cut));
        await using var gw = await Gateway.StartAsync(ProtocolMatrixTests.Config("openai", fake.Url));
        using var resp = await gw.PostJsonAsync("/v1/messages", ProtocolMatrixTests.ClientRequest("anthropic", stream: true, tools: false), ("anthropic-version", "2023-06-01"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var view = await ClientView.ReadAsync(resp, "anthropic");
        Assert.Equal("Hello from upstream!", view.Text);
        Assert.NotNull(view.ErrorBody);
        Assert.Contains("closed the stream before it finished", view.ErrorBody!.ToJsonString(), StringComparison.Ordinal);
    }
}
