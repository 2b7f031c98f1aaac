using System.Text.Json.Nodes;

namespace Switchyard.Config.Import;

/// <summary>
/// What an import produced: the Switchyard config (as a JSON tree in the YAML shape), the secrets it moved out of it,
/// and what it says about each source field — mapped, approximated (and how), or without an equivalent.
/// </summary>
internal sealed class ImportReport(string format, bool inlineSecrets)
{
    public string Format { get; } = format;
    public JsonObject Config { get; } = [];
    public List<string> Mapped { get; } = [];
    public List<string> Approximated { get; } = [];
    public List<string> Unsupported { get; } = [];
    /// <summary>Environment variable → secret, for the env file (empty with <c>--inline-secrets</c>).</summary>
    public Dictionary<string, string> Secrets { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The value to write for a secret of the source: a <c>${NAME}</c> reference (its value goes to the env file), or the
    /// secret itself with <c>--inline-secrets</c>. A value that already is a reference (<c>$NAME</c>, <c>${NAME}</c>,
    /// as claude-code-router allows) stays one, and nothing is written for it.
    /// </summary>
    public string Secret(string suggestedName, string value)
    {
        if (ReferenceOf(value) is { } existing)
        {
            return "${" + existing + "}";
        }
        if (inlineSecrets)
        {
            return value;
        }
        var name = EnvName(suggestedName);
        for (var n = 2; Secrets.TryGetValue(name, out var taken) && taken != value; n++)
        {
            name = $"{EnvName(suggestedName)}_{n}";
        }
        Secrets[name] = value;
        return "${" + name + "}";
    }

    private static string? ReferenceOf(string value)
    {
        var v = value.Trim();
        if (v.StartsWith("${", StringComparison.Ordinal) && v.EndsWith('}') && IsName(v[2..^1]))
        {
            return v[2..^1];
        }
        return v.StartsWith('$') && IsName(v[1..]) ? v[1..] : null;
    }

    private static bool IsName(string s) => s.Length > 0 && !char.IsAsciiDigit(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary><c>deepseek-prod</c> → <c>DEEPSEEK_PROD</c>.</summary>
    public static string EnvName(string s)
    {
        var chars = s.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
        var name = new string(chars).Trim('_');
        return name.Length == 0 || char.IsAsciiDigit(name[0]) ? "KEY_" + name : name;
    }

    /// <summary>Adds to a list under <paramref name="name"/> of the config, creating it.</summary>
    public JsonArray List(string name) => Config[name] as JsonArray ?? (JsonArray)(Config[name] = new JsonArray());

    /// <summary>An object under <paramref name="name"/> of the config, creating it.</summary>
    public JsonObject Section(string name) => Config[name] as JsonObject ?? (JsonObject)(Config[name] = new JsonObject());
}
