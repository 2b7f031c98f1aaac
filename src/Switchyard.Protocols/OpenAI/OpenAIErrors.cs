using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.OpenAI;

/// <summary>OpenAI error bodies <c>{"error":{message,type,param,code}}</c> (MAPPING §13).</summary>
public static class OpenAIErrors
{
    public static int Status(GatewayError e) => e.Kind switch
    {
        ErrorKind.InvalidRequest => 400,
        ErrorKind.Authentication => 401,
        ErrorKind.Permission => 403,
        ErrorKind.NotFound => 404,
        ErrorKind.MethodNotAllowed => 405,
        ErrorKind.RequestTimeout => 408,
        ErrorKind.Conflict => 409,
        ErrorKind.PreconditionFailed => 412,
        ErrorKind.RequestTooLarge => 413,
        ErrorKind.RateLimit or ErrorKind.QuotaExceeded => 429,
        ErrorKind.Internal => 500,
        ErrorKind.BadGateway => 502,
        ErrorKind.Unavailable => 503,
        ErrorKind.Overloaded => 503,
        ErrorKind.Timeout => 504,
        _ => 500,
    };

    public static void WriteErrorObject(Utf8JsonWriter w, GatewayError e)
    {
        var (type, code) = e.Kind switch
        {
            ErrorKind.Authentication => ("invalid_request_error", "invalid_api_key"),
            ErrorKind.Permission => ("permission_error", null),
            ErrorKind.NotFound => ("invalid_request_error", "model_not_found"),
            ErrorKind.MethodNotAllowed => ("invalid_request_error", "method_not_allowed"),
            ErrorKind.RequestTimeout => ("invalid_request_error", "request_timeout"),
            ErrorKind.Conflict => ("invalid_request_error", "conflict"),
            ErrorKind.PreconditionFailed => ("invalid_request_error", "precondition_failed"),
            ErrorKind.RateLimit => ("requests", "rate_limit_exceeded"),
            ErrorKind.QuotaExceeded => ("insufficient_quota", "insufficient_quota"),
            ErrorKind.Internal or ErrorKind.BadGateway or ErrorKind.Overloaded or ErrorKind.Timeout or ErrorKind.Unavailable => ("server_error", null),
            _ => ("invalid_request_error", null),
        };
        w.WriteStartObject("error");
        w.WriteString("message", e.Message);
        w.WriteString("type", type);
        if (e.Param is null)
        {
            w.WriteNull("param");
        }
        else
        {
            w.WriteString("param", e.Param);
        }
        if ((e.Code ?? code) is { } c)
        {
            w.WriteString("code", c);
        }
        else
        {
            w.WriteNull("code");
        }
        w.WriteEndObject();
    }

    public static byte[] Encode(GatewayError e) => J.WriteToBytes(w =>
    {
        w.WriteStartObject();
        WriteErrorObject(w, e);
        w.WriteEndObject();
    });

    /// <summary>Reads an upstream error body; unknown shapes keep the status and a readable message.</summary>
    public static GatewayError Decode(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter)
    {
        body = Utf8Text.Repair(body); // a broken byte must not lose the error
        var kind = GatewayError.KindFromStatus(status);
        string? message = null;
        string? code = null;
        string? param = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
            {
                root = root[0];
            }
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var err))
            {
                if (err.ValueKind == JsonValueKind.String)
                {
                    message = err.GetString();
                }
                else if (err.ValueKind == JsonValueKind.Object)
                {
                    message = err.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                    code = err.TryGetProperty("code", out var c) ? (c.ValueKind == JsonValueKind.String ? c.GetString() : c.ValueKind == JsonValueKind.Number ? c.GetRawText() : null) : null;
                    param = err.TryGetProperty("param", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
                    var type = err.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                    if (type == "insufficient_quota" || code == "insufficient_quota")
                    {
                        kind = ErrorKind.QuotaExceeded;
                    }
                }
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
            {
                message = m.GetString();
            }
        }
        catch (JsonException)
        {
            message = body.Length > 0 ? System.Text.Encoding.UTF8.GetString(body[..Math.Min(body.Length, 512)]) : null;
        }
        return new GatewayError(kind, string.IsNullOrWhiteSpace(message) ? $"Upstream returned HTTP {status}." : message) { Code = code is "rate_limit_exceeded" or "invalid_api_key" ? null : code, Param = param, RetryAfter = retryAfter, UpstreamStatus = status };
    }
}
