using Switchyard.Protocols.Responses;

namespace Switchyard.Responses;

/// <summary>
/// One <c>POST /v1/responses</c>: the id its answer carries, the conversation it continues, and — when the client
/// stores responses (<c>store</c>, true unless it says false) — the hand-off of the finished answer to the
/// <see cref="ResponseStore"/> at the moment it is encoded, before the client can read it: a follow-up naming it as
/// <c>previous_response_id</c> finds it however fast it comes.
/// </summary>
internal sealed class ResponsesExchange
{
    private const string ItemKey = "switchyard.responses.exchange";
    private readonly ResponseStore? _store;

    private ResponsesExchange(ResponseStore? store, long createdAt)
    {
        _store = store;
        CreatedAt = createdAt;
    }

    public string Id { get; } = ResponsesOutput.NewId("resp_");
    public long CreatedAt { get; }
    /// <summary>The tenant the answer will belong to (set once the caller is known).</summary>
    public string? Tenant { get; set; }
    /// <summary>Keep the answer (the request's <c>store</c>).</summary>
    public bool Store { get; set; }
    /// <summary>The whole conversation this request sends, as Responses items (the history it continues included).</summary>
    public byte[]? InputItems { get; set; }
    /// <summary>A stored request that continues nothing: its items are written from it when the answer is saved.</summary>
    public byte[]? RequestBody { get; set; }
    /// <summary>The stored response this one continues (the gateway expanded it: it is echoed, never sent upstream).</summary>
    public string? PreviousResponseId { get; set; }

    /// <summary>The exchange of a Responses endpoint's request.</summary>
    public static ResponsesExchange Begin(HttpContext http, ResponseStore store, TimeProvider time)
    {
        var exchange = new ResponsesExchange(store, time.GetUtcNow().ToUnixTimeSeconds());
        http.Items[ItemKey] = exchange;
        return exchange;
    }

    /// <summary>The request's exchange; one that keeps nothing when the request did not come through a Responses endpoint.</summary>
    public static ResponsesExchange Of(HttpContext http)
    {
        if (http.Items.TryGetValue(ItemKey, out var found) && found is ResponsesExchange exchange)
        {
            return exchange;
        }
        var detached = new ResponsesExchange(null, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        http.Items[ItemKey] = detached;
        return detached;
    }

    /// <summary>The answer is complete (<c>response.completed</c> or the JSON body): stored now when the client asked for that.</summary>
    public void Completed(byte[] response) => Save(Id, response);

    /// <summary>A Responses upstream's answer, forwarded as it came: kept under the upstream's id, the one the client saw.</summary>
    public void CompletedUpstream(byte[] response)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(response);
        if (doc.RootElement.TryGetProperty("id", out var id) && id.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            Save(id.GetString()!, response);
        }
    }

    private void Save(string id, byte[] response)
    {
        if (_store is not null && Store && Tenant is not null && (InputItems ??= RequestBody is { } body ? ResponsesConversation.ItemsOf(body) : null) is { } items)
        {
            _store.Save(new StoredResponse(id, Tenant, CreatedAt, items, response));
        }
    }
}
