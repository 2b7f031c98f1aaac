using System.Buffers;
using System.Runtime.CompilerServices;
using Switchyard.Protocols.Sse;

namespace Switchyard.Protocols.Canonical;

/// <summary>Turns one upstream protocol's SSE events into canonical stream events. Stateful, one per stream.</summary>
public interface IStreamDecoder
{
    void OnEvent(SseEvent sse, List<StreamEvent> output);
    /// <summary>The upstream closed the stream; emit whatever is owed (or an error if it ended early).</summary>
    void OnEnd(List<StreamEvent> output);
    bool IsFinished { get; }
}

/// <summary>Writes canonical stream events as one client protocol's bytes. Stateful, one per stream.</summary>
public interface IStreamEncoder : IDisposable
{
    void Write(StreamEvent evt, IBufferWriter<byte> output);
    /// <summary>True once a terminal event (message stop or error) has been written.</summary>
    bool IsComplete { get; }
}

public static class StreamDecoding
{
    /// <summary>Reads an SSE body and yields canonical events as each upstream event arrives.</summary>
    public static async IAsyncEnumerable<StreamEvent> DecodeAsync(Stream body, IStreamDecoder decoder, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var batch = new List<StreamEvent>(4);
        await foreach (var sse in SseReader.ReadAsync(body, ct).ConfigureAwait(false))
        {
            decoder.OnEvent(sse, batch);
            foreach (var e in batch)
            {
                yield return e;
            }
            batch.Clear();
            if (decoder.IsFinished)
            {
                yield break;
            }
        }
        decoder.OnEnd(batch);
        foreach (var e in batch)
        {
            yield return e;
        }
    }
}
