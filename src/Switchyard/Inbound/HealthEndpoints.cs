using System.Reflection;
using Microsoft.AspNetCore.Routing.Template;
using Switchyard.Config;
using Switchyard.Dispatch;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Inbound;

/// <summary>Liveness, the root banner, Claude Code's <c>HEAD /</c> warm-up, and protocol-shaped 404s for the rest.</summary>
internal static class HealthEndpoints
{
    public static readonly string Version = typeof(HealthEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (HttpContext http) => ModelEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "ok");
            w.WriteEndObject();
        }));
        app.MapMethods("/", ["GET", "HEAD"], (HttpContext http) => http.Request.Method == "HEAD"
            ? Task.CompletedTask
            : ModelEndpoints.WriteJsonAsync(http, w =>
            {
                w.WriteStartObject();
                w.WriteString("name", "switchyard");
                w.WriteString("version", Version);
                w.WriteString("status", "ok");
                w.WriteEndObject();
            }));
        app.MapFallback((HttpContext http, ConfigHolder config, EndpointDataSource endpoints) =>
        {
            var protocol = http.Request.Path.StartsWithSegments("/v1beta") ? ClientProtocol.Gemini
                : http.Request.Headers.ContainsKey("anthropic-version") || http.Request.Path.StartsWithSegments("/v1/messages") ? ClientProtocol.Anthropic
                : ClientProtocol.OpenAI;
            var allowed = AllowedMethods(endpoints, http.Request.Path);
            if (allowed.Count > 0)
            {
                http.Response.Headers.Allow = string.Join(", ", allowed);
                return ClientWriter.WriteErrorAsync(http, protocol, new GatewayError(ErrorKind.MethodNotAllowed,
                    $"{http.Request.Method} is not allowed on {http.Request.Path}; use {string.Join(" or ", allowed)}."), "req_none", config.Current.Secrets);
            }
            return ClientWriter.WriteErrorAsync(http, protocol, new GatewayError(ErrorKind.NotFound, $"No endpoint {http.Request.Method} {http.Request.Path}.") { Code = "unknown_url" }, "req_none", config.Current.Secrets);
        });
        return app;
    }

    /// <summary>The methods the endpoints whose route matches <paramref name="path"/> accept (the fallback itself excluded).</summary>
    private static List<string> AllowedMethods(EndpointDataSource endpoints, PathString path)
    {
        var methods = new List<string>();
        foreach (var endpoint in endpoints.Endpoints)
        {
            if (endpoint is not RouteEndpoint { RoutePattern: var pattern } route || route.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } accepts
                || pattern.RawText?.Contains("*path", StringComparison.Ordinal) == true) // MapFallback's own pattern
            {
                continue;
            }
            var matcher = new TemplateMatcher(new RouteTemplate(pattern), new RouteValueDictionary());
            if (matcher.TryMatch(path, new RouteValueDictionary()))
            {
                foreach (var m in accepts.HttpMethods)
                {
                    if (!methods.Contains(m, StringComparer.Ordinal))
                    {
                        methods.Add(m);
                    }
                }
            }
        }
        return methods;
    }
}
