using System.Runtime.CompilerServices;
using Switchyard.Protocols.Sse;

namespace Switchyard.Protocols.Canonical;

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
