using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;
using Switchyard.Admin;
using Switchyard.Config;

using static Switchyard.Cli.AdminClient;

namespace Switchyard.Cli;

/// <summary>
/// <c>switchyard status | providers | keys | models | routes | tenants | vkeys | stats | usage | logs | rotation | audit | reload |
/// config check FILE</c>: talk to a running instance over HTTP (<c>--url</c>, default the local one; admin key from <c>--admin-key</c> or SWITCHYARD_ADMIN_KEY), print tables,
/// or JSON with <c>--json</c>. Exit codes: 0 done, 1 the gateway said no (or the config is invalid), 2 bad usage,
/// 3 the gateway could not be reached.
/// </summary>
internal static class AdminCommands
{
    public const int Ok = 0, Refused = 1, Usage = 2, Unreachable = 3;

    public static readonly string[] Names =
        ["status", "keys", "routes", "reload", "config", "providers", "models", "tenants", "vkeys", "stats", "usage", "logs", "rotation", "audit"];

    public const string Help = """
        usage: switchyard COMMAND [--url URL] [--admin-key KEY] [--json]

          status                                   providers' health and keys usable
          providers list | add NAME --type T [--base-url U] [--key K]… | remove NAME | test NAME [--key ID] [--model M]
          keys list [--provider P] | add --provider P --api-key K [--weight N] | enable|disable|remove ID [--provider P]
          models list | create --route-key NAME --target-model M --provider P [--alias A]… [--strategy S] | delete NAME
          routes [resolve MODEL [--thinking true] [--input-tokens N] [--tools T,…] [--client C]]
                                                   the routing table; where a model name goes (and which scenario rule takes it)
          tenants list | create NAME [--models G,…] [--rpm N] [--tpm N] [--requests-per-day N] [--tokens-per-day N]
                  [--concurrent N] [--budget-usd-per-day X] [--budget-usd-per-month X] | delete NAME
          vkeys list [--tenant T] | create --tenant T [--name N] [--expires-at ISO] | revoke ID | rotate ID [--grace-seconds N]
          stats requests|keys|models|tenants [--from ISO] [--to ISO]
          usage [--tenant T] [--key K] [--user U] [--model M] [--provider P] [--from ISO] [--to ISO] [--group-by F,…]
          logs query [filters as usage] [--status 429|4xx|error] [--limit N] [--cursor C] | tail [filters] (follows; Ctrl+C stops)
          rotation                                 every pool: strategy, each key's state, failures, cooldown, last use
          audit [--tenant T] [--actor A] [--action A] [--target T] [--from ISO] [--to ISO] [--limit N]
          reload                                   reload the config file
          config check FILE                        validate a config file (no gateway needed)
          config export                            the running gateway's effective config as YAML, secrets masked
          import FILE [--out F] [--inline-secrets]  convert claude-code-router / provider-balancer / app.yml configs (no gateway needed)
          claude | codex | gemini [--url U] [--key K] [args…]   start that agent CLI pointed at the gateway

        The admin key comes from --admin-key or SWITCHYARD_ADMIN_KEY. Exit codes: 0 done, 1 refused, 2 bad usage, 3 unreachable.
        """;

    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, Func<string, string?>? env = null, CancellationToken ct = default)
    {
        env ??= Environment.GetEnvironmentVariable;
        var cli = new CliArgs(args);
        var json = cli.Has("--json");
        var url = cli.Get("--url") ?? ServeCommand.DefaultUrls;
        var positional = cli.Positional.ToArray();
        if (cli.Has("--help") || cli.Has("-h") || cli.Missing.Count > 0)
        {
            return UsageError(console, cli.Missing.Count > 0 ? $"{cli.Missing[0]} needs a value" : null);
        }
        if (positional is ["config", "check", var file])
        {
            return CheckConfig(file, console, json);
        }
        using var admin = AdminClient.Create(url, cli.Get("--admin-key") ?? env("SWITCHYARD_ADMIN_KEY"), console, json);
        try
        {
            return positional switch
            {
                ["status"] => await admin.ShowAsync("/providers", AdminJson.Default.ProvidersView, Status),
                ["keys"] => await admin.ShowAsync("/providers", AdminJson.Default.ProvidersView, Keys),
                ["routes"] => await admin.ShowAsync("/admin/routes", AdminJson.Default.RoutesView, Routes),
                ["routes", "resolve", var model] => await admin.ShowAsync("/admin/v1/routes/resolve?model=" + Uri.EscapeDataString(model)
                    + ObservationCommands.Query(cli, ["thinking", "input_tokens", "tools", "client"]).Replace('?', '&'), AdminJson.Default.ResolvedRouteView, Resolved),
                ["reload"] => await ReloadAsync(admin),
                ["config", "export"] => await ExportAsync(admin, url),
                ["providers" or "keys" or "models" or "tenants" or "vkeys", ..] => await ResourceCommands.RunAsync(admin, cli, positional) ?? UsageError(console, null),
                ["stats" or "usage" or "logs" or "rotation" or "audit", ..] => await ObservationCommands.RunAsync(admin, cli, positional, ct) ?? UsageError(console, null),
                _ => UsageError(console, null),
            };
        }
        catch (HttpRequestException ex)
        {
            console.MarkupLineInterpolated($"[red]cannot reach the gateway at {url}:[/] {ex.Message}");
            return Unreachable;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            console.MarkupLineInterpolated($"[red]the gateway at {url} did not answer in time[/]");
            return Unreachable;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Ok; // Ctrl+C on a command that follows
        }
    }

    /// <summary>A token cancelled by Ctrl+C (which then ends a following command cleanly instead of killing the process).</summary>
    public static CancellationToken StopOnCtrlC()
    {
        var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        return cts.Token;
    }

    internal static int UsageError(IAnsiConsole console, string? problem)
    {
        if (problem is not null)
        {
            console.MarkupLineInterpolated($"[red]{problem}[/]");
        }
        console.Profile.Out.Writer.Write(Help);
        return Usage;
    }

    /// <summary>The effective config (file and store together) as YAML: for reading and diffing — secrets are masked, so it does not load as is.</summary>
    private static async Task<int> ExportAsync(AdminClient admin, string url)
    {
        var (status, text) = await admin.SendAsync(HttpMethod.Get, "/admin/v1/config", null);
        if (!AdminClient.IsSuccess(status))
        {
            return admin.Failed(status, text);
        }
        admin.Write(admin.Json ? text : Config.Import.YamlJson.Write(JsonNode.Parse(text)!,
            $"The effective config of {url} at {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z (switchyard config export).\nSecrets are masked: this is for reading and diffing, not to load as is."));
        return Ok;
    }

    private static async Task<int> ReloadAsync(AdminClient admin)
    {
        var (status, text) = await admin.SendAsync(HttpMethod.Post, "/providers/reload", null);
        if (admin.Json)
        {
            admin.Write(text);
            return AdminClient.IsSuccess(status) ? Ok : Refused;
        }
        if (!AdminClient.IsSuccess(status))
        {
            return admin.Failed(status, text);
        }
        admin.Console.MarkupLineInterpolated($"[green]reloaded[/]: {JsonSerializer.Deserialize(text, AdminJson.Default.ReloadView)?.Summary}");
        return Ok;
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

    private static void Status(ProvidersView body, IAnsiConsole console)
    {
        var table = new Table().AddColumns("provider", "type", "state", "cooldown s", "failures in a row", "in flight", "EWMA TTFB ms", "keys usable");
        foreach (var p in body.Providers)
        {
            var h = p.Health;
            var usable = p.Keys.Count(k => k.Enabled && k.CooldownUntil is null);
            table.AddRow(Cell(p.Name), Cell(p.Type), Cell(h.State), Cell(h.CooldownRemainingSeconds), Cell(h.ConsecutiveFailures),
                Cell(h.InFlight), Cell(h.EwmaTtfbMs), p.Keys.Count == 0 ? "-" : $"{usable}/{p.Keys.Count}");
        }
        console.Write(table);
    }

    internal static void Keys(ProvidersView body, IAnsiConsole console)
    {
        var table = new Table().AddColumns("provider", "#", "id", "key", "enabled", "cooldown until", "fails in a row", "requests", "ok", "failed", "last failure", "status codes");
        foreach (var p in body.Providers)
        {
            foreach (var k in p.Keys)
            {
                var codes = string.Join(" ", k.StatusCodes.Select(c => $"{c.Key}:{c.Value}"));
                table.AddRow(Cell(p.Name), Cell(k.Index), Cell(k.Id), Cell(k.Key), k.Enabled ? "yes" : "no (" + Cell(k.DisabledReason) + ")",
                    Cell(k.CooldownUntil), Cell(k.ConsecutiveFailures), Cell(k.Requests), Cell(k.Successes), Cell(k.Failures),
                    k.LastFailureStatus is null ? "-" : $"{Cell(k.LastFailureStatus)} at {Cell(k.LastFailureAt)}", Markup.Escape(codes));
            }
        }
        console.Write(table);
    }

    internal static void Routes(RoutesView body, IAnsiConsole console)
    {
        var table = new Table().AddColumns("model", "also matches", "strategy", "mode", "targets");
        foreach (var r in body.Routes)
        {
            var also = r.Aliases.Concat(r.Keywords.Select(k => $"*{k}*")).Concat(r.Default ? ["(default)"] : []);
            var targets = r.Targets.Select(t => t.Provider + (t.Model is { } m ? " → " + m : ""));
            table.AddRow(Cell(r.Model), Markup.Escape(string.Join(", ", also)), Cell(r.Strategy), Cell(r.Mode), Markup.Escape(string.Join(", ", targets)));
        }
        console.Write(table);
    }

    private static void Resolved(ResolvedRouteView body, IAnsiConsole console)
    {
        console.MarkupLineInterpolated($"{body.Model} → route {body.Route} ({body.MatchedBy}, {body.Strategy})");
        if (body.Rules is { Count: > 0 } rules)
        {
            var checks = new Table().AddColumns("rule", "when", "holds", "takes it");
            foreach (var r in rules)
            {
                checks.AddRow(Cell(r.Index), Cell(r.When), r.Holds ? "yes" : "no", r.Selected ? "[green]yes[/]" : "");
            }
            console.Write(checks);
        }
        var table = new Table().AddColumns("provider", "upstream model");
        foreach (var t in body.Targets)
        {
            table.AddRow(Cell(t.Provider), Cell(t.UpstreamModel));
        }
        console.Write(table);
    }
}
