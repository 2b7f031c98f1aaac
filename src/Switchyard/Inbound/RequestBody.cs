using System.Buffers;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Inbound;

/// <summary>
/// Reads the request body whole (it is needed again on retries), refusing more than the configured limit; and refuses
/// (<see cref="RequireText"/>, called by the prologue) anything that is not Unicode text: invalid UTF-8, or a <c>\uD800</c>-style escape of half a surrogate pair (valid JSON
/// syntax, but no string can hold it: decoders and encoders would otherwise fail deep inside on the first such string).
/// </summary>
internal static class RequestBody
{
    /// <summary>Vectorized validation: a few microseconds for a large body, paid once per request.</summary>
    internal static byte[] RequireText(byte[] body)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            throw new ProtocolException($"The request body is not valid UTF-8 (first invalid byte at offset {Utf8Text.FirstInvalidByte(body)}); JSON must be UTF-8.");
        }
        if (Utf8Text.LoneSurrogateEscape(body) is var at and >= 0)
        {
            throw new ProtocolException($"The request body has an unpaired surrogate escape ('{System.Text.Encoding.ASCII.GetString(body, at, 6)}') at offset {at}; JSON strings must be valid Unicode.");
        }
        return body;
    }

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
