using System.Buffers;
using System.Text.Json;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Protocols.Json;

/// <summary>Small typed accessors over <see cref="JsonElement"/> that turn wrong input into 400s.</summary>
internal static class J
{
    public static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonDocument ParseBody(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new ProtocolException($"The request body is not valid JSON: {ex.Message}");
        }
    }

    public static JsonElement RequireObject(JsonElement root, string what)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ProtocolException($"{what} must be a JSON object.");
        }
        return root;
    }

    public static bool Has(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>The same with a UTF-8 name: no transcoding per lookup (stream decoders look up names on every event).</summary>
    public static bool Has(JsonElement obj, ReadOnlySpan<byte> utf8Name, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(utf8Name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>A string property, or null when absent or of another type.</summary>
    public static string? Text(JsonElement obj, ReadOnlySpan<byte> utf8Name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(utf8Name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string? Str(JsonElement obj, string name, string path)
    {
        if (!Has(obj, name, out var v))
        {
            return null;
        }
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new ProtocolException($"'{path}' must be a string.", path);
    }

    public static string RequireStr(JsonElement obj, string name, string path) =>
        Str(obj, name, path) ?? throw new ProtocolException($"'{path}' is required.", path);

    public static bool? Bool(JsonElement obj, string name, string path)
    {
        if (!Has(obj, name, out var v))
        {
            return null;
        }
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ProtocolException($"'{path}' must be a boolean.", path),
        };
    }

    public static int? Int(JsonElement obj, string name, string path)
    {
        if (!Has(obj, name, out var v))
        {
            return null;
        }
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (v.TryGetInt32(out var i))
            {
                return i;
            }
            if (v.TryGetDouble(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
            {
                return (int)d;
            }
        }
        throw new ProtocolException($"'{path}' must be an integer.", path);
    }

    public static double? Num(JsonElement obj, string name, string path)
    {
        if (!Has(obj, name, out var v))
        {
            return null;
        }
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new ProtocolException($"'{path}' must be a number.", path);
    }

    public static JsonElement.ArrayEnumerator Arr(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : throw new ProtocolException($"'{path}' must be an array.", path);

    /// <summary>Arguments text for a tool call: never empty, always an object (P14).</summary>
    public static string NormalizeArguments(string? args)
    {
        if (string.IsNullOrWhiteSpace(args))
        {
            return "{}";
        }
        try
        {
            using var doc = JsonDocument.Parse(args);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                return args;
            }
        }
        catch (JsonException)
        {
            // not JSON: wrapped below so the upstream never sees a bare string
        }
        return WriteToString(w =>
        {
            w.WriteStartObject();
            w.WriteString("input", args);
            w.WriteEndObject();
        });
    }

    public static string WriteToString(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(w);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static byte[] WriteToBytes(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(w);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Fields Chat Completions and the Responses API both define, the same way: carried between the two OpenAI formats
    /// (a Responses client's <c>prompt_cache_key</c> reaches a Chat Completions upstream's prompt cache, and back).
    /// </summary>
    public static readonly string[] OpenAISharedFields = ["prompt_cache_key", "prompt_cache_retention", "service_tier"];

    /// <summary>The extensions named in <paramref name="names"/> (the ones another format defines too).</summary>
    public static void WriteExtensions(Utf8JsonWriter w, Dictionary<string, JsonElement> ext, string[] names)
    {
        foreach (var name in names)
        {
            if (ext.TryGetValue(name, out var v))
            {
                w.WritePropertyName(name);
                v.WriteTo(w);
            }
        }
    }

    public static void WriteExtensions(Utf8JsonWriter w, Dictionary<string, JsonElement>? ext)
    {
        if (ext is null)
        {
            return;
        }
        foreach (var (k, v) in ext)
        {
            w.WritePropertyName(k);
            v.WriteTo(w);
        }
    }

    public static void WriteOptional(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } d)
        {
            w.WriteNumber(name, d);
        }
    }

    public static void WriteOptional(Utf8JsonWriter w, string name, int? v)
    {
        if (v is { } d)
        {
            w.WriteNumber(name, d);
        }
    }
}
