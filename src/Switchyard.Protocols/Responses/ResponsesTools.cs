using System.Globalization;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Protocols.Responses;

/// <summary>
/// How Responses-only tool shapes cross to other upstreams and back: a <c>namespace</c> tool's functions are flattened
/// into one name each, a <c>custom</c> (freeform) tool becomes a function with a single string parameter <c>input</c>.
/// The request's own tool list is the table that reverses both on the way back.
/// </summary>
public sealed class ResponsesTools
{
    /// <summary>The parameter schema a custom tool is offered with to upstreams that only know functions.</summary>
    public const string CustomToolSchema = """{"type":"object","properties":{"input":{"type":"string","description":"The tool's raw input text."}},"required":["input"],"additionalProperties":false}""";

    /// <summary>Longest function name every upstream accepts (OpenAI: 64).</summary>
    private const int MaxName = 64;

    private readonly Dictionary<string, ToolDefinition> _special = new(StringComparer.Ordinal);

    private ResponsesTools()
    {
    }

    public static readonly ResponsesTools Empty = new();

    public static ResponsesTools Of(IEnumerable<ToolDefinition> tools)
    {
        ResponsesTools? table = null;
        foreach (var t in tools)
        {
            if (t.ResponsesNamespace is not null || t.ResponsesCustom)
            {
                (table ??= new ResponsesTools())._special[t.Name] = t;
            }
        }
        return table ?? Empty;
    }

    /// <summary>What a call to the canonical tool name is on the Responses wire.</summary>
    public (string Name, string? Namespace, bool Custom) Describe(string canonicalName) =>
        _special.TryGetValue(canonicalName, out var t) ? (t.ResponsesLocalName ?? t.Name, t.ResponsesNamespace, t.ResponsesCustom) : (canonicalName, null, false);

    /// <summary>The one canonical name of a namespaced function; deterministic, so replayed history agrees with the tool list.</summary>
    public static string Flatten(string? ns, string name)
    {
        if (string.IsNullOrEmpty(ns))
        {
            return name;
        }
        var flat = ns + "__" + name;
        return flat.Length <= MaxName ? flat : flat[..(MaxName - 9)] + "_" + StableHash.Fnv1a32(flat).ToString("x8", CultureInfo.InvariantCulture);
    }
}
