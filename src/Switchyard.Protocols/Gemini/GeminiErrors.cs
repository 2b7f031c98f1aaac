using System.Globalization;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Gemini;

/// <summary>Gemini errors in <c>google.rpc.Status</c> shape: <c>{"error":{code,message,status,details}}</c> (MAPPING §13, P23).</summary>
public static class GeminiErrors
{
    public static (int Status, string Name) StatusOf(GatewayError e) => e.Kind switch
    {
        ErrorKind.InvalidRequest or ErrorKind.RequestTooLarge => (400, "INVALID_ARGUMENT"),
        ErrorKind.Authentication => (401, "UNAUTHENTICATED"),
        ErrorKind.Permission => (403, "PERMISSION_DENIED"),
        ErrorKind.NotFound => (404, "NOT_FOUND"),
        ErrorKind.MethodNotAllowed => (405, "UNIMPLEMENTED"),
        ErrorKind.RequestTimeout => (408, "DEADLINE_EXCEEDED"),
        ErrorKind.Conflict => (409, "ALREADY_EXISTS"),
        ErrorKind.PreconditionFailed => (412, "FAILED_PRECONDITION"),
        ErrorKind.RateLimit or ErrorKind.QuotaExceeded => (429, "RESOURCE_EXHAUSTED"),
        ErrorKind.Internal => (500, "INTERNAL"),
        ErrorKind.BadGateway => (502, "UNAVAILABLE"), // gRPC's HTTP mapping: 502 is UNAVAILABLE
        ErrorKind.Overloaded or ErrorKind.Unavailable => (503, "UNAVAILABLE"),
        ErrorKind.Timeout => (504, "DEADLINE_EXCEEDED"),
        _ => (500, "INTERNAL"),
    };

    public static void WriteErrorBody(Utf8JsonWriter w, GatewayError e)
    {
        var (status, name) = StatusOf(e);
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteNumber("code", status);
        w.WriteString("message", e.Message);
        w.WriteString("status", name);
        if (e.RetryAfter is { } retry)
        {
            w.WriteStartArray("details");
            w.WriteStartObject();
            w.WriteString("@type", "type.googleapis.com/google.rpc.RetryInfo");
            w.WriteString("retryDelay", string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds))}s"));
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static byte[] Encode(GatewayError e) => J.WriteToBytes(w => WriteErrorBody(w, e));

    public static GatewayError Decode(int status, ReadOnlySpan<byte> body, TimeSpan? retryAfter)
    {
        body = Utf8Text.Repair(body); // a broken byte must not lose the error
        var kind = GatewayError.KindFromStatus(status);
        string? message = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.GetArrayLength() > 0 ? doc.RootElement[0] : doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.Object)
            {
                message = G.Text(err, "message");
                kind = G.Text(err, "status") switch
                {
                    "INVALID_ARGUMENT" or "FAILED_PRECONDITION" or "OUT_OF_RANGE" => ErrorKind.InvalidRequest,
                    "UNAUTHENTICATED" => ErrorKind.Authentication,
                    "PERMISSION_DENIED" => ErrorKind.Permission,
                    "NOT_FOUND" => ErrorKind.NotFound,
                    "RESOURCE_EXHAUSTED" => ErrorKind.RateLimit,
                    "INTERNAL" or "UNKNOWN" => ErrorKind.Internal,
                    "UNAVAILABLE" => ErrorKind.Overloaded,
                    "DEADLINE_EXCEEDED" => ErrorKind.Timeout,
                    _ => kind,
                };
                if (G.Get(err, "details") is { ValueKind: JsonValueKind.Array } details)
                {
                    foreach (var d in details.EnumerateArray())
                    {
                        // A bad key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID (P23).
                        if (G.Text(d, "reason") == "API_KEY_INVALID")
                        {
                            kind = ErrorKind.Authentication;
                        }
                        if (G.Text(d, "retryDelay", "retry_delay") is { } delay && ParseSeconds(delay) is { } seconds)
                        {
                            retryAfter ??= seconds;
                        }
                    }
                }
            }
        }
        catch (JsonException)
        {
            message = body.Length > 0 ? System.Text.Encoding.UTF8.GetString(body[..Math.Min(body.Length, 512)]) : null;
        }
        return new GatewayError(kind, string.IsNullOrWhiteSpace(message) ? $"Upstream returned HTTP {status}." : message) { RetryAfter = retryAfter, UpstreamStatus = status };
    }

    private static TimeSpan? ParseSeconds(string delay) =>
        delay.EndsWith('s') && double.TryParse(delay.AsSpan(0, delay.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? TimeSpan.FromSeconds(s) : null;
}
