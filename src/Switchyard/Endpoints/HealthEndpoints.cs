using System.Reflection;
using Switchyard.Config;
using Switchyard.Dispatch;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Endpoints;

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
        app.MapFallback((HttpContext http, ConfigHolder config) =>
        {
            var protocol = http.Request.Path.StartsWithSegments("/v1beta") ? ClientProtocol.Gemini
                : http.Request.Headers.ContainsKey("anthropic-version") || http.Request.Path.StartsWithSegments("/v1/messages") ? ClientProtocol.Anthropic
                : ClientProtocol.OpenAI;
            return ClientWriter.WriteErrorAsync(http, protocol, new GatewayError(ErrorKind.NotFound, $"No endpoint {http.Request.Method} {http.Request.Path}."), "req_none", config.Current.Secrets);
        });
        return app;
    }
}
