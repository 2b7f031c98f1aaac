using Switchyard.Counting;
using Switchyard.Dispatch;

namespace Switchyard.Inbound;

/// <summary>The chat entry points of each client protocol; all of them go through <see cref="ChatHandler"/>.</summary>
internal static class ChatEndpoints
{
    public static IEndpointRouteBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", (HttpContext http, ChatHandler proxy) => proxy.HandleAsync(http, ClientProtocol.OpenAI, forceStream: false));
        app.MapPost("/chat/completions", (HttpContext http, ChatHandler proxy) => proxy.HandleAsync(http, ClientProtocol.OpenAI, forceStream: false));
        app.MapPost("/v1/chat/completions/stream", (HttpContext http, ChatHandler proxy) => proxy.HandleAsync(http, ClientProtocol.OpenAI, forceStream: true));
        // Anthropic clients add query strings such as ?beta=true: any query is accepted.
        app.MapPost("/v1/messages", (HttpContext http, ChatHandler proxy) => proxy.HandleAsync(http, ClientProtocol.Anthropic, forceStream: false));
        app.MapPost("/v1/messages/count_tokens", (HttpContext http, TokenCountHandler counter) => counter.HandleAsync(http, ClientProtocol.Anthropic));
        // Entry paths some users' existing configs point at (documented aliases).
        app.MapPost("/v1/anthropic/completions", (HttpContext http, ChatHandler proxy) => proxy.HandleAsync(http, ClientProtocol.Anthropic));
        app.MapPost("/v1/gemini/completions", (HttpContext http, ChatHandler proxy) => proxy.HandleAsync(http, ClientProtocol.OpenAI));
        // Gemini: POST /v1beta/models/{model}:{action} (also /v1/models/… as newer SDKs call it).
        app.MapPost("/v1beta/models/{**target}", (HttpContext http, string target, ChatHandler proxy, TokenCountHandler counter, InboundPrologue prologue) => GeminiAsync(http, target, proxy, counter, prologue));
        app.MapPost("/v1/models/{**target}", (HttpContext http, string target, ChatHandler proxy, TokenCountHandler counter, InboundPrologue prologue) => GeminiAsync(http, target, proxy, counter, prologue));
        return app;
    }

    private static Task GeminiAsync(HttpContext http, string target, ChatHandler proxy, TokenCountHandler counter, InboundPrologue prologue)
    {
        var colon = target.LastIndexOf(':');
        var model = colon > 0 ? target[..colon] : target;
        return (colon > 0 ? target[(colon + 1)..] : "") switch
        {
            "generateContent" => proxy.HandleAsync(http, ClientProtocol.Gemini, pathModel: model, pathStream: false),
            "streamGenerateContent" => proxy.HandleAsync(http, ClientProtocol.Gemini, pathModel: model, pathStream: true),
            "countTokens" => counter.HandleAsync(http, ClientProtocol.Gemini, model),
            var action => prologue.RejectAsync(http, ClientProtocol.Gemini, new Protocols.Canonical.GatewayError(Protocols.Canonical.ErrorKind.NotFound, $"Method '{action}' is not supported on models/{model}.")),
        };
    }
}
