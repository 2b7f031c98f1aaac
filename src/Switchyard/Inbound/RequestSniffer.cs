using System.Buffers;
using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Inbound;

/// <summary>
/// A single forward-only pass over the request body that validates the JSON, checks the fields every chat request
/// needs, and remembers where <c>model</c> sits — all the fast path needs, without building a document.
/// </summary>
internal readonly record struct RequestSniff(string Model, bool Stream, int ModelStart, int ModelLength)
{
    /// <summary>Longer than any provider's model id (Bedrock ARNs included); the name is echoed in response headers.</summary>
    public const int MaxModelLength = 256;

    /// <summary>Where the body's top-level object opens (the byte path inserts fields right after it).</summary>
    public int ObjectStart { get; init; } = -1;
    /// <summary>The raw <c>stream_options</c> value (OpenAI), when present.</summary>
    public int StreamOptionsStart { get; init; } = -1;
    public int StreamOptionsLength { get; init; }
    /// <summary>The client asked for the usage chunk (<c>stream_options.include_usage: true</c>).</summary>
    public bool IncludeUsage { get; init; }
    /// <summary>The most output the request allows (<c>max_tokens</c>, <c>max_completion_tokens</c>, <c>generationConfig.maxOutputTokens</c>).</summary>
    public int? MaxOutputTokens { get; init; }
    /// <summary>The end user the body names (OpenAI <c>user</c>, Anthropic <c>metadata.user_id</c>).</summary>
    public string? User { get; init; }
    /// <summary>The client's cache/session key (OpenAI <c>prompt_cache_key</c>): key affinity keeps such a session on one upstream key.</summary>
    public string? Session { get; init; }

    /// <param name="responses">A Responses body: the conversation is <c>input</c> (a string or items), the output limit <c>max_output_tokens</c>.</param>
    public static RequestSniff Sniff(ReadOnlySpan<byte> body, InputLimits limits, bool responses = false)
    {
        var reader = new Utf8JsonReader(body, BodyCensus.ReaderOptions(limits));
        var census = new BodyCensus(body, limits, gemini: false, responses);
        var conversation = responses ? "input"u8 : "messages"u8;
        string? model = null;
        var stream = false;
        int modelStart = -1, modelLength = 0, objectStart;
        int optionsStart = -1, optionsLength = 0;
        var includeUsage = false;
        var hasMessages = false;
        int? maxOutput = null;
        string? user = null;
        string? session = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ProtocolException("The request body must be a JSON object.");
            }
            objectStart = (int)reader.TokenStartIndex;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var role = census.TopLevel(ref reader);
                var isModel = reader.ValueTextEquals("model"u8);
                var isStream = !isModel && reader.ValueTextEquals("stream"u8);
                var isMessages = !isModel && !isStream && reader.ValueTextEquals(conversation);
                var isOptions = !isModel && !isStream && !isMessages && reader.ValueTextEquals("stream_options"u8);
                var named = isModel || isStream || isMessages || isOptions ? Named.Other : NameOf(ref reader);
                reader.Read();
                if (isOptions)
                {
                    optionsStart = (int)reader.TokenStartIndex;
                    includeUsage = reader.TokenType == JsonTokenType.StartObject && IncludesUsage(ref reader);
                    census.Value(ref reader, role);
                    optionsLength = (int)(reader.BytesConsumed - optionsStart);
                }
                else if (isModel)
                {
                    census.Value(ref reader, role);
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw new ProtocolException("'model' must be a string.", "model");
                    }
                    model = reader.GetString();
                    modelStart = (int)reader.TokenStartIndex;
                    modelLength = (int)(reader.BytesConsumed - reader.TokenStartIndex);
                }
                else if (isStream)
                {
                    stream = reader.TokenType switch
                    {
                        JsonTokenType.True => true,
                        JsonTokenType.False or JsonTokenType.Null => false,
                        _ => throw new ProtocolException("'stream' must be a boolean.", "stream"),
                    };
                }
                else if (isMessages)
                {
                    if (reader.TokenType != JsonTokenType.StartArray && !(responses && reader.TokenType == JsonTokenType.String))
                    {
                        throw responses
                            ? new ProtocolException("'input' must be a string or an array of items.", "input")
                            : new ProtocolException("'messages' must be an array.", "messages");
                    }
                    hasMessages = true;
                    census.Value(ref reader, role);
                }
                else
                {
                    if (reader.TokenType == JsonTokenType.Number && named == Named.MaxOutput && reader.TryGetInt32(out var max) && max > 0)
                    {
                        maxOutput = Math.Max(maxOutput ?? 0, max);
                    }
                    else if (named == Named.User && reader.TokenType == JsonTokenType.String)
                    {
                        user = reader.GetString();
                    }
                    else if (named == Named.Session && reader.TokenType == JsonTokenType.String)
                    {
                        session = reader.GetString();
                    }
                    else if (named == Named.Metadata && reader.TokenType == JsonTokenType.StartObject)
                    {
                        user ??= Lookahead(ref reader, "user_id"u8, out var found) && found.TokenType == JsonTokenType.String ? found.GetString() : null;
                    }
                    census.Value(ref reader, role);
                }
            }
            while (reader.Read())
            {
                // consume the rest so trailing garbage is caught
            }
        }
        catch (JsonException ex)
        {
            throw new ProtocolException($"The request body is not valid JSON: {ex.Message}");
        }
        if (string.IsNullOrEmpty(model))
        {
            throw new ProtocolException("'model' is required.", "model");
        }
        RequireShortModel(model);
        if (!hasMessages)
        {
            throw responses ? new ProtocolException("'input' is required.", "input") : new ProtocolException("'messages' is required.", "messages");
        }
        return new RequestSniff(model, stream, modelStart, modelLength)
        {
            ObjectStart = objectStart,
            StreamOptionsStart = optionsStart,
            StreamOptionsLength = optionsLength,
            IncludeUsage = includeUsage,
            MaxOutputTokens = maxOutput,
            User = string.IsNullOrEmpty(user) ? null : user,
            Session = string.IsNullOrEmpty(session) ? null : session,
        };
    }

    private enum Named : byte { Other, MaxOutput, User, Metadata, Session }

    /// <summary>The top-level fields accounting and key affinity read: the output limit, the end user, the session.</summary>
    private static Named NameOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8) || reader.ValueTextEquals("max_output_tokens"u8) ? Named.MaxOutput
        : reader.ValueTextEquals("user"u8) || reader.ValueTextEquals("safety_identifier"u8) ? Named.User
        : reader.ValueTextEquals("metadata"u8) ? Named.Metadata
        : reader.ValueTextEquals("prompt_cache_key"u8) ? Named.Session
        : Named.Other;

    private static void RequireShortModel(string model)
    {
        if (model.Length > MaxModelLength)
        {
            throw new ProtocolException($"'model' is {model.Length} characters long; model names are at most {MaxModelLength}.", "model");
        }
    }

    /// <summary>Looks ahead (on a copy of the reader) for <c>include_usage: true</c> directly inside the object.</summary>
    private static bool IncludesUsage(ref Utf8JsonReader reader) => Lookahead(ref reader, "include_usage"u8, out var v) && v.TokenType == JsonTokenType.True;

    /// <summary>A copy of the reader on the value of <paramref name="name"/> directly inside the object it is on.</summary>
    private static bool Lookahead(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, out Utf8JsonReader value)
    {
        value = reader;
        var depth = value.CurrentDepth;
        while (value.Read() && value.CurrentDepth > depth)
        {
            if (value.TokenType == JsonTokenType.PropertyName && value.CurrentDepth == depth + 1 && value.ValueTextEquals(name))
            {
                return value.Read();
            }
        }
        return false;
    }

    /// <summary>Gemini bodies name no model (it is in the URL): check the JSON and that <c>contents</c> is a list.</summary>
    public static RequestSniff SniffGemini(ReadOnlySpan<byte> body, string model, bool stream, InputLimits limits)
    {
        var reader = new Utf8JsonReader(body, BodyCensus.ReaderOptions(limits));
        var census = new BodyCensus(body, limits, gemini: true);
        var hasContents = false;
        int? maxOutput = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ProtocolException("Invalid JSON payload received. The request body must be a JSON object.");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var role = census.TopLevel(ref reader);
                var isContents = reader.ValueTextEquals("contents"u8);
                var isGenerationConfig = !isContents && (reader.ValueTextEquals("generationConfig"u8) || reader.ValueTextEquals("generation_config"u8));
                reader.Read();
                if (isContents)
                {
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        throw new ProtocolException("Invalid JSON payload received. 'contents' must be a list.", "contents");
                    }
                    hasContents = true;
                }
                else if (isGenerationConfig && reader.TokenType == JsonTokenType.StartObject
                    && Lookahead(ref reader, "maxOutputTokens"u8, out var max) && max.TokenType == JsonTokenType.Number && max.TryGetInt32(out var m) && m > 0)
                {
                    maxOutput = m;
                }
                census.Value(ref reader, role);
            }
            while (reader.Read())
            {
                // consume the rest so trailing garbage is caught
            }
        }
        catch (JsonException ex)
        {
            throw new ProtocolException($"Invalid JSON payload received. {ex.Message}");
        }
        if (string.IsNullOrEmpty(model))
        {
            throw new ProtocolException("The URL names no model.", "model");
        }
        RequireShortModel(model);
        if (!hasContents)
        {
            throw new ProtocolException("* GenerateContentRequest.contents: contents is not specified", "contents");
        }
        return new RequestSniff(model, stream, -1, 0) { MaxOutputTokens = maxOutput };
    }

    /// <summary>
    /// The body the byte path sends: <c>model</c> replaced, and with <paramref name="requestUsage"/> (an OpenAI
    /// stream whose client did not ask for usage) <c>stream_options.include_usage: true</c> added, so that every
    /// stream is accounted; the usage chunk is then dropped on the way back. Spliced, never re-serialized.
    /// </summary>
    public byte[] ForUpstream(byte[] body, string upstreamModel, bool requestUsage)
    {
        var renameModel = upstreamModel != Model && ModelStart >= 0;
        var addUsage = requestUsage && !IncludeUsage && ObjectStart >= 0;
        if (!renameModel && !addUsage)
        {
            return body;
        }
        var buffer = new ArrayBufferWriter<byte>(body.Length + upstreamModel.Length + 48);
        // Two edits, in body order: the model, and stream_options (or its insertion point right after '{').
        var optionsAt = StreamOptionsStart >= 0 ? StreamOptionsStart : ObjectStart + 1;
        var modelFirst = renameModel && (!addUsage || ModelStart < optionsAt);
        var at = 0;
        if (modelFirst)
        {
            at = WriteModel(buffer, body, at, upstreamModel);
        }
        if (addUsage)
        {
            buffer.Write(body.AsSpan(at, optionsAt - at));
            at = WriteStreamOptions(buffer, body, optionsAt);
        }
        if (renameModel && !modelFirst)
        {
            at = WriteModel(buffer, body, at, upstreamModel);
        }
        buffer.Write(body.AsSpan(at));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Copies the body from <paramref name="at"/> up to <c>model</c>'s value, writes the new name; returns where the body resumes.</summary>
    private int WriteModel(ArrayBufferWriter<byte> buffer, byte[] body, int at, string upstreamModel)
    {
        buffer.Write(body.AsSpan(at, ModelStart - at));
        buffer.Write("\""u8);
        buffer.Write(JsonEncodedText.Encode(upstreamModel, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes);
        buffer.Write("\""u8);
        return ModelStart + ModelLength;
    }

    /// <summary>Writes the new <c>stream_options</c> at <paramref name="pos"/>; returns where the original body resumes.</summary>
    private int WriteStreamOptions(ArrayBufferWriter<byte> buffer, byte[] body, int pos)
    {
        if (StreamOptionsStart < 0)
        {
            buffer.Write("\"stream_options\":{\"include_usage\":true}"u8);
            var next = body.AsSpan(pos).TrimStart(" \t\r\n"u8);
            if (next.Length > 0 && next[0] != (byte)'}')
            {
                buffer.Write(","u8);
            }
            return pos;
        }
        var original = body.AsSpan(StreamOptionsStart, StreamOptionsLength);
        var options = original.Trim(" \t\r\n"u8) is [(byte)'{', ..] && System.Text.Json.Nodes.JsonNode.Parse(original) is System.Text.Json.Nodes.JsonObject o ? o : [];
        options["include_usage"] = true;
        buffer.Write(JsonSerializer.SerializeToUtf8Bytes(options, SniffJson.Default.JsonObject));
        return StreamOptionsStart + StreamOptionsLength;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
internal sealed partial class SniffJson : System.Text.Json.Serialization.JsonSerializerContext;
