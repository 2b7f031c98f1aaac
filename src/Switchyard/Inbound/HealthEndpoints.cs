using System.Reflection;
using System.Runtime.CompilerServices;
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
        foreach (var (matcher, accepts) in s_routes.GetValue(endpoints, RoutesOf))
        {
            if (matcher.TryMatch(path, new RouteValueDictionary()))
            {
                methods.AddRange(accepts.Where(m => !methods.Contains(m, StringComparer.Ordinal)));
            }
        }
        return methods;
    }

    /// <summary>The app's routes as matchers, built once: the endpoints do not change after start.</summary>
    private static readonly ConditionalWeakTable<EndpointDataSource, List<(TemplateMatcher Matcher, IReadOnlyList<string> Methods)>> s_routes = [];

    private static List<(TemplateMatcher, IReadOnlyList<string>)> RoutesOf(EndpointDataSource endpoints) =>
        [.. endpoints.Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.Contains("*path", StringComparison.Ordinal) != true) // MapFallback's own pattern
            .Select(e => (e, e.Metadata.GetMetadata<IHttpMethodMetadata>()))
            .Where(x => x.Item2 is not null)
            .Select(x => (new TemplateMatcher(new RouteTemplate(x.e.RoutePattern), []), x.Item2!.HttpMethods))];
}
