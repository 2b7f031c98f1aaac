using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Protocols.Gemini;

/// <summary>A <c>functionCall</c> part, as both the request encoder (history) and the response codec (answers) write it.</summary>
internal static class GeminiToolCalls
{
    /// <param name="withId">Answers carry the call's id; requests to Gemini upstreams match calls by name and order.</param>
    public static void WriteFunctionCallPart(Utf8JsonWriter w, ToolCallPart call, bool withId, string? signature)
    {
        w.WriteStartObject();
        w.WriteStartObject("functionCall");
        if (withId)
        {
            w.WriteString("id", call.Id);
        }
        w.WriteString("name", call.Name);
        w.WritePropertyName("args");
        w.WriteRawValue(string.IsNullOrWhiteSpace(call.ArgumentsJson) ? "{}" : call.ArgumentsJson, skipInputValidation: true);
        w.WriteEndObject();
        if (signature is not null)
        {
            w.WriteString("thoughtSignature", signature);
        }
        w.WriteEndObject();
    }
}
