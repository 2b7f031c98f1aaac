using System.Buffers;
using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Responses;

/// <summary>
/// The conversation a Responses request stands for. With <c>previous_response_id</c> the gateway rebuilds it itself
/// (no upstream holds the state): the stored response's own input and its output come first, then the new input;
/// <c>item_reference</c>s to items of that history are replaced by the items, and the id itself leaves the body (the
/// exchange echoes it; no upstream knows it). Without it the body is left as it is.
/// </summary>
internal static class ResponsesConversation
{
    public static async ValueTask<byte[]> ExpandAsync(byte[] body, ResponsesExchange exchange, ResponseStore store, string tenant, CancellationToken ct)
    {
        exchange.Tenant = tenant;
        // A forward-only look at the top-level fields (no document): most requests continue nothing, and a client that
        // stores nothing (Codex: store:false) never pays for a parse here.
        var (stores, previousId) = TopLevel(body);
        exchange.Store = stores;
        if (previousId is null)
        {
            exchange.RequestBody = stores ? body : null; // its items are written out only if the answer is stored
            return body;
        }
        var previous = await store.GetAsync(previousId, tenant, ct).ConfigureAwait(false) ?? throw new ProtocolException(new GatewayError(ErrorKind.InvalidRequest,
            $"Previous response with id '{previousId}' not found.") { Param = "previous_response_id", Code = "previous_response_not_found" });
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return body; // the sniff names what is wrong with it
        }
        using (doc)
        {
            return Expand(body, doc.RootElement, exchange, previous);
        }
    }

    /// <summary>
    /// <c>store</c> (true unless false) and <c>previous_response_id</c>, read with the reader skipping every other value.
    /// A body that is not a JSON object is left to the sniff, which names what is wrong with it.
    /// </summary>
    private static (bool Store, string? PreviousId) TopLevel(ReadOnlySpan<byte> body)
    {
        var stores = true;
        string? previousId = null;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (true, null);
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isStore = reader.ValueTextEquals("store"u8);
                var isPrevious = !isStore && reader.ValueTextEquals("previous_response_id"u8);
                reader.Read();
                if (isStore)
                {
                    stores = reader.TokenType != JsonTokenType.False;
                }
                else if (isPrevious && reader.TokenType == JsonTokenType.String)
                {
                    previousId = reader.GetString();
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            return (true, null);
        }
        return (stores, previousId);
    }

    /// <summary>The conversation a request without <c>previous_response_id</c> sent, as Responses items (when its answer is stored).</summary>
    public static byte[]? ItemsOf(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("input", out var input)
                && input.ValueKind is JsonValueKind.String or JsonValueKind.Array
                ? Write(w => WriteItems(w, [], input))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[] Expand(byte[] body, JsonElement root, ResponsesExchange exchange, StoredResponse previous)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return body;
        }
        var hasInput = root.TryGetProperty("input", out var input) && input.ValueKind is JsonValueKind.String or JsonValueKind.Array;
        exchange.PreviousResponseId = previous.Id;
        var history = new List<JsonElement>();
        using var before = JsonDocument.Parse(previous.InputItems);
        using var answer = JsonDocument.Parse(previous.Response);
        history.AddRange(before.RootElement.EnumerateArray());
        if (answer.RootElement.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
        {
            history.AddRange(output.EnumerateArray());
        }
        var items = Write(w => WriteItems(w, history, hasInput ? input : default));
        if (exchange.Store)
        {
            exchange.InputItems = items;
        }
        return Write(w =>
        {
            w.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("input") || property.NameEquals("previous_response_id"))
                {
                    continue;
                }
                property.WriteTo(w);
            }
            w.WritePropertyName("input");
            w.WriteRawValue(items, skipInputValidation: true);
            w.WriteEndObject();
        });
    }

    /// <summary>The history, then the new input (a string is one user message); references into the history resolved.</summary>
    private static void WriteItems(Utf8JsonWriter w, List<JsonElement> history, JsonElement input)
    {
        w.WriteStartArray();
        foreach (var item in history)
        {
            item.WriteTo(w);
        }
        if (input.ValueKind == JsonValueKind.String)
        {
            w.WriteStartObject();
            w.WriteString("type", "message");
            w.WriteString("role", "user");
            w.WriteStartArray("content");
            w.WriteStartObject();
            w.WriteString("type", "input_text");
            w.WriteString("text", input.GetString());
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in input.EnumerateArray())
            {
                if (IsReference(item, out var id) && history.FirstOrDefault(h => IdOf(h) == id) is { ValueKind: JsonValueKind.Object } referenced)
                {
                    referenced.WriteTo(w);
                }
                else
                {
                    item.WriteTo(w);
                }
            }
        }
        w.WriteEndArray();
    }

    private static bool IsReference(JsonElement item, out string? id)
    {
        id = null;
        if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("type", out var t) && t.ValueEquals("item_reference"))
        {
            id = IdOf(item);
            return id is not null;
        }
        return false;
    }

    private static string? IdOf(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            write(w);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
