using System.Globalization;
using Switchyard.Inbound;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Inbound;

/// <summary>Writes answers, errors and stream headers to the client in its own protocol.</summary>
internal static class ClientWriter
{
    public static Task WriteErrorAsync(HttpContext http, ClientProtocol client, GatewayError error, string requestId, string[] secrets)
    {
        if (http.Response.HasStarted)
        {
            return Task.CompletedTask;
        }
        var safe = error with { Message = Redact(error.Message, secrets) };
        var response = http.Response;
        response.StatusCode = client.ErrorStatus(safe);
        response.ContentType = "application/json";
        if (safe.RetryAfter is { } retry)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        var body = client.EncodeError(safe, requestId);
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, http.RequestAborted).AsTask();
    }

    /// <summary>
    /// <c>x-switchyard-provider</c> and <c>x-switchyard-attempts</c> on every answer after dispatch, and
    /// <c>x-switchyard-model</c> when a provider served it.
    /// </summary>
    public static void SetDispatchHeaders(HttpResponse response, string? provider, string? model, int attempts, bool served)
    {
        var headers = response.Headers;
        headers["x-switchyard-provider"] = HeaderSafe(provider ?? "");
        if (served)
        {
            headers["x-switchyard-model"] = HeaderSafe(model ?? "");
        }
        headers["x-switchyard-attempts"] = attempts.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Header values must be visible ASCII; anything else (a model name with 'é') is percent-encoded.</summary>
    internal static string HeaderSafe(string value)
    {
        foreach (var ch in value)
        {
            if (ch is < ' ' or > '~')
            {
                return Uri.EscapeDataString(value);
            }
        }
        return value;
    }

    public static void StartStream(HttpContext http, ClientProtocol client)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = client.StreamContentType(http.Request);
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["x-accel-buffering"] = "no";
    }

    /// <summary>Removes every configured secret from text that may reach a client or a log (upstreams echo keys).</summary>
    public static string Redact(string text, string[] secrets)
    {
        foreach (var s in secrets)
        {
            if (text.Contains(s, StringComparison.Ordinal))
            {
                text = text.Replace(s, Config.UpstreamKey.Mask(s), StringComparison.Ordinal);
            }
        }
        return text;
    }
}
