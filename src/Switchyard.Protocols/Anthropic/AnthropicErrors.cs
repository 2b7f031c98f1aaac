using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Anthropic;

/// <summary>Anthropic error bodies <c>{"type":"error","error":{type,message}}</c> (MAPPING §13).</summary>
public static class AnthropicErrors
{
    public static int Status(GatewayError e) => e.Kind switch
    {
        ErrorKind.InvalidRequest => 400,
        ErrorKind.Authentication => 401,
        ErrorKind.QuotaExceeded => 402,
        ErrorKind.Permission => 403,
        ErrorKind.NotFound => 404,
        ErrorKind.MethodNotAllowed => 405,
        ErrorKind.RequestTimeout => 408,
        ErrorKind.Conflict => 409,
        ErrorKind.PreconditionFailed => 412,
        ErrorKind.RequestTooLarge => 413,
        ErrorKind.RateLimit => 429,
        ErrorKind.Internal => 500,
        ErrorKind.BadGateway => 502,
        ErrorKind.Unavailable => 503,
        ErrorKind.Timeout => 504,
        ErrorKind.Overloaded => 529,
        _ => 500,
    };

    public static string TypeOf(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidRequest or ErrorKind.MethodNotAllowed or ErrorKind.RequestTimeout or ErrorKind.Conflict or ErrorKind.PreconditionFailed => "invalid_request_error",
        ErrorKind.Authentication => "authentication_error",
        ErrorKind.QuotaExceeded => "billing_error",
        ErrorKind.Permission => "permission_error",
        ErrorKind.NotFound => "not_found_error",
        ErrorKind.RequestTooLarge => "request_too_large",
        ErrorKind.RateLimit => "rate_limit_error",
        ErrorKind.Overloaded => "overloaded_error",
        ErrorKind.Timeout => "timeout_error",
        _ => "api_error",
    };

    public static ErrorKind KindOf(string? type, int status) => type switch
    {
        "invalid_request_error" => ErrorKind.InvalidRequest,
        "authentication_error" => ErrorKind.Authentication,
        "billing_error" => ErrorKind.QuotaExceeded,
        "permission_error" => ErrorKind.Permission,
        "not_found_error" => ErrorKind.NotFound,
        "request_too_large" => ErrorKind.RequestTooLarge,
        "rate_limit_error" => ErrorKind.RateLimit,
        "overloaded_error" => ErrorKind.Overloaded,
        "timeout_error" => ErrorKind.Timeout,
        "api_error" => ErrorKind.Internal,
        _ => GatewayError.KindFromStatus(status),
    };

    public static void WriteErrorBody(Utf8JsonWriter w, GatewayError e, string? requestId)
    {
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteString("type", TypeOf(e.Kind));
        w.WriteString("message", e.Message);
        w.WriteEndObject();
        if (requestId is not null)
        {
            w.WriteString("request_id", requestId);
        }
        w.WriteEndObject();
    }

    public static byte[] Encode(GatewayError e, string? requestId) => J.WriteToBytes(w => WriteErrorBody(w, e, requestId));

    public static GatewayError Decode(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter)
    {
        body = Utf8Text.Repair(body); // a broken byte must not lose the error
        string? type = null;
        string? message = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.Object)
            {
                type = err.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                message = err.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            }
        }
        catch (JsonException)
        {
            message = body.Length > 0 ? System.Text.Encoding.UTF8.GetString(body[..Math.Min(body.Length, 512)]) : null;
        }
        return new GatewayError(KindOf(type, status), string.IsNullOrWhiteSpace(message) ? $"Upstream returned HTTP {status}." : message) { RetryAfter = retryAfter, UpstreamStatus = status };
    }
}
