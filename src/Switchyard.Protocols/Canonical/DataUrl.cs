using System.Text.Json;

namespace Switchyard.Protocols.Canonical;

/// <summary>Parses <c>data:&lt;mime&gt;;base64,&lt;data&gt;</c> URLs and sniffs image types from magic bytes (P13).</summary>
public static class DataUrl
{
    public static MediaPart ToMediaPart(string url, string? detail, bool isDocument, string? title = null)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0)
            {
                throw new ProtocolException("A data URL must contain ',' before its data.");
            }
            var header = url[5..comma].Replace("\\/", "/", StringComparison.Ordinal);
            var semi = header.IndexOf(';', StringComparison.Ordinal);
            var mime = semi < 0 ? header : header[..semi];
            var data = url[(comma + 1)..];
            if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                data = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Uri.UnescapeDataString(data)));
            }
            return new MediaPart { MediaType = SniffImageType(data) ?? (mime.Length == 0 ? null : mime), Data = data, Detail = detail, IsDocument = isDocument, Title = title };
        }
        return new MediaPart { Url = url, Detail = detail, IsDocument = isDocument, Title = title };
    }

    public static string ToDataUrl(MediaPart part) => $"data:{part.MediaType ?? "application/octet-stream"};base64,{part.Data}";

    /// <summary>The real image type of base64 data, or null when it is not one of the four common types.</summary>
    public static string? SniffImageType(string base64)
    {
        if (base64.Length < 16)
        {
            return null;
        }
        Span<byte> head = stackalloc byte[12];
        if (!Convert.TryFromBase64String(base64[..16], head, out var n) || n < 4)
        {
            return null;
        }
        if (head[0] == 0x89 && head[1] == 0x50 && head[2] == 0x4E && head[3] == 0x47)
        {
            return "image/png";
        }
        if (head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        {
            return "image/jpeg";
        }
        if (head[0] == 0x47 && head[1] == 0x49 && head[2] == 0x46)
        {
            return "image/gif";
        }
        if (n >= 12 && head[0] == 0x52 && head[1] == 0x49 && head[2] == 0x46 && head[3] == 0x46 && head[8] == 0x57 && head[9] == 0x45 && head[10] == 0x42 && head[11] == 0x50)
        {
            return "image/webp";
        }
        return null;
    }
}
