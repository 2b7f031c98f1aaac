using System.Buffers;
using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Dispatch;

/// <summary>
/// A single forward-only pass over the request body that validates the JSON, checks the fields every chat request
/// needs, and remembers where <c>model</c> sits — all the fast path needs, without building a document.
/// </summary>
internal readonly record struct RequestSniff(string Model, bool Stream, int ModelStart, int ModelLength)
{
    public static RequestSniff Sniff(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        string? model = null;
        var stream = false;
        int modelStart = -1, modelLength = 0;
        var hasMessages = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ProtocolException("The request body must be a JSON object.");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                var isStream = !isModel && reader.ValueTextEquals("stream"u8);
                var isMessages = !isModel && !isStream && reader.ValueTextEquals("messages"u8);
                reader.Read();
                if (isModel)
                {
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
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        throw new ProtocolException("'messages' must be an array.", "messages");
                    }
                    hasMessages = true;
                    reader.Skip();
                }
                else
                {
                    reader.Skip();
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
        if (!hasMessages)
        {
            throw new ProtocolException("'messages' is required.", "messages");
        }
        return new RequestSniff(model, stream, modelStart, modelLength);
    }

    /// <summary>Gemini bodies name no model (it is in the URL): check the JSON and that <c>contents</c> is a list.</summary>
    public static RequestSniff SniffGemini(ReadOnlySpan<byte> body, string model, bool stream)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        var hasContents = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ProtocolException("Invalid JSON payload received. The request body must be a JSON object.");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isContents = reader.ValueTextEquals("contents"u8);
                reader.Read();
                if (isContents)
                {
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        throw new ProtocolException("Invalid JSON payload received. 'contents' must be a list.", "contents");
                    }
                    hasContents = true;
                }
                reader.Skip();
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
        if (!hasContents)
        {
            throw new ProtocolException("* GenerateContentRequest.contents: contents is not specified", "contents");
        }
        return new RequestSniff(model, stream, -1, 0);
    }

    /// <summary>The body with <c>model</c> replaced; the original array when the name does not change or sits in the URL.</summary>
    public byte[] WithModel(byte[] body, string upstreamModel)
    {
        if (upstreamModel == Model || ModelStart < 0)
        {
            return body;
        }
        var encoded = JsonEncodedText.Encode(upstreamModel, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        var buffer = new ArrayBufferWriter<byte>(body.Length + upstreamModel.Length + 8);
        buffer.Write(body.AsSpan(0, ModelStart));
        buffer.Write("\""u8);
        buffer.Write(encoded.EncodedUtf8Bytes);
        buffer.Write("\""u8);
        buffer.Write(body.AsSpan(ModelStart + ModelLength));
        return buffer.WrittenSpan.ToArray();
    }
}
