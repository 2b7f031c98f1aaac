using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Gemini;

namespace Switchyard.Protocols.OpenAI;

/// <summary>OpenAI's <c>tool_calls</c> array, as both the request encoder (history) and the response codec (answers) write it.</summary>
internal static class OpenAIToolCalls
{
    /// <param name="withSignatures">Carry Gemini thought signatures as <c>extra_content.google.thought_signature</c> (to clients).</param>
    public static void Write(Utf8JsonWriter w, List<ContentPart> content, bool withSignatures)
    {
        var any = false;
        foreach (var part in content)
        {
            if (part is not ToolCallPart call)
            {
                continue;
            }
            if (!any)
            {
                w.WriteStartArray("tool_calls");
                any = true;
            }
            w.WriteStartObject();
            w.WriteString("id", call.Id);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", call.Name);
            w.WriteString("arguments", string.IsNullOrWhiteSpace(call.ArgumentsJson) ? "{}" : call.ArgumentsJson); // P14
            w.WriteEndObject();
            if (withSignatures)
            {
                OpenAIRequestDecoder.WriteGoogleSignature(w, call.ThoughtSignature);
            }
            w.WriteEndObject();
        }
        if (any)
        {
            w.WriteEndArray();
        }
    }
}
