using System.Buffers;
using Switchyard.Protocols.Canonical;

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
            throw new ProtocolException($"The request body is not valid UTF-8 (first invalid byte at offset {FirstInvalidByte(body)}); JSON must be UTF-8.");
        }
        if (LoneSurrogateEscape(body) is var at and >= 0)
        {
            throw new ProtocolException($"The request body has an unpaired surrogate escape ('{System.Text.Encoding.ASCII.GetString(body, at, 6)}') at offset {at}; JSON strings must be valid Unicode.");
        }
        return body;
    }

    /// <summary>The offset of the first <c>\uXXXX</c> escape that is half a surrogate pair without its other half, or -1.</summary>
    internal static int LoneSurrogateEscape(ReadOnlySpan<byte> body)
    {
        var from = 0;
        while (body[from..].IndexOf("\\u"u8) is var k and >= 0)
        {
            var at = from + k;
            from = at + 2;
            if (!IsEscape(body, at) || !TryHex(body, at + 2, out var unit) || unit is < 0xD800 or > 0xDFFF)
            {
                continue;
            }
            if (unit >= 0xDC00 || at + 12 > body.Length || body[at + 6] != '\\' || body[at + 7] != 'u'
                || !TryHex(body, at + 8, out var low) || low is < 0xDC00 or > 0xDFFF)
            {
                return at; // a low half first, or a high half not followed by a low one
            }
            from = at + 12;
        }
        return -1;
    }

    /// <summary>A backslash preceded by an even number of backslashes starts an escape (<c>\\u</c> is a backslash and a 'u').</summary>
    private static bool IsEscape(ReadOnlySpan<byte> body, int backslash)
    {
        var run = 0;
        for (var i = backslash - 1; i >= 0 && body[i] == '\\'; i--)
        {
            run++;
        }
        return run % 2 == 0;
    }

    private static bool TryHex(ReadOnlySpan<byte> body, int start, out int value)
    {
        value = 0;
        return start + 4 <= body.Length && int.TryParse(body.Slice(start, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    private static int FirstInvalidByte(ReadOnlySpan<byte> body)
    {
        System.Text.Unicode.Utf8.ToUtf16(body, new char[body.Length], out var read, out _, replaceInvalidSequences: false);
        return read;
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
