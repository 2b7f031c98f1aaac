using System.Text.Json.Nodes;

namespace Switchyard.Config.Import;

/// <summary>
/// The OpenAI / Claude / Gemini conversion proxy's <c>app.yml</c>: <c>MODE</c>, <c>HOST</c>, <c>PORT</c>, <c>DEBUG</c>,
/// <c>PREFERRED_PROVIDER</c>, <c>API_KEY_POOLS</c> (<c>keys</c>, <c>auth_header</c>, <c>auth_format</c>) and the
/// single-key <c>*_API_KEY</c> fields. Each vendor becomes a provider; each model family a route to its vendor, and
/// every other name goes to the preferred provider.
/// </summary>
internal static class AppYmlImport
{
    public const string Format = "app.yml (API_KEY_POOLS)";

    private sealed record Vendor(string Name, string Type, string BaseUrl, string[] Families);

    private static readonly Vendor[] Vendors =
    [
        new("openai", "openai", "https://api.openai.com/v1", ["gpt-*", "o1*", "o3*", "o4*", "chatgpt-*"]),
        new("anthropic", "anthropic", "https://api.anthropic.com", ["claude-*"]),
        new("gemini", "gemini", "https://generativelanguage.googleapis.com", ["gemini-*"]),
    ];

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "MODE", "PORT", "HOST", "DEBUG", "PREFERRED_PROVIDER", "API_KEY_POOLS", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY",
    };

    public static bool Detects(JsonNode root) =>
        root is JsonObject o && (o.ContainsKey("API_KEY_POOLS") || o.ContainsKey("PREFERRED_PROVIDER") || (o.ContainsKey("MODE") && o.ContainsKey("PORT"))
            || Vendors.Any(v => o.ContainsKey(v.Name.ToUpperInvariant() + "_API_KEY")));

    public static void Import(JsonObject source, ImportReport report)
    {
        var pools = source["API_KEY_POOLS"] as JsonObject ?? [];
        var direct = ImportValues.Text(source["MODE"]) == "direct";
        var made = new List<Vendor>();
        foreach (var vendor in Vendors)
        {
            var pool = pools[vendor.Name] as JsonObject;
            var keys = new JsonArray();
            foreach (var k in (pool?["keys"] as JsonArray ?? []).Select(ImportValues.Text).OfType<string>())
            {
                keys.Add(report.Secret($"{vendor.Name}_API_KEY", k));
            }
            var single = ImportValues.Text(source[vendor.Name.ToUpperInvariant() + "_API_KEY"]);
            if (single is not null)
            {
                var reference = report.Secret($"{vendor.Name}_API_KEY", single);
                if (!keys.Any(k => k!.GetValue<string>() == reference))
                {
                    keys.Add(reference);
                }
                report.Mapped.Add($"{vendor.Name.ToUpperInvariant()}_API_KEY → a key of provider {vendor.Name}");
            }
            if (keys.Count == 0)
            {
                continue;
            }
            var provider = new JsonObject { ["name"] = vendor.Name, ["type"] = vendor.Type, ["base_url"] = vendor.BaseUrl, ["keys"] = keys };
            if (pool is not null)
            {
                var header = ImportValues.Text(pool["auth_header"]);
                var format = ImportValues.Text(pool["auth_format"]);
                if (header is not null || format is not null)
                {
                    var (nativeHeader, nativeFormat) = vendor.Type switch
                    {
                        "openai" => ("authorization", "Bearer {key}"),
                        "anthropic" => ("x-api-key", "{key}"),
                        _ => ("x-goog-api-key", "{key}"),
                    };
                    var standard = (header is null || header.Equals(nativeHeader, StringComparison.OrdinalIgnoreCase)) && (format is null || format == nativeFormat);
                    if (!standard)
                    {
                        provider["auth"] = "header";
                        provider["auth_header"] = header ?? "Authorization";
                        provider["auth_format"] = format ?? "{key}";
                    }
                    report.Mapped.Add($"API_KEY_POOLS.{vendor.Name}.auth_header/auth_format → " + (standard ? "the type's own header (the same)" : $"auth: header, auth_header: {provider["auth_header"]}, auth_format: {provider["auth_format"]}"));
                }
                report.Mapped.Add($"API_KEY_POOLS.{vendor.Name} ({keys.Count} keys) → provider {vendor.Name} ({vendor.Type}, {vendor.BaseUrl}), keys rotated round_robin; a 429 rests the key and the next one is tried");
            }
            report.List("providers").Add(provider);
            made.Add(vendor);
        }
        foreach (var (name, _) in pools)
        {
            if (!Vendors.Any(v => v.Name == name))
            {
                report.Unsupported.Add($"API_KEY_POOLS.{name}: an unknown vendor (openai, anthropic, gemini) — left out: add it with `switchyard providers add`");
            }
        }
        if (made.Count == 0)
        {
            report.Unsupported.Add("no keys in API_KEY_POOLS or *_API_KEY: no provider could be made");
            return;
        }
        foreach (var vendor in made)
        {
            foreach (var family in vendor.Families)
            {
                report.List("routes").Add(Route(family, vendor.Name, direct));
            }
        }
        var preferred = ImportValues.Text(source["PREFERRED_PROVIDER"]) is { } p && made.FirstOrDefault(v => v.Name == p) is { } found ? found : made[0];
        var fallback = new JsonArray([new JsonObject { ["provider"] = preferred.Name }, .. made.Where(v => v != preferred).Select(v => (JsonNode)new JsonObject { ["provider"] = v.Name })]);
        var any = new JsonObject { ["model"] = "*", ["strategy"] = "failover", ["targets"] = fallback };
        if (direct)
        {
            any["mode"] = "direct";
        }
        report.List("routes").Add(any);
        report.Mapped.Add($"each vendor's model family ({string.Join(", ", made.SelectMany(v => v.Families))}) → a route to that vendor; every other name → \"*\" to {preferred.Name} first (PREFERRED_PROVIDER), then the others");
        report.Approximated.Add("routes kept in the tool's database (its web UI) are not in app.yml: add them with `switchyard models create --route-key NAME --provider P --target-model M`");
        if (direct)
        {
            report.Mapped.Add("MODE: direct → the routes forward bytes to same-protocol providers only (mode: direct)");
        }
        else if (source["MODE"] is not null)
        {
            report.Mapped.Add("MODE: transformer → the default: any client protocol to any provider, translated");
        }
        var debug = ImportValues.Bool(source["DEBUG"]) == true;
        ImportValues.Server(report, ImportValues.Text(source["HOST"]), ImportValues.Number(source["PORT"]), debug ? "debug" : null, "HOST/PORT", "DEBUG: true");
        foreach (var (key, _) in source)
        {
            if (!Known.Contains(key))
            {
                report.Unsupported.Add($"{key}: no equivalent — left out");
            }
        }
    }

    private static JsonObject Route(string model, string provider, bool direct)
    {
        var route = new JsonObject { ["model"] = model, ["targets"] = new JsonArray(new JsonObject { ["provider"] = provider }) };
        if (direct)
        {
            route["mode"] = "direct";
        }
        return route;
    }
}
