using System.Globalization;
using Switchyard.Endpoints;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Dispatch;

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

    public static void SetServedBy(ProxyContext ctx, string provider, string model)
    {
        var headers = ctx.Http.Response.Headers;
        headers["x-switchyard-provider"] = HeaderSafe(provider);
        headers["x-switchyard-model"] = HeaderSafe(model);
        headers["x-switchyard-attempts"] = ctx.Attempts.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>On a failed request: which provider was tried last, and how many attempts were made.</summary>
    public static void SetTried(ProxyContext ctx, string provider)
    {
        var headers = ctx.Http.Response.Headers;
        headers["x-switchyard-provider"] = HeaderSafe(provider);
        headers["x-switchyard-attempts"] = ctx.Attempts.ToString(CultureInfo.InvariantCulture);
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

    public static void StartStream(ProxyContext ctx)
    {
        var http = ctx.Http;
        http.Response.StatusCode = 200;
        http.Response.ContentType = ctx.Client.StreamContentType(http.Request);
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
