using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Config.Import;

/// <summary>The config an import wrote, checked: its YAML, its env file's lines, and the report of what mapped.</summary>
internal sealed record ImportResult(ImportReport Report, string Yaml, string EnvFile);

/// <summary>
/// <c>switchyard import</c>'s core: recognises which tool a config file comes from (claude-code-router's
/// <c>config.json</c>, claude-code-provider-balancer's <c>providers.yaml</c>, the conversion proxy's <c>app.yml</c>),
/// converts it, and checks the result with the config loader itself — what it writes passes <c>config check</c>.
/// </summary>
internal static class ConfigImporter
{
    public static ImportResult Import(string text, string sourceName, bool inlineSecrets)
    {
        JsonNode? root;
        try
        {
            root = text.TrimStart().StartsWith('{') ? JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                : YamlJson.Read(text);
        }
        catch (Exception ex) when (ex is JsonException or YamlDotNet.Core.YamlException)
        {
            throw new ImportException($"{sourceName} is neither JSON nor YAML: {ex.Message}");
        }
        if (root is not JsonObject source)
        {
            throw new ImportException($"{sourceName} is empty or not a mapping of settings.");
        }
        ImportReport report;
        if (RouterImport.Detects(source))
        {
            report = new ImportReport(RouterImport.Format, inlineSecrets);
            RouterImport.Import(source, report);
        }
        else if (BalancerImport.Detects(source))
        {
            report = new ImportReport(BalancerImport.Format, inlineSecrets);
            BalancerImport.Import(source, report);
        }
        else if (AppYmlImport.Detects(source))
        {
            report = new ImportReport(AppYmlImport.Format, inlineSecrets);
            AppYmlImport.Import(source, report);
        }
        else
        {
            throw new ImportException($"{sourceName} is not a config this command knows: claude-code-router's config.json (Providers, Router), "
                + "claude-code-provider-balancer's providers.yaml (providers with auth_type/auth_value, settings) or an app.yml with API_KEY_POOLS / *_API_KEY."
                + (source.ContainsKey("routes") ? " It looks like a Switchyard config already: check it with `switchyard config check`." : ""));
        }
        if (report.Config["providers"] is not JsonArray { Count: > 0 })
        {
            throw new ImportException($"{sourceName} ({report.Format}): no provider could be imported — {string.Join("; ", report.Unsupported)}");
        }
        Order(report.Config);
        var yaml = YamlJson.Write(report.Config, $"Imported from {Path.GetFileName(sourceName)} ({report.Format}) by `switchyard import`."
            + (report.Secrets.Count > 0 ? $"\nSecrets are ${{NAME}} references: their values are in the env file written beside this one." : ""));
        try
        {
            // What it wrote must load as written, the secrets' references resolved as they will be at start.
            ConfigLoader.Parse(yaml, "import", name => report.Secrets.TryGetValue(name, out var v) ? v : Environment.GetEnvironmentVariable(name) ?? "set-at-start");
        }
        catch (ConfigException ex)
        {
            throw new ImportException($"the converted config does not load ({ex.Message}); please report this with the source file (secrets removed)");
        }
        var env = string.Concat(report.Secrets.Select(s => $"{s.Key}={s.Value}\n"));
        return new ImportResult(report, yaml, env);
    }

    /// <summary>The file's sections in the order the README's reference shows them.</summary>
    private static void Order(JsonObject config)
    {
        string[] order = ["server", "auth", "providers", "routes"];
        var sections = config.ToList();
        config.Clear();
        foreach (var (key, value) in sections.OrderBy(s => Array.IndexOf(order, s.Key) is var i and >= 0 ? i : order.Length))
        {
            config[key] = value;
        }
    }
}

/// <summary>The source cannot be imported; the message says why and what would work.</summary>
internal sealed class ImportException(string message) : Exception(message);
