using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Protocols.Gemini;

/// <summary>
/// JSON Schema → Gemini's OpenAPI-3.0 subset (MAPPING §4.1; P2, P3, P4): inline <c>$ref</c>, drop unknown keywords,
/// turn type arrays and null unions into <c>nullable</c>, keep enums only on strings, <c>oneOf</c> → <c>anyOf</c>,
/// merge <c>allOf</c>. Recursion through <c>$ref</c> is cut off at a fixed depth.
/// </summary>
public static class GeminiSchema
{
    private const int MaxRefDepth = 8;

    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "type", "format", "title", "description", "nullable", "enum", "items", "minItems", "maxItems", "properties", "required",
        "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering", "default",
        "minimum", "maximum",
    };

    /// <summary>The sanitized schema, or null for an object without properties (parameterless functions omit it).</summary>
    public static JsonObject? Sanitize(JsonElement schema)
    {
        var root = JsonNode.Parse(schema.GetRawText()) as JsonObject;
        if (root is null)
        {
            return null;
        }
        var defs = (root["$defs"] ?? root["definitions"]) as JsonObject;
        var result = Clean(root, defs, 0);
        if (Text(result["type"]) == "object" && result["properties"] is not JsonObject { Count: > 0 })
        {
            return null;
        }
        return result;
    }

    private static JsonObject Clean(JsonObject source, JsonObject? defs, int depth)
    {
        var node = source;
        if (Text(node["$ref"]) is { } reference && defs is not null && depth < MaxRefDepth)
        {
            var name = reference[(reference.LastIndexOf('/') + 1)..];
            if (defs[name] is JsonObject target)
            {
                var merged = (JsonObject)target.DeepClone();
                foreach (var (k, v) in node)
                {
                    if (k != "$ref")
                    {
                        merged[k] = v?.DeepClone();
                    }
                }
                return Clean(merged, defs, depth + 1);
            }
        }
        if (node["allOf"] is JsonArray allOf)
        {
            var merged = new JsonObject();
            foreach (var part in allOf.OfType<JsonObject>())
            {
                MergeInto(merged, Clean(part, defs, depth));
            }
            foreach (var (k, v) in node)
            {
                if (k != "allOf")
                {
                    merged[k] = v?.DeepClone();
                }
            }
            return Clean(merged, defs, depth);
        }

        var result = new JsonObject();
        var nullable = false;
        foreach (var (key, value) in node)
        {
            switch (key)
            {
                case "type" when value is JsonArray types:
                    {
                        var names = types.Select(Text).OfType<string>().ToList();
                        nullable |= names.Remove("null");
                        if (names.Count == 1)
                        {
                            result["type"] = names[0];
                        }
                        else if (names.Count > 1)
                        {
                            result["anyOf"] = new JsonArray([.. names.Select(n => (JsonNode)new JsonObject { ["type"] = n })]);
                        }
                        break;
                    }
                case "anyOf" or "oneOf" when value is JsonArray options:
                    {
                        var kept = new List<JsonObject>();
                        foreach (var option in options.OfType<JsonObject>())
                        {
                            if (Text(option["type"]) == "null")
                            {
                                nullable = true;
                                continue;
                            }
                            kept.Add(Clean(option, defs, depth));
                        }
                        if (kept.Count == 1)
                        {
                            foreach (var (k, v) in kept[0])
                            {
                                result[k] = v?.DeepClone();
                            }
                        }
                        else if (kept.Count > 1)
                        {
                            result["anyOf"] = new JsonArray([.. kept]);
                        }
                        break;
                    }
                case "type" when Text(value) is null:
                    break; // neither a name nor a list of names: not a schema Gemini can read
                case "const" when value is not null && value.GetValueKind() == JsonValueKind.String:
                    result["enum"] = new JsonArray(value.DeepClone());
                    break;
                case "properties" when value is JsonObject props:
                    {
                        var cleaned = new JsonObject();
                        foreach (var (name, prop) in props)
                        {
                            cleaned[name] = prop is JsonObject p ? Clean(p, defs, depth) : new JsonObject();
                        }
                        result["properties"] = cleaned;
                        break;
                    }
                case "items" when value is JsonObject items:
                    result["items"] = Clean(items, defs, depth);
                    break;
                case "format":
                    if (Text(value) is { } format && format is "enum" or "date-time")
                    {
                        result["format"] = format;
                    }
                    break;
                case "nullable" when value?.GetValueKind() == JsonValueKind.True:
                    nullable = true;
                    break;
                default:
                    if (Allowed.Contains(key) && key is not ("anyOf" or "properties" or "items"))
                    {
                        result[key] = value?.DeepClone();
                    }
                    break;
            }
        }
        if (result["enum"] is JsonArray en)
        {
            var type = Text(result["type"]);
            if (type is null && en.All(e => e?.GetValueKind() == JsonValueKind.String))
            {
                result["type"] = "string";
            }
            else if (type != "string" || en.Any(e => e?.GetValueKind() != JsonValueKind.String))
            {
                result.Remove("enum"); // Gemini enums are strings only (P3)
            }
        }
        if (result["required"] is JsonArray required && result["properties"] is JsonObject known)
        {
            var keep = required.Where(r => Text(r) is { } name && known.ContainsKey(name)).Select(r => r!.DeepClone()).ToArray();
            result["required"] = new JsonArray(keep);
        }
        if (nullable)
        {
            result["nullable"] = true;
        }
        return result;
    }

    /// <summary>A schema keyword's string value; null when absent or of any other JSON type (schemas come from clients).</summary>
    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static void MergeInto(JsonObject target, JsonObject source)
    {
        foreach (var (k, v) in source)
        {
            if (k == "properties" && v is JsonObject props && target["properties"] is JsonObject existing)
            {
                foreach (var (pk, pv) in props)
                {
                    existing[pk] = pv?.DeepClone();
                }
            }
            else if (k == "required" && v is JsonArray req && target["required"] is JsonArray existingReq)
            {
                foreach (var r in req)
                {
                    existingReq.Add(r?.DeepClone());
                }
            }
            else
            {
                target[k] = v?.DeepClone();
            }
        }
    }
}
