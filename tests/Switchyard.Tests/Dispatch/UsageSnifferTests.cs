using System.Text;
using Switchyard.Dispatch;
using Switchyard.Protocols.Canonical;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Dispatch;

/// <summary>The fast path reads usage out of forwarded bytes, however the network splits them.</summary>
public sealed class UsageSnifferTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void OpenAI_stream_usage_is_found_across_any_split(int chunk)
    {
        var sniffer = new UsageSniffer(WireProtocol.OpenAI);
        var bytes = Encoding.UTF8.GetBytes(Wire.OpenAI.TextStream);
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            sniffer.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        }
        Assert.Equal(19, sniffer.Usage!.InputTokens);
        Assert.Equal(10, sniffer.Usage.OutputTokens);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4096)]
    public void Anthropic_stream_usage_merges_message_start_and_message_delta(int chunk)
    {
        var sniffer = new UsageSniffer(WireProtocol.Anthropic);
        var bytes = Encoding.UTF8.GetBytes(Wire.Anthropic.TextStream.Replace("\"cache_read_input_tokens\":0", "\"cache_read_input_tokens\":100", StringComparison.Ordinal));
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            sniffer.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        }
        Assert.Equal(125, sniffer.Usage!.InputTokens);
        Assert.Equal(100, sniffer.Usage.CacheReadTokens);
        Assert.Equal(15, sniffer.Usage.OutputTokens);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(100)]
    [InlineData(4096)]
    public void The_usage_chunk_the_gateway_asked_for_is_read_and_held_back_across_any_split(int chunk)
    {
        var sniffer = new UsageSniffer(WireProtocol.OpenAI, dropUsageChunk: true);
        var bytes = Encoding.UTF8.GetBytes(Wire.OpenAI.TextStream.Replace("\n\n", "\r\n\r\n", StringComparison.Ordinal));
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            sniffer.Forward(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)), output);
        }
        sniffer.Complete(output);
        var expected = string.Concat(Wire.OpenAI.TextStream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => !e.Contains("\"choices\":[]", StringComparison.Ordinal)).Select(e => e + "\r\n\r\n"));
        Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(19, sniffer.Usage!.InputTokens);
        Assert.Equal(10, sniffer.Usage.OutputTokens);
    }

    [Fact]
    public void Without_dropping_every_byte_goes_out_at_once_and_an_unterminated_tail_is_never_lost()
    {
        var forwarded = new UsageSniffer(WireProtocol.OpenAI);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        forwarded.Forward("data: {\"choices\":[]"u8, output);
        Assert.Equal("data: {\"choices\":[]", Encoding.UTF8.GetString(output.WrittenSpan));
        var dropping = new UsageSniffer(WireProtocol.OpenAI, dropUsageChunk: true);
        var held = new System.Buffers.ArrayBufferWriter<byte>();
        dropping.Forward("data: [DONE]"u8, held);
        Assert.Equal(0, held.WrittenCount);
        dropping.Complete(held);
        Assert.Equal("data: [DONE]", Encoding.UTF8.GetString(held.WrittenSpan));
    }

    [Fact]
    public void A_body_without_blank_lines_is_never_held_back()
    {
        // Gemini's JSON-array stream is not SSE: nothing is framed or kept.
        var array = new UsageSniffer(WireProtocol.Gemini, framed: false);
        var forwarded = new System.Buffers.ArrayBufferWriter<byte>();
        array.Forward("[{\"candidates\":[]}\n,"u8, forwarded);
        Assert.Equal("[{\"candidates\":[]}\n,", Encoding.UTF8.GetString(forwarded.WrittenSpan));
        // An "SSE" stream that never sends a blank line is let through once it passes the cap, even in drop mode.
        var dropping = new UsageSniffer(WireProtocol.OpenAI, dropUsageChunk: true);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var line = Encoding.UTF8.GetBytes("data: " + new string('x', 1000) + "\n");
        var sent = 0;
        for (var i = 0; i < 1200; i++)
        {
            dropping.Forward(line, output);
            sent += line.Length;
        }
        Assert.True(output.WrittenCount > 0, "held more than the cap");
        dropping.Complete(output);
        Assert.Equal(sent, output.WrittenCount);
    }

    [Fact]
    public void Whole_bodies_are_read_too()
    {
        var oa = new UsageSniffer(WireProtocol.OpenAI);
        oa.ReadWholeBody(Encoding.UTF8.GetBytes(Wire.OpenAI.TextResponse));
        Assert.Equal(29, oa.Usage!.TotalTokens);
        var an = new UsageSniffer(WireProtocol.Anthropic);
        an.ReadWholeBody(Encoding.UTF8.GetBytes(Wire.Anthropic.ToolResponse));
        Assert.Equal(380, an.Usage!.InputTokens);
        Assert.Equal(120, an.Usage.OutputTokens);
    }

    [Fact]
    public void A_whole_body_gives_its_finish_reason_and_is_one_json_value_or_refused()
    {
        var oa = new UsageSniffer(WireProtocol.OpenAI);
        Assert.True(oa.ReadWholeBody("""{"choices":[{"index":0,"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"""u8));
        Assert.Equal("length", oa.FinishReason);
        Assert.Equal(7, oa.Usage!.TotalTokens);
        var an = new UsageSniffer(WireProtocol.Anthropic);
        Assert.True(an.ReadWholeBody("""{"type":"message","stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":6}}"""u8));
        Assert.Equal("tool_use", an.FinishReason);
        Assert.Equal(6, an.Usage!.OutputTokens);
        var gm = new UsageSniffer(WireProtocol.Gemini);
        Assert.True(gm.ReadWholeBody("""{"candidates":[{"finishReason":"MAX_TOKENS"}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":9,"totalTokenCount":17}}"""u8));
        Assert.Equal("MAX_TOKENS", gm.FinishReason);
        Assert.Equal(9, gm.Usage!.OutputTokens);

        // More after the value, or not JSON: the byte path must not pass it on as a success.
        Assert.False(new UsageSniffer(WireProtocol.OpenAI).ReadWholeBody("""{"choices":[]} {"choices":[]}"""u8));
        Assert.False(new UsageSniffer(WireProtocol.OpenAI).ReadWholeBody("""<html>bad gateway</html>"""u8));
        // A count that cannot be read is lost, not the answer.
        var odd = new UsageSniffer(WireProtocol.OpenAI);
        Assert.True(odd.ReadWholeBody("""{"choices":[{"finish_reason":"stop"}],"usage":{"prompt_tokens":"many"}}"""u8));
        Assert.Equal("stop", odd.FinishReason);
        Assert.Null(odd.Usage);
    }
}
