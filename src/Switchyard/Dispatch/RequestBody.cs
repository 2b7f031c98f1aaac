using System.Buffers;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Dispatch;

/// <summary>Reads the request body whole (it is needed again on retries), refusing more than the configured limit.</summary>
internal static class RequestBody
{
    public static async Task<byte[]> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength is { } declared)
        {
            if (declared > limit)
            {
                throw TooLarge(limit);
            }
            var exact = new byte[declared];
            await request.Body.ReadExactlyAsync(exact, ct).ConfigureAwait(false);
            return exact;
        }
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            var n = await request.Body.ReadAsync(buffer.GetMemory(16 * 1024), ct).ConfigureAwait(false);
            if (n == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }
            buffer.Advance(n);
            if (buffer.WrittenCount > limit)
            {
                throw TooLarge(limit);
            }
        }
    }

    private static ProtocolException TooLarge(long limit) =>
        new(new GatewayError(ErrorKind.RequestTooLarge, $"The request body exceeds the gateway's limit of {limit} bytes."));
}
