using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.Infrastructure;

/// <summary>
/// What the real Gemini API checks in <c>functionDeclarations[].parameters</c>: only its OpenAPI-subset fields, a single
/// string <c>type</c>, string-only enums. Fake Gemini upstreams use it to refuse what Google would refuse.
/// </summary>
public static class GeminiSchemaRules
{
    private static readonly HashSet<string> Allowed =
    [
        "type", "format", "title", "description", "nullable", "enum", "items", "minItems", "maxItems", "properties", "required",
        "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering", "default", "minimum", "maximum",
    ];

    public static string? Violation(JsonNode? node, string path)
    {
        if (node is not JsonObject obj)
        {
            return null;
        }
        foreach (var (key, value) in obj)
        {
            if (!Allowed.Contains(key))
            {
                return $"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': Cannot find field.";
            }
            var inner = key switch
            {
                "properties" => value!.AsObject().Select(p => Violation(p.Value, $"{path}.properties[{p.Key}].value")).FirstOrDefault(v => v is not null),
                "items" => Violation(value, path + ".items"),
                "anyOf" => value!.AsArray().Select((o, i) => Violation(o, $"{path}.any_of[{i}]")).FirstOrDefault(v => v is not null),
                "type" when value!.GetValueKind() != JsonValueKind.String => $"Invalid JSON payload received. Unknown name \"type\" at '{path}': Proto field is not repeating, cannot start list.",
                "enum" when value!.AsArray().Any(e => e!.GetValueKind() != JsonValueKind.String) => $"Invalid value at '{path}.enum' (TYPE_STRING)",
                _ => null,
            };
            if (inner is not null)
            {
                return inner;
            }
        }
        return null;
    }

    /// <summary>The first violation in a whole generateContent body's tool declarations, or null.</summary>
    public static string? CheckRequest(JsonNode body)
    {
        var i = 0;
        foreach (var tool in body["tools"]?.AsArray() ?? [])
        {
            var j = 0;
            foreach (var decl in tool!["functionDeclarations"]?.AsArray() ?? [])
            {
                if (Violation(decl!["parameters"], $"tools[{i}].function_declarations[{j}].parameters") is { } v)
                {
                    return v;
                }
                j++;
            }
            i++;
        }
        return body.ToJsonString().Contains("cache_control", StringComparison.Ordinal) ? "Invalid JSON payload received. Unknown name \"cache_control\"" : null;
    }
}
