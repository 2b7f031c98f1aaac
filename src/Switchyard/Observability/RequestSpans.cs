using System.Diagnostics;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Observability;

/// <summary>
/// The spans of one request: a server span for the request and a client span per upstream attempt, named and
/// tagged after the OpenTelemetry GenAI semantic conventions (<c>gen_ai.*</c>). Nothing is allocated when no
/// tracer listens (no OTLP endpoint configured): <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null.
/// </summary>
internal static class RequestSpans
{
    public static Activity? StartRequest(WireProtocol client, string model, IHeaderDictionary headers)
    {
        if (!Telemetry.Source.HasListeners())
        {
            return null;
        }
        var span = Telemetry.Source.StartActivity($"chat {model}", ActivityKind.Server, IncomingContext(headers));
        if (span is not null)
        {
            span.SetTag("gen_ai.operation.name", "chat");
            span.SetTag("gen_ai.request.model", model);
            span.SetTag("switchyard.client_protocol", client.ToString().ToLowerInvariant());
        }
        return span;
    }

    /// <summary>
    /// This span is the request's server span (ASP.NET Core's own HTTP activity is not created: see
    /// <c>GatewayHost</c>): its parent is the caller's W3C <c>traceparent</c> when a valid one came in, else none.
    /// </summary>
    private static ActivityContext IncomingContext(IHeaderDictionary headers)
    {
        string? traceparent = headers["traceparent"];
        return traceparent is not null && ActivityContext.TryParse(traceparent, headers["tracestate"], isRemote: true, out var remote)
            ? remote
            : default;
    }

    public static void EndRequest(Activity? span, string? route, string? provider, string? upstreamModel, int status, int attempts, Usage? usage, string? finishReason, ProviderKind? kind)
    {
        if (span is null)
        {
            return;
        }
        if (kind is { } k)
        {
            span.SetTag("gen_ai.system", SystemOf(k));
            span.SetTag("gen_ai.provider.name", SystemOf(k));
        }
        span.SetTag("gen_ai.response.model", upstreamModel);
        span.SetTag("switchyard.route", route);
        span.SetTag("switchyard.provider", provider);
        span.SetTag("switchyard.attempts", attempts);
        span.SetTag("http.response.status_code", status);
        SetUsage(span, usage, finishReason);
        if (status >= 400)
        {
            span.SetStatus(ActivityStatusCode.Error);
            span.SetTag("error.type", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        span.Dispose();
    }

    public static Activity? StartAttempt(ProviderConfig provider, string upstreamModel, string? maskedKey)
    {
        var span = Telemetry.Source.StartActivity($"chat {upstreamModel}", ActivityKind.Client);
        if (span is not null)
        {
            span.SetTag("gen_ai.operation.name", "chat");
            span.SetTag("gen_ai.system", SystemOf(provider.Kind));
            span.SetTag("gen_ai.provider.name", SystemOf(provider.Kind));
            span.SetTag("gen_ai.request.model", upstreamModel);
            span.SetTag("server.address", provider.BaseUrl.Host);
            span.SetTag("server.port", provider.BaseUrl.Port);
            span.SetTag("switchyard.provider", provider.Name);
            span.SetTag("switchyard.key", maskedKey); // masked: never a secret in a span
        }
        return span;
    }

    public static void EndAttempt(Activity? span, Dispatch.AttemptResult result)
    {
        if (span is null)
        {
            return;
        }
        span.SetTag("switchyard.outcome", Dispatch.Dispatcher.Describe(result));
        if (result.Error is { } error)
        {
            span.SetStatus(ActivityStatusCode.Error, error.Kind.ToString());
            span.SetTag("error.type", error.UpstreamStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? error.Kind.ToString());
        }
        SetUsage(span, result.Usage, result.FinishReason);
        span.Dispose();
    }

    private static void SetUsage(Activity span, Usage? usage, string? finishReason)
    {
        if (usage is { } u)
        {
            span.SetTag("gen_ai.usage.input_tokens", u.InputTokens);
            span.SetTag("gen_ai.usage.output_tokens", u.OutputTokens);
        }
        if (finishReason is not null)
        {
            span.SetTag("gen_ai.response.finish_reasons", new[] { finishReason });
        }
    }

    /// <summary>The semantic conventions' provider names.</summary>
    private static string SystemOf(ProviderKind kind) => kind switch
    {
        ProviderKind.OpenAI or ProviderKind.OpenAIResponses => "openai",
        ProviderKind.AzureOpenAI => "azure.ai.openai",
        ProviderKind.Anthropic => "anthropic",
        ProviderKind.Gemini => "gcp.gemini",
        _ => "switchyard.mock",
    };
}
