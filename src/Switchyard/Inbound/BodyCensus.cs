using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Inbound;

/// <summary>
/// Walks the values of a request body during the sniff's one pass (where it would skip them) and refuses, naming the
/// field, whatever exceeds the <see cref="InputLimits"/>: nesting, messages, parts, tools, one string, one tool
/// definition. The walk keeps counters only; the path of a refused field is worked out from its offset afterwards.
/// </summary>
/// <param name="responses">A Responses body: its conversation is <c>input</c>.</param>
internal ref struct BodyCensus(ReadOnlySpan<byte> body, InputLimits limits, bool gemini, bool responses = false)
{
    internal enum Role : byte { Other, Messages, Message, Parts, Part, SystemContent, Tools, Tool, GeminiTools, GeminiTool }

    private readonly ReadOnlySpan<byte> _body = body;
    private int _messages, _parts, _tools;

    /// <summary>The reader options the sniff uses: deep enough that the census, not the reader, refuses nesting.</summary>
    public static JsonReaderOptions ReaderOptions(InputLimits limits) => new() { MaxDepth = limits.JsonDepth + 1 };

    /// <summary>At a top-level property name: what its value is (and the name itself is a string to check).</summary>
    public readonly Role TopLevel(ref Utf8JsonReader reader)
    {
        CheckString(ref reader);
        if (gemini)
        {
            return reader.ValueTextEquals("contents"u8) ? Role.Messages
                : reader.ValueTextEquals("tools"u8) ? Role.GeminiTools
                : reader.ValueTextEquals("systemInstruction"u8) || reader.ValueTextEquals("system_instruction"u8) ? Role.SystemContent
                : Role.Other;
        }
        return reader.ValueTextEquals(responses ? "input"u8 : "messages"u8) ? Role.Messages
            : reader.ValueTextEquals("tools"u8) ? Role.Tools
            : reader.ValueTextEquals("system"u8) ? Role.Parts
            : Role.Other;
    }

    /// <summary>Consumes the value the reader is on, as <see cref="Utf8JsonReader.Skip"/> would, counting as it goes.</summary>
    public void Value(ref Utf8JsonReader reader, Role role)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                Object(ref reader, role);
                break;
            case JsonTokenType.StartArray:
                Array(ref reader, role);
                break;
            case JsonTokenType.String:
                CheckString(ref reader);
                break;
        }
    }

    private void Object(ref Utf8JsonReader reader, Role role)
    {
        CheckDepth(ref reader);
        var start = reader.TokenStartIndex;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            CheckString(ref reader);
            var child = ChildOf(role, ref reader);
            reader.Read();
            Value(ref reader, child);
        }
        if (role is Role.Tool && reader.BytesConsumed - start > limits.ToolSchemaBytes)
        {
            throw Refuse(start, $"'{{0}}' is a tool definition of {reader.BytesConsumed - start} bytes; the gateway takes at most {limits.ToolSchemaBytes} (server.limits.tool_schema).");
        }
    }

    private void Array(ref Utf8JsonReader reader, Role role)
    {
        CheckDepth(ref reader);
        var element = role switch
        {
            Role.Messages => Role.Message,
            Role.Parts => Role.Part,
            Role.Tools => Role.Tool,
            Role.GeminiTools => Role.GeminiTool,
            _ => Role.Other,
        };
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            switch (role)
            {
                case Role.Messages when ++_messages > limits.Messages:
                    throw Refuse(reader.TokenStartIndex, $"'{{0}}': the request has more than {limits.Messages} messages, the gateway's limit (server.limits.messages).");
                case Role.Parts when ++_parts > limits.Parts:
                    throw Refuse(reader.TokenStartIndex, $"'{{0}}': the request has more than {limits.Parts} content parts, the gateway's limit (server.limits.parts).");
                case Role.Tools or Role.GeminiTools when ++_tools > limits.Tools:
                    throw Refuse(reader.TokenStartIndex, $"'{{0}}': the request has more than {limits.Tools} tools, the gateway's limit (server.limits.tools).");
            }
            Value(ref reader, element);
        }
    }

    /// <summary>Where the parts and tools are inside a message, a part (tool results nest content), or a Gemini tool.</summary>
    private readonly Role ChildOf(Role parent, ref Utf8JsonReader reader) => parent switch
    {
        Role.Message when reader.ValueTextEquals(gemini ? "parts"u8 : "content"u8) => Role.Parts,
        Role.Part when reader.ValueTextEquals("content"u8) => Role.Parts,
        Role.SystemContent when reader.ValueTextEquals("parts"u8) => Role.Parts,
        Role.GeminiTool when reader.ValueTextEquals("functionDeclarations"u8) || reader.ValueTextEquals("function_declarations"u8) => Role.Tools,
        _ => Role.Other,
    };

    private readonly void CheckDepth(ref Utf8JsonReader reader)
    {
        if (reader.CurrentDepth >= limits.JsonDepth)
        {
            throw Refuse(reader.TokenStartIndex, $"'{{0}}' is nested deeper than {limits.JsonDepth} levels, the gateway's limit (server.limits.json_depth).");
        }
    }

    private readonly void CheckString(ref Utf8JsonReader reader)
    {
        if (reader.ValueSpan.Length > limits.StringBytes)
        {
            throw Refuse(reader.TokenStartIndex, $"'{{0}}' is a string of {reader.ValueSpan.Length} bytes; the gateway takes at most {limits.StringBytes} (server.limits.string_length).");
        }
    }

    /// <param name="message">The refusal, with <c>{0}</c> where the field's path goes.</param>
    private readonly ProtocolException Refuse(long offset, string message)
    {
        var path = PathAt(_body, offset, limits.JsonDepth);
        return new ProtocolException(string.Format(System.Globalization.CultureInfo.InvariantCulture, message, path), path);
    }

    /// <summary>The path (<c>messages[1].content[0].text</c>) of the token that starts at <paramref name="offset"/>: a second walk, paid only by a refusal.</summary>
    internal static string PathAt(ReadOnlySpan<byte> body, long offset, int depthLimit)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = depthLimit + 2 });
        var frames = new List<(bool IsArray, int Next, string Path)>();
        var name = "";
        try
        {
            while (reader.Read())
            {
                var parent = frames.Count > 0 ? frames[^1] : default;
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    name = reader.GetString() ?? "";
                    if (reader.TokenStartIndex == offset)
                    {
                        return Join(parent.Path, name);
                    }
                    continue;
                }
                if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    frames.RemoveAt(frames.Count - 1);
                    continue;
                }
                var here = frames.Count == 0 ? "" : parent.IsArray ? $"{parent.Path}[{parent.Next}]" : Join(parent.Path, name);
                if (frames.Count > 0 && parent.IsArray)
                {
                    frames[^1] = parent with { Next = parent.Next + 1 };
                }
                if (reader.TokenStartIndex == offset)
                {
                    return here.Length == 0 ? "(body)" : here;
                }
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    frames.Add((reader.TokenType == JsonTokenType.StartArray, 0, here));
                }
            }
        }
        catch (JsonException)
        {
            // the census refused first: what was read locates the field
        }
        return "(body)";

        static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
    }
}
