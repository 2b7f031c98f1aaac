using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Protocols.Responses;

/// <summary>
/// What a Responses answer repeats of its request (the API echoes the request's settings in every response object),
/// with the answer's own id and creation time, and the tool table that restores namespaced and custom calls.
/// </summary>
public sealed class ResponsesEcho
{
    private readonly ChatRequest? _request;

    private readonly string? _previousResponseId;

    /// <param name="previousResponseId">The stored response this one continues (the gateway took it out of the request).</param>
    public ResponsesEcho(string id, long createdAt, ChatRequest? request, string? previousResponseId = null)
    {
        Id = id;
        CreatedAt = createdAt;
        _request = request;
        _previousResponseId = previousResponseId;
        Tools = request is null ? ResponsesTools.Empty : ResponsesTools.Of(request.Tools);
    }

    public string Id { get; }
    public long CreatedAt { get; }
    public ResponsesTools Tools { get; }

    /// <summary>The request's settings, as every response object repeats them.</summary>
    public void WriteRequestFields(Utf8JsonWriter w)
    {
        var r = _request;
        if (r is { System.Count: > 0 } && r.SourceProtocol == WireProtocol.Responses)
        {
            w.WriteString("instructions", string.Join("\n\n", r.System.Select(s => s.Text)));
        }
        else
        {
            w.WriteNull("instructions");
        }
        if (r?.MaxTokens is { } max)
        {
            w.WriteNumber("max_output_tokens", max);
        }
        else
        {
            w.WriteNull("max_output_tokens");
        }
        w.WriteBoolean("parallel_tool_calls", r?.ToolChoice?.DisableParallel != true);
        if (_previousResponseId is not null)
        {
            w.WriteString("previous_response_id", _previousResponseId);
        }
        else
        {
            w.WriteNull("previous_response_id");
        }
        w.WriteStartObject("reasoning");
        if (r?.Reasoning?.Effort is { } effort)
        {
            w.WriteString("effort", effort);
        }
        else
        {
            w.WriteNull("effort");
        }
        w.WriteNull("summary");
        w.WriteEndObject();
        w.WriteBoolean("store", Store);
        w.WriteNumber("temperature", r?.Temperature ?? 1.0);
        w.WriteStartObject("text");
        w.WriteStartObject("format");
        w.WriteString("type", r?.ResponseFormat?.Kind switch { ResponseFormatKind.JsonObject => "json_object", ResponseFormatKind.JsonSchema => "json_schema", _ => "text" });
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteString("tool_choice", r?.ToolChoice?.Kind switch { ToolChoiceKind.None => "none", ToolChoiceKind.Required => "required", _ => "auto" });
        w.WriteStartArray("tools");
        w.WriteEndArray();
        w.WriteNumber("top_p", r?.TopP ?? 1.0);
        WriteExtension(w, "truncation", "disabled");
        if (r?.UserId is { } user)
        {
            w.WriteString("user", user);
        }
        else
        {
            w.WriteNull("user");
        }
        if (r is not null && r.Extensions.TryGetValue("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
        {
            w.WritePropertyName("metadata");
            metadata.WriteTo(w);
        }
        else
        {
            w.WriteStartObject("metadata");
            w.WriteEndObject();
        }
    }

    /// <summary><c>store</c> as the request says (true when it is absent, as at OpenAI).</summary>
    public bool Store => _request is null || !_request.Extensions.TryGetValue("store", out var s) || s.ValueKind != JsonValueKind.False;

    private void WriteExtension(Utf8JsonWriter w, string name, string? fallback)
    {
        if (_request is not null && _request.Extensions.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String)
        {
            w.WriteString(name, value.GetString());
        }
        else if (fallback is not null)
        {
            w.WriteString(name, fallback);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
