using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;

namespace Switchyard.Protocols.Sse;

/// <summary>One server-sent event: its <c>event:</c> name (if any) and its joined <c>data:</c> lines.</summary>
public readonly record struct SseEvent(string? EventType, ReadOnlyMemory<byte> Data)
{
    public bool IsDone => Data.Span.SequenceEqual("[DONE]"u8);

    /// <summary>The data as a JSON document, or null when it is not JSON (keep-alives, vendor noise: skipped, P35).</summary>
    public System.Text.Json.JsonDocument? ParseJson()
    {
        try
        {
            return System.Text.Json.JsonDocument.Parse(Data);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
    public override string ToString() => $"{EventType}: {Encoding.UTF8.GetString(Data.Span)}";
}

/// <summary>
/// Incremental SSE parser: splits on LF, CRLF and CR line ends (P18), joins multi-line data,
/// skips comments (P35) and reassembles events split across network reads.
/// </summary>
public static class SseReader
{
    public static async IAsyncEnumerable<SseEvent> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        var parser = new SseParser();
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(ct).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (parser.TryReadEvent(ref buffer, result.IsCompleted, out var evt))
                {
                    yield return evt;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    if (parser.TryFlush(out var last))
                    {
                        yield return last;
                    }
                    yield break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The line state machine behind <see cref="SseReader"/>; usable on in-memory buffers too.</summary>
public sealed class SseParser
{
    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private string? _eventType;
    private bool _hasData;

    public bool TryReadEvent(ref ReadOnlySequence<byte> buffer, bool isCompleted, out SseEvent evt)
    {
        while (TryReadLine(ref buffer, isCompleted, out var line))
        {
            if (line.IsEmpty)
            {
                if (TryFlush(out evt))
                {
                    return true;
                }
                continue;
            }
            ProcessLine(line);
        }
        evt = default;
        return false;
    }

    public bool TryFlush(out SseEvent evt)
    {
        if (!_hasData && _eventType is null)
        {
            evt = default;
            return false;
        }
        evt = new SseEvent(_eventType, _data.WrittenMemory.ToArray());
        _data.Clear();
        _eventType = null;
        _hasData = false;
        return true;
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, bool isCompleted, out ReadOnlySpan<byte> line)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryAdvanceToAny("\r\n"u8, advancePastDelimiter: false))
        {
            if (isCompleted && !buffer.IsEmpty)
            {
                line = buffer.IsSingleSegment ? buffer.FirstSpan : buffer.ToArray();
                buffer = buffer.Slice(buffer.End);
                return true;
            }
            line = default;
            return false;
        }
        var lineSeq = buffer.Slice(0, reader.Position);
        reader.TryRead(out var terminator);
        if (terminator == (byte)'\r')
        {
            if (reader.End && !isCompleted)
            {
                // a CR at the end of what we have may be the first half of CRLF: wait for more
                line = default;
                return false;
            }
            reader.IsNext((byte)'\n', advancePast: true);
        }
        line = lineSeq.IsSingleSegment ? lineSeq.FirstSpan : lineSeq.ToArray();
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private void ProcessLine(ReadOnlySpan<byte> line)
    {
        if (line[0] == (byte)':')
        {
            return; // comment / keep-alive
        }
        var colon = line.IndexOf((byte)':');
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? [] : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }
        if (field.SequenceEqual("data"u8))
        {
            if (_hasData)
            {
                _data.Write("\n"u8);
            }
            _data.Write(value);
            _hasData = true;
        }
        else if (field.SequenceEqual("event"u8))
        {
            _eventType = Encoding.UTF8.GetString(value);
        }
    }
}
