using Switchyard.Dispatch;

namespace Switchyard.Endpoints;

/// <summary>The chat entry points of each client protocol; all of them go through <see cref="ProxyHandler"/>.</summary>
internal static class ChatEndpoints
{
    public static IEndpointRouteBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", (HttpContext http, ProxyHandler proxy) => proxy.HandleAsync(http, ClientProtocol.OpenAI, forceStream: false));
        app.MapPost("/chat/completions", (HttpContext http, ProxyHandler proxy) => proxy.HandleAsync(http, ClientProtocol.OpenAI, forceStream: false));
        app.MapPost("/v1/chat/completions/stream", (HttpContext http, ProxyHandler proxy) => proxy.HandleAsync(http, ClientProtocol.OpenAI, forceStream: true));
        // Anthropic clients add query strings such as ?beta=true: any query is accepted.
        app.MapPost("/v1/messages", (HttpContext http, ProxyHandler proxy) => proxy.HandleAsync(http, ClientProtocol.Anthropic, forceStream: false));
        return app;
    }
}
