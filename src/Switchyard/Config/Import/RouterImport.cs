using System.Globalization;
using System.Text.Json.Nodes;

namespace Switchyard.Config.Import;

/// <summary>
/// claude-code-router's <c>config.json</c>: <c>Providers</c> (<c>api_base_url</c>, <c>api_key</c> / <c>api_keys</c>
/// plain or with <c>weight</c> / <c>maxFailures</c> / <c>cooldownTime</c>, <c>enable_rotation</c>,
/// <c>rotation_strategy</c>, <c>retry_on_failure</c>, <c>max_retries</c>, <c>models</c>, <c>transformer</c>) and
/// <c>Router</c> (<c>default</c>, <c>background</c>, <c>think</c>, <c>longContext</c>, <c>longContextThreshold</c>,
/// <c>webSearch</c>). The router becomes one <c>*</c> route with scenario rules; each provider's models become
/// routes named <c>provider,model</c>, as <c>/model provider,model</c> names them in Claude Code.
/// </summary>
internal static class RouterImport
{
    public const string Format = "claude-code-router config.json";

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { "Providers", "Router", "APIKEY", "HOST", "PORT", "LOG", "PROXY_URL" };

    public static bool Detects(JsonNode root) => root is JsonObject o && (o["Providers"] is JsonArray || o["Router"] is JsonObject);

