using Switchyard.Counting;
using Switchyard.Inbound;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Responses;

/// <summary>
/// OpenAI's Responses API: <c>POST /v1/responses</c> through the one chat pipeline (any provider behind it), the
/// stored responses (<c>GET</c> / <c>DELETE /v1/responses/{id}</c>, its <c>input_items</c>), input token counts, and
/// a fast refusal of the WebSocket mode, so clients that try it fall back to HTTP at once.
/// </summary>
internal static class ResponsesEndpoints
{
    public static IEndpointRouteBuilder MapResponsesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/responses", CreateAsync);
        app.MapPost("/responses", CreateAsync);
        app.MapPost("/v1/responses/input_tokens", (HttpContext http, TokenCountHandler counter) => counter.HandleAsync(http, ClientProtocol.Responses));
        app.MapGet("/v1/responses", RefuseWebSocketAsync);
        app.MapGet("/v1/responses/{id}", GetAsync);
        app.MapGet("/v1/responses/{id}/input_items", InputItemsAsync);
        app.MapDelete("/v1/responses/{id}", DeleteAsync);
        return app;
    }

    private static Task CreateAsync(HttpContext http, ChatHandler proxy, ResponseStore store, TimeProvider time)
    {
        var exchange = ResponsesExchange.Begin(http, store, time);
        return proxy.HandleAsync(http, ClientProtocol.Responses,
            expand: (body, caller, ct) => ResponsesConversation.ExpandAsync(body, exchange, store, caller.Tenant.Name, ct));
    }

    private static Task RefuseWebSocketAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
        http.Response.ContentType = "application/json";
        http.Response.Headers.Allow = "POST";
        var error = new GatewayError(ErrorKind.InvalidRequest,
            "This gateway serves the Responses API over HTTP only: POST /v1/responses (with \"stream\": true for events); WebSocket mode is not available.")
        { Code = "websocket_not_supported" };
        return http.Response.WriteAsync(System.Text.Encoding.UTF8.GetString(Protocols.OpenAI.OpenAIErrors.Encode(error)), http.RequestAborted);
    }

    private static async Task GetAsync(HttpContext http, string id, InboundPrologue prologue, ResponseStore store)
    {
        if (await FindAsync(http, id, prologue, store) is not { } found)
        {
            return;
        }
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(found.Response, http.RequestAborted);
    }

    private static async Task InputItemsAsync(HttpContext http, string id, InboundPrologue prologue, ResponseStore store)
    {
        if (await FindAsync(http, id, prologue, store) is not { } found)
        {
            return;
        }
        using var items = System.Text.Json.JsonDocument.Parse(found.InputItems);
        await ModelEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WritePropertyName("data");
            items.RootElement.WriteTo(w);
            w.WriteBoolean("has_more", false);
            w.WriteEndObject();
        });
    }

    private static async Task DeleteAsync(HttpContext http, string id, InboundPrologue prologue, ResponseStore store)
    {
        if (await prologue.CallerAsync(http, ClientProtocol.Responses) is not { } caller)
        {
            return;
        }
        if (!await store.DeleteAsync(id, caller.Tenant.Name, http.RequestAborted))
        {
            await NotFoundAsync(http, prologue, id);
            return;
        }
        await ModelEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "response");
            w.WriteBoolean("deleted", true);
            w.WriteEndObject();
        });
    }

    /// <summary>The caller's stored response, or null once the refusal (401, 404) is answered.</summary>
    private static async Task<StoredResponse?> FindAsync(HttpContext http, string id, InboundPrologue prologue, ResponseStore store)
    {
        if (await prologue.CallerAsync(http, ClientProtocol.Responses) is not { } caller)
        {
            return null;
        }
        if (await store.GetAsync(id, caller.Tenant.Name, http.RequestAborted) is not { } found)
        {
            await NotFoundAsync(http, prologue, id);
            return null;
        }
        return found;
    }

    private static Task NotFoundAsync(HttpContext http, InboundPrologue prologue, string id) =>
        prologue.RejectAsync(http, ClientProtocol.Responses, new GatewayError(ErrorKind.NotFound, $"Response with id '{id}' not found.") { Code = "response_not_found" });
}
