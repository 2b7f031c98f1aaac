using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Sse;
using Xunit;

namespace Switchyard.Protocols.Tests;

/// <summary>Reads golden files and compares JSON and SSE by meaning (property order aside), event by event.</summary>
internal static class GoldenFiles
{
    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", name));

    public static void AssertJsonEqual(string expected, string actual)
    {
        var e = JsonNode.Parse(expected);
        var a = JsonNode.Parse(actual);
        Assert.True(JsonNode.DeepEquals(e, a), $"JSON differs.\nexpected: {e?.ToJsonString()}\nactual:   {a?.ToJsonString()}");
    }

    public static List<SseEvent> ParseSse(byte[] bytes)
    {
        var parser = new SseParser();
        var seq = new ReadOnlySequence<byte>(bytes);
        var list = new List<SseEvent>();
        while (parser.TryReadEvent(ref seq, isCompleted: true, out var evt))
        {
            list.Add(evt);
        }
        if (parser.TryFlush(out var last))
        {
            list.Add(last);
        }
        return list;
    }

    public static void AssertSseEqual(byte[] expected, byte[] actual)
    {
        var e = ParseSse(expected);
        var a = ParseSse(actual);
        var actualText = Encoding.UTF8.GetString(actual);
        Assert.True(e.Count == a.Count, $"expected {e.Count} events, got {a.Count}:\n{actualText}");
        for (var i = 0; i < e.Count; i++)
        {
            Assert.Equal(e[i].EventType, a[i].EventType);
            var ed = Encoding.UTF8.GetString(e[i].Data.Span);
            var ad = Encoding.UTF8.GetString(a[i].Data.Span);
            if (ed == "[DONE]" || ad == "[DONE]")
            {
                Assert.Equal(ed, ad);
                continue;
            }
            AssertJsonEqual(ed, ad);
        }
        // Every event is framed by a blank line: nothing trails unterminated.
        Assert.True(actualText.EndsWith("\n\n", StringComparison.Ordinal) || actualText.EndsWith("\r\n\r\n", StringComparison.Ordinal), "the last event is not terminated");
    }

    /// <summary>Feeds an upstream SSE body through a decoder and a client encoder, as the gateway does.</summary>
    public static byte[] Translate(byte[] upstreamSse, IStreamDecoder decoder, IStreamEncoder encoder)
    {
        var output = new ArrayBufferWriter<byte>();
        var events = new List<StreamEvent>();
        foreach (var sse in ParseSse(upstreamSse))
        {
            decoder.OnEvent(sse, events);
            if (decoder.IsFinished)
            {
                break;
            }
        }
        if (!decoder.IsFinished)
        {
            decoder.OnEnd(events);
        }
        foreach (var e in events)
        {
            encoder.Write(e, output);
        }
        return output.WrittenSpan.ToArray();
    }
}
