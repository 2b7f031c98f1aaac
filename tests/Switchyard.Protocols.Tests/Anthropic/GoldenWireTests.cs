using System.Text;
using Switchyard.Protocols.Anthropic;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.OpenAI;
using Xunit;
using static Switchyard.Protocols.Tests.GoldenFiles;

namespace Switchyard.Protocols.Tests.Anthropic;

/// <summary>Exact upstream request JSON for representative client requests, and exact client-visible output for replayed upstream bodies.</summary>
public sealed class GoldenWireTests
{
    [Fact]
    public void OpenAI_client_request_becomes_the_exact_Anthropic_request()
    {
        var req = OpenAIRequestDecoder.Decode(Bytes("oa-request-full.json"));
        var body = AnthropicRequestEncoder.Encode(req, new EncodeOptions("claude-sonnet-4-5"));
        AssertJsonEqual(Encoding.UTF8.GetString(Bytes("oa-request-full.anthropic.json")), Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void Anthropic_client_request_becomes_the_exact_OpenAI_request()
    {
        var req = AnthropicRequestDecoder.Decode(Bytes("an-request-full.json"));
        var body = OpenAIRequestEncoder.Encode(req, new EncodeOptions("gpt-4.1") { MaxOutputTokens = 16384 });
        AssertJsonEqual(Encoding.UTF8.GetString(Bytes("an-request-full.openai.json")), Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void Anthropic_stream_with_thinking_and_tool_use_reaches_an_OpenAI_client()
    {
        using var encoder = new OpenAIStreamEncoder(includeUsage: true, created: 1700000000);
        var output = Translate(Bytes("an-stream-thinking-tool.sse"), new AnthropicStreamDecoder(), encoder);
        AssertSseEqual(Bytes("an-stream-thinking-tool.expected-openai.sse"), output);
    }

    [Fact]
    public void OpenAI_stream_with_parallel_tool_calls_reaches_an_Anthropic_client()
    {
        using var encoder = new AnthropicStreamEncoder();
        var output = Translate(Bytes("oa-stream-parallel-tools.sse"), new OpenAIStreamDecoder(), encoder);
        AssertSseEqual(Bytes("oa-stream-parallel-tools.expected-anthropic.sse"), output);
    }

    [Fact]
    public void Anthropic_midstream_error_becomes_an_OpenAI_error_chunk_without_DONE()
    {
        using var encoder = new OpenAIStreamEncoder(includeUsage: true, created: 1700000000);
        var output = Translate(Bytes("an-stream-midstream-error.sse"), new AnthropicStreamDecoder(), encoder);
        AssertSseEqual(Bytes("an-stream-midstream-error.expected-openai.sse"), output);
        Assert.DoesNotContain("[DONE]", Encoding.UTF8.GetString(output), StringComparison.Ordinal);
    }

    [Fact]
    public void OpenAI_parallel_tool_call_response_reaches_an_Anthropic_client()
    {
        var resp = OpenAIResponseCodec.Decode(Bytes("oa-response-tools.json"));
        AssertJsonEqual(Encoding.UTF8.GetString(Bytes("oa-response-tools.expected-anthropic.json")), Encoding.UTF8.GetString(AnthropicResponseCodec.Encode(resp)));
    }

    [Fact]
    public void Anthropic_thinking_response_reaches_an_OpenAI_client_with_signatures_byte_for_byte()
    {
        var resp = AnthropicResponseCodec.Decode(Bytes("an-response-thinking.json"));
        resp.Created = 1700000000;
        AssertJsonEqual(Encoding.UTF8.GetString(Bytes("an-response-thinking.expected-openai.json")), Encoding.UTF8.GetString(OpenAIResponseCodec.Encode(resp)));
    }

    [Fact]
    public void Anthropic_events_are_framed_exactly()
    {
        using var encoder = new AnthropicStreamEncoder();
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        encoder.Write(new MessageStartEvent("msg_1", "m", null), output);
        encoder.Write(MessageStopEvent.Instance, output);
        Assert.Equal(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":0}}}\n\n" +
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":0,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":0}}\n\n" +
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
