using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace Switchyard.Tests.Fuzz;

/// <summary>
/// One mutation of a JSON request body, as plain numbers so that CsCheck can shrink a failing case to the smallest one:
/// which node (by index in document order), what to do to it, and — for the byte-level kinds — where in the bytes.
/// </summary>
internal readonly record struct BodyMutation(int Node, int Kind, int At)
{
    private const int TreeKinds = 16;
    private const int ByteKinds = 5;

    public static readonly Gen<BodyMutation> Gen =
        CsCheck.Gen.Select(CsCheck.Gen.Int[0, 4096], CsCheck.Gen.Int[0, TreeKinds + ByteKinds - 1], CsCheck.Gen.Int[0, 1 << 20],
            (node, kind, at) => new BodyMutation(node, kind, at));

    /// <summary>One to three mutations applied in order.</summary>
    public static readonly Gen<BodyMutation[]> Several = Gen.Array[1, 3];

    public override string ToString() => $"{Name} at node {Node} / byte {At}";

    private string Name => Kind switch
    {
        0 => "delete", 1 => "null", 2 => "[]", 3 => "{}", 4 => "1e308", 5 => "-1", 6 => "true", 7 => "\"\"",
        8 => "lone surrogate", 9 => "huge integer", 10 => "type swap", 11 => "duplicate", 12 => "deep nesting",
        13 => "unknown string", 14 => "wrap in array", 15 => "long string",
        16 => "truncate", 17 => "BOM", 18 => "invalid UTF-8 byte", 19 => "flip a byte", 20 => "split UTF-8 sequence",
        _ => "?",
    };

    public static byte[] Apply(byte[] body, BodyMutation[] mutations)
    {
        foreach (var m in mutations)
        {
            body = m.Apply(body);
        }
        return body;
    }

    public byte[] Apply(byte[] body)
    {
        if (Kind >= TreeKinds)
        {
            return ApplyToBytes(body);
        }
        try
        {
            return ApplyToTree(body);
        }
        catch (InvalidOperationException)
        {
            return ApplyToBytes(body); // System.Text.Json will not rewrite a lone surrogate an earlier mutation put in
        }
    }

    private byte[] ApplyToTree(byte[] body)
    {
        JsonNode? root;
        var nodes = new List<JsonNode>();
        try
        {
            root = System.Text.Unicode.Utf8.IsValid(body) ? JsonNode.Parse(body) : null;
            if (root is not null)
            {
                Collect(root, nodes);
            }
        }
        catch (System.Text.Json.JsonException)
        {
            root = null;
        }
        if (root is null)
        {
            return ApplyToBytes(body); // an earlier mutation broke the JSON: keep mutating bytes
        }
        var target = nodes[Node % nodes.Count];
        if (ReferenceEquals(target, root))
        {
            return Kind switch
            {
                0 => [],
                14 => Encoding.UTF8.GetBytes("[" + root.ToJsonString() + "]"),
                _ => Encoding.UTF8.GetBytes(Replacement(root)?.ToJsonString() ?? "null"),
            };
        }
        var parent = target.Parent!;
        switch (Kind)
        {
            case 0:
                Remove(parent, target);
                break;
            case 11 when parent is JsonArray array:
                array.Insert(array.IndexOf(target), target.DeepClone());
                break;
            default:
                Replace(parent, target, Replacement(target));
                break;
        }
        return Encoding.UTF8.GetBytes(root.ToJsonString().Replace($"\"{LoneSurrogatePlaceholder}\"", "\"a\\ud800b\"", StringComparison.Ordinal));
    }

    private const string LoneSurrogatePlaceholder = "lone-surrogate-placeholder";

    private JsonNode? Replacement(JsonNode target) => Kind switch
    {
        1 => null,
        2 => new JsonArray(),
        3 => new JsonObject(),
        4 => JsonNode.Parse("1e308"),
        5 => JsonValue.Create(-1),
        6 => JsonValue.Create(true),
        7 => JsonValue.Create(""),
        8 => JsonValue.Create(LoneSurrogatePlaceholder), // System.Text.Json will not write one: spliced in as text below
        9 => JsonNode.Parse("123456789012345678901234567890"),
        10 => TypeSwap(target),
        12 => JsonNode.Parse(new string('[', 40) + new string(']', 40)),
        13 => JsonValue.Create("no_such_value"),
        14 => new JsonArray(target.DeepClone()),
        15 => JsonValue.Create(new string('x', 70_000)),
        _ => target.DeepClone(),
    };

    /// <summary>The same content as another JSON type: a string becomes an array, a number a string, and so on.</summary>
    private static JsonNode? TypeSwap(JsonNode target) => target switch
    {
        JsonObject o => new JsonArray(o.DeepClone()),
        JsonArray a => a.Count > 0 ? a[0]?.DeepClone() : new JsonObject(),
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => new JsonArray(v.DeepClone()),
        JsonValue v => JsonValue.Create(v.ToJsonString()),
        _ => null,
    };

    private byte[] ApplyToBytes(byte[] body)
    {
        if (body.Length == 0)
        {
            return body;
        }
        var at = At % body.Length;
        return Kind switch
        {
            16 => body[..at],
            17 => [0xEF, 0xBB, 0xBF, .. body],
            18 => [.. body[..at], 0xFF, .. body[at..]],
            19 => Flip(body, at),
            _ => [.. body[..at], 0xE2, 0x82, .. body[at..]], // the first two bytes of '€' and no third
        };
    }

    private byte[] Flip(byte[] body, int at)
    {
        var copy = (byte[])body.Clone();
        const string Syntax = "{}[]\",:0a\\ ";
        copy[at] = (byte)Syntax[(At >> 4) % Syntax.Length];
        return copy;
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        into.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o)
                {
                    if (child is not null)
                    {
                        Collect(child, into);
                    }
                }
                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    if (child is not null)
                    {
                        Collect(child, into);
                    }
                }
                break;
        }
    }

    private static void Remove(JsonNode parent, JsonNode target)
    {
        if (parent is JsonObject o)
        {
            o.Remove(target.GetPropertyName());
        }
        else if (parent is JsonArray a)
        {
            a.Remove(target);
        }
    }

    private static void Replace(JsonNode parent, JsonNode target, JsonNode? with)
    {
        if (parent is JsonObject o)
        {
            o[target.GetPropertyName()] = with;
        }
        else if (parent is JsonArray a)
        {
            a[a.IndexOf(target)] = with;
        }
    }
}
