using System.Text;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;
using Switchyard.Protocols.OpenAI;
using Xunit;
using static Switchyard.Protocols.Tests.GoldenFiles;

namespace Switchyard.Protocols.Tests.Gemini;

/// <summary>Golden wire tests of the Gemini codec in both directions (request, response, SSE in CRLF framing).</summary>
public sealed class GeminiGoldenTests
{
    [Fact]
    public void Gemini_client_request_in_mixed_casing_becomes_the_exact_Anthropic_request()
    {
        var req = GeminiRequestDecoder.Decode(Bytes("ge-request-mixed-case.json"), "claude-x", stream: false);
        var body = AnthropicRequestEncoder.Encode(req, new EncodeOptions("claude-x"));
        AssertJsonEqual(Encoding.UTF8.GetString(Bytes("ge-request-mixed-case.anthropic.json")), Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void OpenAI_client_request_becomes_the_exact_Gemini_request()
    {
        var req = OpenAIRequestDecoder.Decode(Bytes("oa-request-to-gemini.json"));
        var body = GeminiRequestEncoder.Encode(req, new EncodeOptions("gemini-2.5-flash"));
        AssertJsonEqual(Encoding.UTF8.GetString(Bytes("oa-request-to-gemini.gemini.json")), Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void Gemini_stream_with_parallel_calls_reaches_an_OpenAI_client()
    {
        using var encoder = new OpenAIStreamEncoder(includeUsage: true, created: 1700000000);
        var output = Translate(Bytes("ge-stream-parallel.sse"), new GeminiStreamDecoder(), encoder);
        AssertSseEqual(Bytes("ge-stream-parallel.expected-openai.sse"), output);
    }

    [Fact]
    public void OpenAI_stream_with_parallel_calls_reaches_a_Gemini_client_with_whole_function_calls()
    {
        using var encoder = new GeminiStreamEncoder(sse: true);
        var output = Translate(Bytes("oa-stream-parallel-tools.sse"), new OpenAIStreamDecoder(), encoder);
        AssertSseEqual(Bytes("oa-stream-parallel-tools.expected-gemini.sse"), output);
        Assert.Contains("\r\n\r\n", Encoding.UTF8.GetString(output), StringComparison.Ordinal);
    }

    [Fact]
    public void Gemini_response_with_thoughts_and_a_call_reaches_an_Anthropic_client()
    {
        var resp = GeminiResponseCodec.Decode(Bytes("ge-response-thought-call.json"));
        AssertJsonEqual(Encoding.UTF8.GetString(Bytes("ge-response-thought-call.expected-anthropic.json")), Encoding.UTF8.GetString(AnthropicResponseCodec.Encode(resp)));
    }

    [Fact]
    public void Gemini_response_with_thoughts_and_a_call_reaches_an_OpenAI_client_with_its_signature()
    {
        var resp = GeminiResponseCodec.Decode(Bytes("ge-response-thought-call.json"));
        resp.Created = 1700000000;
        AssertJsonEqual(Encoding.UTF8.GetString(Bytes("ge-response-thought-call.expected-openai.json")), Encoding.UTF8.GetString(OpenAIResponseCodec.Encode(resp)));
    }

    [Fact]
    public void The_JSON_array_stream_is_one_valid_array()
    {
        using var encoder = new GeminiStreamEncoder(sse: false);
        var output = Translate(Bytes("oa-stream-parallel-tools.sse"), new OpenAIStreamDecoder(), encoder);
        var array = System.Text.Json.Nodes.JsonNode.Parse(output)!.AsArray();
        Assert.Equal(3, array.Count);
        Assert.Equal("STOP", array[2]!["candidates"]![0]!["finishReason"]!.GetValue<string>());
        Assert.Equal(120, array[2]!["usageMetadata"]!["totalTokenCount"]!.GetValue<int>());
    }
}
