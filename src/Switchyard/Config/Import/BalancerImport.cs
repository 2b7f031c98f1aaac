using System.Globalization;
using System.Text.Json.Nodes;

namespace Switchyard.Config.Import;

/// <summary>
/// claude-code-provider-balancer's <c>providers.yaml</c>: providers (<c>type</c>, <c>base_url</c>,
/// <c>auth_type</c>/<c>auth_value</c>, <c>big_model</c>/<c>small_model</c> incl. <c>passthrough</c>, <c>enabled</c>)
/// tried in order with failover and cooldown, and <c>settings</c>. It becomes the same providers and one <c>*</c>
/// route that fails over through them in their order, each with its big/small mapping.
/// </summary>
internal static class BalancerImport
{
    public const string Format = "claude-code-provider-balancer providers.yaml";

    public static bool Detects(JsonNode root) =>
        root is JsonObject o && o["providers"] is JsonArray list && list.Any(p => p is JsonObject po && (po.ContainsKey("auth_type") || po.ContainsKey("auth_value")));

    public static void Import(JsonObject source, ImportReport report)
    {
        var settings = source["settings"] as JsonObject ?? [];
        var cooldown = ImportValues.Number(settings["failure_cooldown"]);
        var timeout = ImportValues.Number(settings["request_timeout"]);
        var targets = new JsonArray();
        var i = 0;
        foreach (var node in (JsonArray)source["providers"]!)
        {
            var at = $"providers[{i++}]";
            if (node is not JsonObject p || ImportValues.Text(p["name"]) is not { } name)
            {
                report.Unsupported.Add($"{at}: not a provider with a name — left out");
                continue;
            }
            if (p["enabled"] is JsonValue enabled && enabled.TryGetValue<bool>(out var on) && !on)
            {
                report.Approximated.Add($"{at} {name}: enabled: false — left out (add it back with `switchyard providers add` when you need it)");
                continue;
            }
            var type = ImportValues.Text(p["type"]) ?? "anthropic";
            if (type is not ("anthropic" or "openai"))
            {
                report.Unsupported.Add($"{at} {name}: type '{type}' — left out (Switchyard types: openai, anthropic, gemini, openai-responses, azure-openai)");
                continue;
            }
            var provider = new JsonObject { ["name"] = name, ["type"] = type, ["base_url"] = ImportValues.Text(p["base_url"]) ?? (type == "anthropic" ? "https://api.anthropic.com" : "https://api.openai.com/v1") };
            var authType = ImportValues.Text(p["auth_type"]) ?? "api_key";
            if (ImportValues.Text(p["auth_value"]) is { } secret)
            {
                provider["keys"] = new JsonArray(report.Secret(name + "_API_KEY", secret));
            }
            else
            {
                report.Unsupported.Add($"{at} {name}: no auth_value — the provider needs a key: add one to its keys");
            }
            if (authType == "auth_token")
            {
                provider["auth"] = "bearer"; // Authorization: Bearer instead of the type's own header
                report.Mapped.Add($"{at} {name}: auth_type auth_token → auth: bearer");
            }
            else if (authType != "api_key")
            {
                report.Unsupported.Add($"{at} {name}: auth_type '{authType}' — the type's own header is used");
            }
            foreach (var field in (string[])["big_model", "small_model"])
            {
                if (ImportValues.Text(p[field]) is { } model)
                {
                    provider[field] = model; // "passthrough" means the same here
                }
            }
            if (cooldown is { } c)
            {
                provider["failure_cooldown"] = ImportValues.Seconds(c);
            }
            if (timeout is { } t)
            {
                provider["first_byte_timeout"] = ImportValues.Seconds(t);
            }
            report.List("providers").Add(provider);
            targets.Add(new JsonObject { ["provider"] = name });
            report.Mapped.Add($"{at} {name} → provider {name} ({type}, {provider["base_url"]}{(p["big_model"] is not null ? ", big/small models" : "")})");
        }
        if (targets.Count > 0)
        {
            report.List("routes").Add(new JsonObject { ["model"] = "*", ["strategy"] = "failover", ["targets"] = targets });
            report.Mapped.Add($"the provider order → route \"*\" with failover through {targets.Count} providers (a failing provider cools down, the next is tried; 503 when none is left)");
        }
        if (cooldown is { } cd)
        {
            report.Mapped.Add($"settings.failure_cooldown {cd.ToString(CultureInfo.InvariantCulture)} → each provider's failure_cooldown: {ImportValues.Seconds(cd)}");
        }
        if (timeout is { } to)
        {
            report.Approximated.Add($"settings.request_timeout {to.ToString(CultureInfo.InvariantCulture)} → first_byte_timeout: {ImportValues.Seconds(to)} (Switchyard bounds the wait for the first byte and idle gaps, never a whole stream)");
        }
        ImportValues.Server(report, ImportValues.Text(settings["host"]), ImportValues.Number(settings["port"]), ImportValues.Text(settings["log_level"]), "settings.host/port", $"settings.log_level {ImportValues.Text(settings["log_level"])}");
        foreach (var (key, _) in settings)
        {
            if (key is not ("failure_cooldown" or "request_timeout" or "host" or "port" or "log_level"))
            {
                report.Unsupported.Add($"settings.{key}: no equivalent — left out");
            }
        }
    }
}
