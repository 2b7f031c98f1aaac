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
}
