using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Switchyard.Protocols.Sse;

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