    public static void Import(JsonObject source, ImportReport report)
    {
        var providers = new Dictionary<string, (JsonObject Provider, List<string> Models)>(StringComparer.Ordinal);
        var maxRetries = 0;
        var i = 0;
        foreach (var node in source["Providers"] as JsonArray ?? [])
        {
            var at = $"Providers[{i++}]";
            if (node is not JsonObject p || ImportValues.Text(p["name"]) is not { } name)
            {
                report.Unsupported.Add($"{at}: not a provider with a name — left out");
                continue;
            }
            if (Provider(p, name, at, report) is not { } provider)
            {
                continue;
            }
            if (ImportValues.Bool(p["retry_on_failure"]) == true)
            {
                maxRetries = Math.Max(maxRetries, (int)(ImportValues.Number(p["max_retries"]) ?? 3));
            }
            var models = (p["models"] as JsonArray ?? []).Select(ImportValues.Text).OfType<string>().ToList();
            providers[name] = (provider, models);
            report.List("providers").Add(provider);
        }
        if (providers.Count == 0)
        {
            report.Unsupported.Add("no usable provider in Providers");
            return;
        }
        foreach (var (name, (_, models)) in providers)
        {
            foreach (var model in models)
            {
                report.List("routes").Add(new JsonObject { ["model"] = $"{name},{model}", ["targets"] = new JsonArray(Target(name, model)) });
            }
            if (models.Count > 0)
            {
                report.Mapped.Add($"{name}'s models → routes {string.Join(", ", models.Select(m => $"\"{name},{m}\""))} (what /model {name},{models[0]} asks for)");
            }
        }
        Router(source["Router"] as JsonObject, providers, maxRetries, report);
        if (ImportValues.Text(source["APIKEY"]) is { } apiKey)
        {
            report.Section("auth")["keys"] = new JsonArray(report.Secret("SWITCHYARD_KEY", apiKey));
            report.Mapped.Add("APIKEY → auth.keys (clients send it as before: x-api-key or Authorization: Bearer)");
        }
        // The router's default port is 3456: kept, so clients' ANTHROPIC_BASE_URL stays as it was.
        ImportValues.Server(report, ImportValues.Text(source["HOST"]), ImportValues.Number(source["PORT"]) ?? 3456, null, source["PORT"] is null ? "the router's default port 3456" : "HOST/PORT", "LOG");
        if (source["LOG"] is not null)
        {
            report.Approximated.Add("LOG → the request log is always on (logs/switchyard.jsonl and the store; server.request_log: off turns the file off)");
        }
        if (source["PROXY_URL"] is not null)
        {
            report.Unsupported.Add("PROXY_URL: upstream calls through an HTTP proxy are not supported — left out");
        }
        foreach (var (key, _) in source)
        {
            if (!Known.Contains(key))
            {
                report.Unsupported.Add($"{key}: no equivalent — left out");
            }
        }
    }

    private static JsonObject? Provider(JsonObject p, string name, string at, ImportReport report)
    {
        var url = ImportValues.Text(p["api_base_url"]);
        if (url is null)
        {
            report.Unsupported.Add($"{at} {name}: no api_base_url — left out");
            return null;
        }
        var uses = Uses(p["transformer"]);
        string type, baseUrl;
        if (uses.Contains("anthropic") || url.EndsWith("/v1/messages", StringComparison.Ordinal))
        {
            (type, baseUrl) = ("anthropic", Strip(url, "/v1/messages"));
        }
        else if (uses.Contains("gemini") || url.Contains("generativelanguage.googleapis.com", StringComparison.Ordinal))
        {
            (type, baseUrl) = ("gemini", url.Contains("/v1beta", StringComparison.Ordinal) ? url[..url.IndexOf("/v1beta", StringComparison.Ordinal)] : url.TrimEnd('/'));
        }
        else
        {
            (type, baseUrl) = ("openai", Strip(url, "/chat/completions"));
            if (!url.TrimEnd('/').EndsWith("/chat/completions", StringComparison.Ordinal))
            {
                report.Approximated.Add($"{at} {name}: api_base_url does not end in /chat/completions — used as the base URL ({{base_url}}/chat/completions is called)");
            }
        }
        var provider = new JsonObject { ["name"] = name, ["type"] = type, ["base_url"] = baseUrl };
        var keys = new JsonArray();
        var rotation = ImportValues.Bool(p["enable_rotation"]) ?? true;
        if (p["api_keys"] is JsonArray list)
        {
            var k = 0;
            foreach (var item in list)
            {
                var enabled = rotation || k == 0; // without rotation the router uses the first key only
                if (item is JsonObject o && ImportValues.Text(o["key"]) is { } secret)
                {
                    var key = new JsonObject { ["key"] = report.Secret(name + "_API_KEY", secret) };
                    if (ImportValues.Number(o["weight"]) is { } w)
                    {
                        key["weight"] = (long)w;
                    }
                    if (ImportValues.Number(o["maxFailures"]) is { } mf)
                    {
                        key["max_failures"] = (long)mf;
                    }
                    if (ImportValues.Number(o["cooldownTime"]) is { } cd)
                    {
                        key["cooldown"] = ImportValues.Milliseconds(cd);
                    }
                    if (!enabled)
                    {
                        key["enabled"] = false;
                    }
                    keys.Add(key);
                }
                else if (ImportValues.Text(item) is { } plain)
                {
                    keys.Add(enabled ? report.Secret(name + "_API_KEY", plain) : new JsonObject { ["key"] = report.Secret(name + "_API_KEY", plain), ["enabled"] = false });
                }
                k++;
            }
        }
        else if (ImportValues.Text(p["api_key"]) is { } single)
        {
            keys.Add(report.Secret(name + "_API_KEY", single));
        }
        if (keys.Count == 0)
        {
            report.Unsupported.Add($"{at} {name}: no api_key — left out (a provider needs a key)");
            return null;
        }
        provider["keys"] = keys;
        if (ImportValues.Text(p["rotation_strategy"]) is { } strategy)
        {
            if (Keys.KeySelectionStrategies.Names.Contains(strategy))
            {
                provider["key_strategy"] = strategy;
                report.Mapped.Add($"{at} {name}: rotation_strategy {strategy} → key_strategy: {strategy}");
            }
            else
            {
                report.Unsupported.Add($"{at} {name}: rotation_strategy '{strategy}' — round_robin is used");
            }
        }
        if (!rotation && keys.Count > 1)
        {
            report.Mapped.Add($"{at} {name}: enable_rotation: false → only the first key is enabled (the others are listed, disabled)");
        }
        report.Mapped.Add($"{at} {name} → provider {name} ({type}, {baseUrl}, {keys.Count} key{(keys.Count == 1 ? "" : "s")})");
        foreach (var use in uses.Where(u => u is not ("anthropic" or "gemini" or "openai")))
        {
            report.Approximated.Add($"{at} {name}: transformer '{use}' — not needed or not applied: Switchyard translates to the {type} protocol itself; per-target changes are `patch:` (max_tokens, reasoning_effort, drop)");
        }
        return provider;
    }

    private static void Router(JsonObject? router, Dictionary<string, (JsonObject Provider, List<string> Models)> providers, int maxRetries, ImportReport report)
    {
        var first = providers.First();
        var route = new JsonObject
        {
            ["model"] = "*",
            ["targets"] = new JsonArray(Target(first.Key, first.Value.Models.FirstOrDefault())),
        };
        if (router is null)
        {
            report.Approximated.Add($"no Router: every name goes to {first.Key}");
        }
        else if (Pick(router["default"], "Router.default", providers, report) is { } main)
        {
            route["targets"] = new JsonArray(main);
            report.Mapped.Add($"Router.default → route \"*\" → {Describe(main)}");
        }
        var rules = new JsonArray();
        // The router's own order: long context, background, web search, thinking.
        var threshold = ImportValues.Number(router?["longContextThreshold"]) ?? 60000;
        AddRule(router, "longContext", new JsonObject { ["min_input_tokens"] = (long)threshold }, $"min_input_tokens: {threshold.ToString(CultureInfo.InvariantCulture)}", providers, rules, report);
        AddRule(router, "background", new JsonObject { ["background"] = true }, "background: true (Haiku-class requests)", providers, rules, report);
        AddRule(router, "webSearch", new JsonObject { ["tools_include"] = "web_search" }, "tools_include: web_search", providers, rules, report);
        AddRule(router, "think", new JsonObject { ["thinking"] = true }, "thinking: true", providers, rules, report);
        if (rules.Count > 0)
        {
            route["rules"] = rules;
        }
        if (maxRetries > 0)
        {
            route["retry"] = new JsonObject { ["max_retries"] = maxRetries };
            report.Approximated.Add($"retry_on_failure / max_retries → the route's retry.max_retries: {maxRetries} (Switchyard retries per request across keys and targets)");
        }
        foreach (var (key, _) in router ?? [])
        {
            if (key is not ("default" or "background" or "think" or "longContext" or "longContextThreshold" or "webSearch"))
            {
                report.Unsupported.Add($"Router.{key}: no equivalent scenario — left out");
            }
        }
        report.List("routes").Add(route);
    }

    private static void AddRule(JsonObject? router, string name, JsonObject when, string described, Dictionary<string, (JsonObject, List<string>)> providers, JsonArray rules, ImportReport report)
    {
        if (router?[name] is not { } value || Pick(value, "Router." + name, providers, report) is not { } target)
        {
            return;
        }
        rules.Add(new JsonObject { ["when"] = when, ["targets"] = new JsonArray(target) });
        report.Mapped.Add($"Router.{name} → rule {{{described}}} → {Describe(target)}");
    }

    /// <summary><c>"provider,model"</c> → a target; null (and said so) when the provider is not one of the config's.</summary>
    private static JsonObject? Pick(JsonNode? value, string at, Dictionary<string, (JsonObject, List<string>)> providers, ImportReport report)
    {
        if (ImportValues.Text(value) is not { } text)
        {
            return null;
        }
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        var (provider, model) = comma < 0 ? (text, null) : (text[..comma].Trim(), text[(comma + 1)..].Trim());
        if (!providers.ContainsKey(provider))
        {
            report.Unsupported.Add($"{at} '{text}': no provider '{provider}' — left out");
            return null;
        }
        return Target(provider, model);
    }

    private static JsonObject Target(string provider, string? model)
    {
        var target = new JsonObject { ["provider"] = provider };
        if (model is not null)
        {
            target["model"] = model;
        }
        return target;
    }

    private static string Describe(JsonObject target) => target["provider"]!.GetValue<string>() + (target["model"] is { } m ? "/" + m.GetValue<string>() : "");

    private static string Strip(string url, string suffix)
    {
        var trimmed = url.TrimEnd('/');
        return trimmed.EndsWith(suffix, StringComparison.Ordinal) ? trimmed[..^suffix.Length] : trimmed;
    }

    /// <summary>The transformer names a provider uses (<c>{"use": ["deepseek", ["maxtoken", {…}]]}</c>), model-specific ones included.</summary>
    private static HashSet<string> Uses(JsonNode? transformer)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Collect(JsonNode? use)
        {
            foreach (var item in use as JsonArray ?? [])
            {
                if (ImportValues.Text(item) is { } n)
                {
                    names.Add(n);
                }
                else if (item is JsonArray pair && ImportValues.Text(pair.FirstOrDefault()) is { } named)
                {
                    names.Add(named);
                }
            }
        }
        if (transformer is JsonObject t)
        {
            foreach (var (key, value) in t)
            {
                Collect(key == "use" ? value : (value as JsonObject)?["use"]);
            }
        }
        return names;
    }
}
