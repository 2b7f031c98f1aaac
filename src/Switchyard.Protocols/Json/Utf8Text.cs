using System.Text;
using System.Text.Unicode;

namespace Switchyard.Protocols.Json;

/// <summary>
/// JSON bytes that no string accessor will choke on: valid UTF-8, and no <c>\uD800</c>-style escape of half a
/// surrogate pair (valid JSON syntax, but System.Text.Json refuses to turn it into a string). Requests are refused
/// when they break this (<c>RequestBody.RequireText</c>); upstream answers are repaired, as the SSE standard decodes
/// a stream: each broken sequence becomes U+FFFD.
/// </summary>
public static class Utf8Text
{
    /// <summary>Vectorized: a few microseconds for a large body.</summary>
    public static bool IsClean(ReadOnlySpan<byte> json) => Utf8.IsValid(json) && LoneSurrogateEscape(json) < 0;

    /// <summary>The bytes themselves when clean (the usual case: no copy); else a repaired copy.</summary>
    public static ReadOnlyMemory<byte> Repair(ReadOnlyMemory<byte> json)
    {
        if (IsClean(json.Span))
        {
            return json;
        }
        var bytes = Utf8.IsValid(json.Span) ? json.ToArray() : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(json.Span));
        while (LoneSurrogateEscape(bytes) is var at and >= 0)
        {
            "\\uFFFD"u8.CopyTo(bytes.AsSpan(at)); // same length: the escape is replaced in place
        }
        return bytes;
    }

    /// <summary>The same for a span: itself when clean, else a repaired copy.</summary>
    public static ReadOnlySpan<byte> Repair(ReadOnlySpan<byte> json) => IsClean(json) ? json : Repair(new ReadOnlyMemory<byte>(json.ToArray())).Span;

    /// <summary>The offset of the first <c>\uXXXX</c> escape that is half a surrogate pair without its other half, or -1.</summary>
    public static int LoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        var from = 0;
        while (json[from..].IndexOf("\\u"u8) is var k and >= 0)
        {
            var at = from + k;
            from = at + 2;
            if (!IsEscape(json, at) || !TryHex(json, at + 2, out var unit) || unit is < 0xD800 or > 0xDFFF)
            {
                continue;
            }
            if (unit >= 0xDC00 || at + 12 > json.Length || json[at + 6] != '\\' || json[at + 7] != 'u'
                || !TryHex(json, at + 8, out var low) || low is < 0xDC00 or > 0xDFFF)
            {
                return at; // a low half first, or a high half not followed by a low one
            }
            from = at + 12;
        }
        return -1;
    }

    /// <summary>The offset of the first byte that is not valid UTF-8 (the body's length when all are).</summary>
    public static int FirstInvalidByte(ReadOnlySpan<byte> bytes)
    {
        Utf8.ToUtf16(bytes, new char[bytes.Length], out var read, out _, replaceInvalidSequences: false);
        return read;
    }

    /// <summary>A backslash preceded by an even number of backslashes starts an escape (<c>\\u</c> is a backslash and a 'u').</summary>
    private static bool IsEscape(ReadOnlySpan<byte> json, int backslash)
    {
        var run = 0;
        for (var i = backslash - 1; i >= 0 && json[i] == '\\'; i--)
        {
            run++;
        }
        return run % 2 == 0;
    }

    private static bool TryHex(ReadOnlySpan<byte> json, int start, out int value)
    {
        value = 0;
        return start + 4 <= json.Length && int.TryParse(json.Slice(start, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }
}
