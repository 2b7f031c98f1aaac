using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Spectre.Console;
using Switchyard.Config;

namespace Switchyard.Cli;

/// <summary>
/// <c>switchyard status | keys | routes [resolve MODEL] | reload | config check FILE</c>: talk to a running instance over
/// HTTP (<c>--url</c>, default the local one; admin key from <c>--admin-key</c> or SWITCHYARD_ADMIN_KEY), print tables,
/// or JSON with <c>--json</c>. Exit codes: 0 done, 1 the gateway said no (or the config is invalid), 2 bad usage,
/// 3 the gateway could not be reached.
/// </summary>
internal static class AdminCommands
{
    public const int Ok = 0, Refused = 1, Usage = 2, Unreachable = 3;

    public static readonly string[] Names = ["status", "keys", "routes", "reload", "config"];

    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var json = args.Contains("--json");
        var url = Option(args, "--url") ?? ServeCommand.DefaultUrls;
        var adminKey = Option(args, "--admin-key") ?? env("SWITCHYARD_ADMIN_KEY");
        var positional = Positional(args);
        if (positional is ["config", "check", var file])
        {
            return CheckConfig(file, console, json);
        }
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        if (adminKey is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        }
        try
        {
            return positional switch
            {
                ["status"] => await ShowAsync(http, "/providers", console, json, Status),
                ["keys"] => await ShowAsync(http, "/providers", console, json, Keys),
                ["routes"] => await ShowAsync(http, "/admin/routes", console, json, Routes),
                ["routes", "resolve", var model] => await ShowAsync(http, "/admin/routes/resolve?model=" + Uri.EscapeDataString(model), console, json, Resolved),
                ["reload"] => await ReloadAsync(http, console, json),
                _ => UsageError(console),
            };
        }
        catch (HttpRequestException ex)
        {
            console.MarkupLineInterpolated($"[red]cannot reach the gateway at {url}:[/] {ex.Message}");
            return Unreachable;
        }
    }

    private static int UsageError(IAnsiConsole console)
    {
        console.WriteLine("usage: switchyard status | keys | routes [resolve MODEL] | reload | config check FILE  [--url URL] [--admin-key KEY] [--json]");
        return Usage;
    }

    private static async Task<int> ShowAsync(HttpClient http, string path, IAnsiConsole console, bool json, Action<JsonNode, IAnsiConsole> table)
    {
        using var resp = await http.GetAsync(path);
        var text = await resp.Content.ReadAsStringAsync();
        if (!resp.IsSuccessStatusCode)
        {
            return Failed(console, resp.StatusCode, text);
        }
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(text);
        }
        else
        {
            table(JsonNode.Parse(text)!, console);
        }
        return Ok;
    }

    private static async Task<int> ReloadAsync(HttpClient http, IAnsiConsole console, bool json)
    {
        using var resp = await http.PostAsync("/providers/reload", null);
        var text = await resp.Content.ReadAsStringAsync();
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(text);
            return resp.IsSuccessStatusCode ? Ok : Refused;
        }
        var body = JsonNode.Parse(text);
        if (resp.IsSuccessStatusCode)
        {
            console.MarkupLineInterpolated($"[green]reloaded[/]: {body?["summary"]?.GetValue<string>()}");
            return Ok;
        }
        return Failed(console, resp.StatusCode, text);
    }

    private static int Failed(IAnsiConsole console, HttpStatusCode status, string body)
    {
        var message = body;
        try
        {
            var node = JsonNode.Parse(body);
            message = node?["error"]?["message"]?.GetValue<string>() ?? node?["error"]?.GetValue<string>() ?? body;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        console.MarkupLineInterpolated($"[red]{(int)status}[/] {message}");
        return Refused;
    }

    private static int CheckConfig(string file, IAnsiConsole console, bool json)
    {
        try
        {
            var config = ConfigLoader.LoadFile(file);
            var summary = $"{config.Providers.Count} providers, {config.Routes.Length} routes";
            if (json)
            {
                console.Profile.Out.Writer.WriteLine(new JsonObject { ["valid"] = true, ["file"] = file, ["providers"] = config.Providers.Count, ["routes"] = config.Routes.Length }.ToJsonString());
            }
            else
            {
                console.MarkupLineInterpolated($"[green]valid[/]: {file} ({summary})");
            }
            return Ok;
        }
        catch (ConfigException ex)
        {
            if (json)
            {
                console.Profile.Out.Writer.WriteLine(new JsonObject { ["valid"] = false, ["file"] = file, ["error"] = ex.Message }.ToJsonString());
            }
            else
            {
                console.MarkupLineInterpolated($"[red]invalid[/]: {ex.Message}");
            }
            return Refused;
        }
    }

    private static void Status(JsonNode body, IAnsiConsole console)
    {
        var table = new Table().AddColumns("provider", "type", "state", "cooldown s", "failures in a row", "in flight", "EWMA TTFB ms", "keys usable");
        foreach (var p in body["providers"]!.AsArray())
        {
            var h = p!["health"]!;
            var keys = p["keys"]!.AsArray();
            var usable = keys.Count(k => k!["enabled"]!.GetValue<bool>() && k["cooldown_until"] is null);
            table.AddRow(Text(p["name"]), Text(p["type"]), Text(h["state"]), Text(h["cooldown_remaining_seconds"]), Text(h["consecutive_failures"]),
                Text(h["in_flight"]), Text(h["ewma_ttfb_ms"]), keys.Count == 0 ? "-" : $"{usable}/{keys.Count}");
        }
        console.Write(table);
    }

    private static void Keys(JsonNode body, IAnsiConsole console)
    {
        var table = new Table().AddColumns("provider", "#", "key", "enabled", "cooldown until", "fails in a row", "requests", "ok", "failed", "last failure", "status codes");
        foreach (var p in body["providers"]!.AsArray())
        {
            foreach (var k in p!["keys"]!.AsArray())
            {
                var codes = string.Join(" ", k!["status_codes"]!.AsObject().Select(c => $"{c.Key}:{c.Value}"));
                table.AddRow(Text(p["name"]), Text(k["index"]), Text(k["key"]), k["enabled"]!.GetValue<bool>() ? "yes" : "no (" + Text(k["disabled_reason"]) + ")",
                    Text(k["cooldown_until"]), Text(k["consecutive_failures"]), Text(k["requests"]), Text(k["successes"]), Text(k["failures"]),
                    k["last_failure_status"] is null ? "-" : $"{Text(k["last_failure_status"])} at {Text(k["last_failure_at"])}", codes);
            }
        }
        console.Write(table);
    }

    private static void Routes(JsonNode body, IAnsiConsole console)
    {
        var table = new Table().AddColumns("model", "also matches", "strategy", "mode", "targets");
        foreach (var r in body["routes"]!.AsArray())
        {
            var also = r!["aliases"]!.AsArray().Select(a => a!.GetValue<string>())
                .Concat(r["keywords"]!.AsArray().Select(k => $"*{k!.GetValue<string>()}*"))
                .Concat(r["default"]!.GetValue<bool>() ? ["(default)"] : []);
            var targets = r["targets"]!.AsArray().Select(t => t!["provider"]!.GetValue<string>() + (t["model"] is { } m ? " → " + m.GetValue<string>() : ""));
            table.AddRow(Text(r["model"]), string.Join(", ", also), Text(r["strategy"]), Text(r["mode"]), string.Join(", ", targets));
        }
        console.Write(table);
    }

    private static void Resolved(JsonNode body, IAnsiConsole console)
    {
        console.MarkupLineInterpolated($"{Text(body["model"])} → route {Text(body["route"])} ({Text(body["matched_by"])}, {Text(body["strategy"])})");
        var table = new Table().AddColumns("provider", "upstream model");
        foreach (var t in body["targets"]!.AsArray())
        {
            table.AddRow(Text(t!["provider"]), Text(t["upstream_model"]));
        }
        console.Write(table);
    }

    private static string Text(JsonNode? node) => Markup.Escape(node?.ToString() ?? "-");

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string[] Positional(string[] args)
    {
        var list = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--url" or "--admin-key")
            {
                i++;
                continue;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                list.Add(args[i]);
            }
        }
        return [.. list];
    }
}
