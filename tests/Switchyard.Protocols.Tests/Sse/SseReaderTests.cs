using System.Text;
using Switchyard.Protocols.Sse;
using Xunit;

namespace Switchyard.Protocols.Tests.Sse;

/// <summary>P18 (CRLF framing) and P35 (comments, keep-alives, events split across reads).</summary>
public sealed class SseReaderTests
{
    private static async Task<List<SseEvent>> ReadAll(Stream s)
    {
        var list = new List<SseEvent>();
        await foreach (var e in SseReader.ReadAsync(s))
        {
            list.Add(e);
        }
        return list;
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public async Task Splits_events_on_every_line_ending(string eol)
    {
        var text = $"event: a{eol}data: {{\"x\":1}}{eol}{eol}: keep-alive comment{eol}{eol}data: line1{eol}data: line2{eol}{eol}data: [DONE]{eol}{eol}";
        var events = await ReadAll(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(3, events.Count);
        Assert.Equal("a", events[0].EventType);
        Assert.Equal("{\"x\":1}", Encoding.UTF8.GetString(events[0].Data.Span));
        Assert.Equal("line1\nline2", Encoding.UTF8.GetString(events[1].Data.Span));
        Assert.True(events[2].IsDone);
    }

    [Fact]
    public async Task Reassembles_events_split_across_reads_even_between_CR_and_LF()
    {
        var text = "data: {\"usage\":{\"prompt_tokens\":12}}\r\n\r\ndata: second\r\n\r\n";
        var events = await ReadAll(new TrickleStream(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(2, events.Count);
        Assert.Equal("{\"usage\":{\"prompt_tokens\":12}}", Encoding.UTF8.GetString(events[0].Data.Span));
        Assert.Equal("second", Encoding.UTF8.GetString(events[1].Data.Span));
    }

    [Fact]
    public async Task A_final_event_without_its_blank_line_is_still_delivered()
    {
        var events = await ReadAll(new MemoryStream("data: last"u8.ToArray()));
        Assert.Single(events);
        Assert.Equal("last", Encoding.UTF8.GetString(events[0].Data.Span));
    }

    /// <summary>Returns one byte per read: every possible split point is exercised.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _pos;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_pos >= data.Length)
            {
                return 0;
            }
            buffer[offset] = data[_pos++];
            return 1;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
