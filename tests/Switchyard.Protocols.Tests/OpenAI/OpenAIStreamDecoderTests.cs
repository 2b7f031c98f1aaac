using System.Text;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.OpenAI;
using Switchyard.Protocols.Sse;
using Xunit;

namespace Switchyard.Protocols.Tests.OpenAI;

/// <summary>The forward-only reading of common chunks gives exactly what the document reading gives.</summary>
public sealed class OpenAIStreamDecoderTests
{
    private const string Head = "\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\"";

    public static TheoryData<string> Deltas() => new()
    {
        "\"content\":\"Hello\"",
        "\"content\":\"caf\\u00e9 \\\"quoted\\\" \\n line\"",
        "\"content\":\"\"",
        "\"content\":null",
        "\"role\":\"assistant\",\"content\":\"\",\"refusal\":null",
        "\"reasoning_content\":\"think\"",
        "\"reasoning\":\"think\"",
        "\"reasoning_content\":\"a\",\"reasoning\":\"b\"",
        "\"reasoning_content\":\"a\",\"content\":\"b\"",
    };

    [Theory]
    [MemberData(nameof(Deltas))]
    public void A_chunk_read_forward_decodes_as_its_document_reading_does(string delta)
    {
        foreach (var finish in new[] { "null", "\"stop\"", "\"length\"" })
        {
            var fast = $"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{{delta}}},\"logprobs\":null,\"finish_reason\":{finish}}}],\"usage\":null}}";
            // An unknown nested field in the delta sends the same chunk down the document path.
            var slow = $"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{{delta},\"zz\":{{\"n\":1}}}},\"logprobs\":null,\"finish_reason\":{finish}}}],\"usage\":null}}";
            Assert.Equal(Decode(slow), Decode(fast));
        }
    }

    [Theory]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}},{\"index\":1,\"delta\":{\"content\":\"b\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}")]
    [InlineData("{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}")]
    public void Chunks_outside_the_common_shape_still_decode(string chunk)
    {
        var events = Decode(chunk);
        Assert.NotEmpty(events);
        Assert.EndsWith("MessageStopEvent", events[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_DONE_before_any_finish_reason_is_a_malformed_stream_not_a_finished_answer()
    {
        var sse = $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hel\"}},\"finish_reason\":null}}]}}\n\ndata: [DONE]\n\n";
        var decoder = new OpenAIStreamDecoder();
        var events = new List<StreamEvent>();
        foreach (var evt in GoldenFiles.ParseSse(Encoding.UTF8.GetBytes(sse)))
        {
            decoder.OnEvent(evt, events);
        }
        var error = Assert.IsType<StreamErrorEvent>(events[^1]);
        Assert.Equal(ErrorKind.BadGateway, error.Error.Kind);
        Assert.Contains("[DONE] before any choice had a finish_reason", error.Error.Message, StringComparison.Ordinal);
        Assert.True(decoder.IsFinished);
    }

    /// <summary>A role chunk, the chunk under test, a finish chunk, [DONE] — as canonical events rendered to text.</summary>
    private static List<string> Decode(string chunk)
    {
        var finish = $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}\n\n";
        var sse = $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\"}},\"finish_reason\":null}}]}}\n\ndata: {chunk}\n\n{finish}data: [DONE]\n\n";
        var decoder = new OpenAIStreamDecoder();
        var events = new List<StreamEvent>();
        foreach (var evt in GoldenFiles.ParseSse(Encoding.UTF8.GetBytes(sse)))
        {
            decoder.OnEvent(evt, events);
        }
        return events.Select(Render).ToList();
    }

    private static string Render(StreamEvent e) => e switch
    {
        BlockStartEvent s => $"BlockStart {s.Index} {s.Kind} {s.NeverSigned} {s.ToolCallId} {s.ToolName}",
        BlockDeltaEvent d => $"BlockDelta {d.Index} {d.Kind} {d.Value}",
        BlockStopEvent s => $"BlockStop {s.Index}",
        MessageStartEvent m => $"MessageStart {m.Id} {m.Model}",
        MessageDeltaEvent m => $"MessageDelta {m.FinishReason} {m.Usage?.InputTokens} {m.Usage?.OutputTokens}",
        _ => e.GetType().Name,
    };
}
