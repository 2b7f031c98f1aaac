using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Protocols.Anthropic;

/// <summary>A <c>tool_use</c> block's fields, as both the request encoder (history) and the response codec (answers) write them.</summary>
internal static class AnthropicToolCalls
{
    /// <summary>Writes type, id (rewritten to Anthropic's pattern), name and input inside an open block object.</summary>
    public static void WriteToolUseFields(Utf8JsonWriter w, ToolCallPart call)
    {
        w.WriteString("type", "tool_use");
        w.WriteString("id", ToolIds.ForAnthropic(call.Id));
        w.WriteString("name", call.Name);
        w.WritePropertyName("input");
        w.WriteRawValue(string.IsNullOrWhiteSpace(call.ArgumentsJson) ? "{}" : call.ArgumentsJson, skipInputValidation: true);
    }
}
