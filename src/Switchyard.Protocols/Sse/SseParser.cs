using System.Buffers;
using System.Text;

namespace Switchyard.Protocols.Sse;

/// <summary>The line state machine behind <see cref="SseReader"/>; usable on in-memory buffers too.</summary>
public sealed class SseParser
{
    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private string? _eventType;
    private bool _hasData;

    /// <summary>Bytes of the event being read that are held here (its data lines so far).</summary>
    public int PendingBytes => _data.WrittenCount;

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
        // Decoded as the SSE standard decodes a stream: broken UTF-8 (or half a surrogate pair) becomes U+FFFD.
        evt = new SseEvent(_eventType, Json.Utf8Text.Repair(new ReadOnlyMemory<byte>(_data.WrittenMemory.ToArray())));
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
            _eventType = EventName(value);
        }
    }

    /// <summary>Event names this stream used before: a stream repeats a handful, so each costs a string only once.</summary>
    private readonly List<string> _names = new(8);

    private string EventName(ReadOnlySpan<byte> value)
    {
        foreach (var known in _names)
        {
            if (value.Length == known.Length && System.Text.Ascii.Equals(value, known))
            {
                return known;
            }
        }
        var name = Encoding.UTF8.GetString(value);
        if (_names.Count < 16)
        {
            _names.Add(name);
        }
        return name;
    }
}
