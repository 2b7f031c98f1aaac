using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Config.Import;

/// <summary>
/// YAML ↔ the JSON tree the importers work on: source YAML read into JSON nodes (plain scalars typed as YAML 1.2's
/// core schema types them), and the produced config written back as block-style YAML.
/// </summary>
internal static class YamlJson
{
    public static JsonNode? Read(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? null : ToJson(stream.Documents[0].RootNode);
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain } s => Plain(s.Value ?? ""),
        YamlScalarNode s => JsonValue.Create(s.Value ?? ""),
        _ => null,
    };

    private static JsonValue? Plain(string v) => v switch
    {
        "" or "~" or "null" or "Null" or "NULL" => null,
        "true" or "True" or "TRUE" => JsonValue.Create(true),
        "false" or "False" or "FALSE" => JsonValue.Create(false),
        _ when long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        _ when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
        _ => JsonValue.Create(v),
    };

    /// <summary>The config as block-style YAML (YamlDotNet's emitter: it quotes what YAML would read otherwise), after a header comment.</summary>
    public static string Write(JsonNode node, string header)
    {
        var sb = new StringBuilder();
        foreach (var line in header.Split('\n'))
        {
            sb.Append("# ").Append(line).Append('\n');
        }
        sb.Append(new YamlDotNet.Serialization.SerializerBuilder().Build().Serialize(ToObject(node)));
        return sb.ToString();
    }

    private static object? ToObject(JsonNode? node) => node switch
    {
        JsonObject o => o.ToDictionary(p => p.Key, p => ToObject(p.Value)),
        JsonArray a => a.Select(ToObject).ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<decimal>(out var m) => m,
        _ => null,
    };
}
