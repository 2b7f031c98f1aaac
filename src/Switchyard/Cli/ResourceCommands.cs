using System.Text.Json.Nodes;
using Spectre.Console;
using Switchyard.Admin;
using static Switchyard.Cli.AdminClient;

namespace Switchyard.Cli;

/// <summary>
/// The verbs that change what the gateway serves, through the admin API: <c>providers</c>, <c>keys</c>,
/// <c>models</c> (routes, by the seed's names), <c>tenants</c> and <c>vkeys</c> (virtual keys). Null when the words
/// are not a command (the caller prints the usage).
/// </summary>
internal static class ResourceCommands
{
    public static async Task<int?> RunAsync(AdminClient admin, CliArgs cli, string[] words) => words switch
    {
        ["providers"] or ["providers", "list"] => await admin.ShowAsync("/admin/v1/providers", AdminJson.Default.ProviderSpecsView, Providers),
        ["providers", "add", var name] => await AddProviderAsync(admin, cli, name),
        ["providers", "remove" or "delete", var name] => await admin.ChangeAsync(HttpMethod.Delete, "/admin/v1/providers/" + Esc(name), null, $"removed provider {name}"),
        ["providers", "test", var name] => await TestAsync(admin, cli, name),

        ["keys", "list"] => await KeysAsync(admin, cli.Get("--provider")),
        ["keys", "add"] => await AddKeyAsync(admin, cli),
        ["keys", ("enable" or "disable" or "remove" or "delete") and var verb, var id] => await KeyChangeAsync(admin, cli.Get("--provider"), verb, id),

        ["models"] or ["models", "list"] => await admin.ShowAsync("/admin/v1/routes", AdminJson.Default.RouteSpecsView, Models),
        ["models", "create"] => await CreateModelAsync(admin, cli),
        ["models", "delete" or "remove", var model] => await admin.ChangeAsync(HttpMethod.Delete, "/admin/v1/routes/" + Esc(model), null, $"deleted route {model}"),

        ["tenants"] or ["tenants", "list"] => await admin.ShowAsync("/admin/v1/tenants", AdminJson.Default.TenantsView, Tenants),
        ["tenants", "create", var name] => await CreateTenantAsync(admin, cli, name),
        ["tenants", "delete" or "remove", var name] => await admin.ChangeAsync(HttpMethod.Delete, "/admin/v1/tenants/" + Esc(name), null, $"deleted tenant {name} (its virtual keys are revoked)"),

        ["vkeys"] or ["vkeys", "list"] => await VirtualKeysAsync(admin, cli.Get("--tenant")),
        ["vkeys", "create"] when cli.Get("--tenant") is { } tenant => await CreateVirtualKeyAsync(admin, cli, tenant),
        ["vkeys", "revoke", var id] => await admin.ChangeAsync(HttpMethod.Post, $"/admin/v1/keys/{Esc(id)}/revoke", null, $"revoked {id}"),
        ["vkeys", "rotate", var id] => await RotateAsync(admin, cli, id),
        _ => null,
    };

    private static string Esc(string s) => Uri.EscapeDataString(s);

    private static async Task<int> AddProviderAsync(AdminClient admin, CliArgs cli, string name)
    {
        if (cli.Get("--type") is not { } type)
        {
            return AdminCommands.UsageError(admin.Console, "providers add needs --type (openai, anthropic, gemini, openai-responses, azure, …)");
        }
        var body = new JsonObject { ["name"] = name, ["type"] = type };
        Optional(body, "base_url", cli.Get("--base-url"));
        Optional(body, "key_strategy", cli.Get("--key-strategy"));
        Optional(body, "big_model", cli.Get("--big-model"));
        Optional(body, "small_model", cli.Get("--small-model"));
        var keys = cli.All("--key").Concat(cli.All("--api-key")).ToList();
        if (keys.Count > 0)
        {
            body["keys"] = new JsonArray([.. keys.Select(k => (JsonNode)k)]);
        }
        return await admin.ChangeAsync(HttpMethod.Post, "/admin/v1/providers", body, AdminJson.Default.ProviderSpecView,
            (p, console) => console.MarkupLineInterpolated($"[green]created provider {p.Name}[/] ({p.Type}, {p.BaseUrl}, {p.Keys.Count} keys, origin {p.Origin})"));
    }

    private static async Task<int> TestAsync(AdminClient admin, CliArgs cli, string name)
    {
        var body = new JsonObject();
        Optional(body, "key", cli.Get("--key"));
        Optional(body, "model", cli.Get("--model"));
        var (status, text) = await admin.SendAsync(HttpMethod.Post, $"/admin/v1/providers/{Esc(name)}/test", body);
        if (!IsSuccess(status))
        {
            return admin.Failed(status, text);
        }
        var result = Read(text, AdminJson.Default.ProviderTestView)!;
        if (admin.Json)
        {
            admin.Write(text);
        }
        else
        {
            var grid = new Grid().AddColumns(2);
            grid.AddRow("result", result.Ok ? "[green]ok[/]" : "[red]failed[/]");
            grid.AddRow("status", Cell(result.Status));
            grid.AddRow("latency ms", Cell(result.LatencyMs));
            grid.AddRow("model", Cell(result.Model));
            grid.AddRow("key", Cell(result.Key));
            grid.AddRow(result.Ok ? "answer" : "error", Cell(result.Ok ? result.Answer : result.Error));
            foreach (var (header, value) in result.RateLimits)
            {
                grid.AddRow(Markup.Escape(header), Markup.Escape(value));
            }
            admin.Console.Write(grid);
        }
        return result.Ok ? AdminCommands.Ok : AdminCommands.Refused;
    }

    private static async Task<int> KeysAsync(AdminClient admin, string? provider) =>
        await admin.ShowAsync("/providers", AdminJson.Default.ProvidersView, (view, console) =>
            AdminCommands.Keys(provider is null ? view : view with { Providers = [.. view.Providers.Where(p => p.Name == provider)] }, console));

    private static async Task<int> AddKeyAsync(AdminClient admin, CliArgs cli)
    {
        if (cli.Get("--provider") is not { } provider || (cli.Get("--api-key") ?? cli.Get("--key")) is not { } key)
        {
            return AdminCommands.UsageError(admin.Console, "keys add needs --provider NAME and --api-key KEY");
        }
        var body = new JsonObject { ["key"] = key };
        if (cli.Get("--weight") is { } weight)
        {
            body["weight"] = int.TryParse(weight, out var w) ? w : weight; // the gateway names a bad value
        }
        if (cli.Has("--disabled"))
        {
            body["enabled"] = false;
        }
        return await admin.ChangeAsync(HttpMethod.Post, $"/admin/v1/providers/{Esc(provider)}/keys", body, AdminJson.Default.ProviderKeyView,
            (k, console) => console.MarkupLineInterpolated($"[green]added key {k.Key}[/] to {provider} (id {k.Id}, {k.State})"));
    }

    /// <summary>enable, disable or remove a key by its id; without <c>--provider</c> the provider is the one whose pool has that id.</summary>
    private static async Task<int> KeyChangeAsync(AdminClient admin, string? provider, string verb, string id)
    {
        if (provider is null)
        {
            var (status, text) = await admin.SendAsync(HttpMethod.Get, "/admin/v1/providers", null);
            if (!IsSuccess(status))
            {
                return admin.Failed(status, text);
            }
            var owners = Read(text, AdminJson.Default.ProviderSpecsView)!.Data.Where(p => p.Keys.Any(k => k.Id == id)).Select(p => p.Name).ToList();
            if (owners.Count != 1)
            {
                admin.Console.MarkupLineInterpolated($"[red]{(owners.Count == 0 ? $"no provider has a key with id {id}" : $"several providers have a key with id {id}: say which with --provider")}[/] (ids: switchyard keys list)");
                return AdminCommands.Refused;
            }
            provider = owners[0];
        }
        var path = $"/admin/v1/providers/{Esc(provider)}/keys/{Esc(id)}";
        return verb is "remove" or "delete"
            ? await admin.ChangeAsync(HttpMethod.Delete, path, null, $"removed key {id} from {provider}")
            : await admin.ChangeAsync(HttpMethod.Post, $"{path}/{verb}", null, AdminJson.Default.ProviderKeyView,
                (k, console) => console.MarkupLineInterpolated($"[green]{verb}d key {k.Key}[/] of {provider} ({k.State})"));
    }

    private static async Task<int> CreateModelAsync(AdminClient admin, CliArgs cli)
    {
        var model = cli.Get("--route-key") ?? cli.Get("--model");
        var providers = cli.All("--provider");
        if (model is null || providers.Count == 0)
        {
            return AdminCommands.UsageError(admin.Console, "models create needs --route-key NAME and --provider P (with --target-model M)");
        }
        var models = cli.All("--target-model");
        var targets = new JsonArray();
        for (var i = 0; i < providers.Count; i++)
        {
            var target = new JsonObject { ["provider"] = providers[i] };
            Optional(target, "model", i < models.Count ? models[i] : models.Count == 1 ? models[0] : null);
            targets.Add(target);
        }
        var body = new JsonObject { ["model"] = model, ["targets"] = targets };
        if (cli.All("--alias") is { Count: > 0 } aliases)
        {
            body["aliases"] = new JsonArray([.. aliases.Select(a => (JsonNode)a)]);
        }
        Optional(body, "strategy", cli.Get("--strategy"));
        return await admin.ChangeAsync(HttpMethod.Post, "/admin/v1/routes", body, AdminJson.Default.RouteSpecView,
            (r, console) => console.MarkupLineInterpolated($"[green]created route {r.Model}[/] → {string.Join(", ", r.Targets.Select(t => t.Provider + (t.Model is { } m ? "/" + m : "")))}"));
    }

    private static async Task<int> CreateTenantAsync(AdminClient admin, CliArgs cli, string name)
    {
        var body = new JsonObject { ["name"] = name };
        if (cli.Get("--models") is { } models)
        {
            body["models"] = new JsonArray([.. models.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(m => (JsonNode)m)]);
        }
        var limits = new JsonObject();
        foreach (var field in (string[])["requests_per_day", "tokens_per_day", "rpm", "tpm", "concurrent", "budget_usd_per_day", "budget_usd_per_month"])
        {
            if (cli.Get("--" + field.Replace('_', '-')) is { } value)
            {
                limits[field] = decimal.TryParse(value, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var d)
                    ? JsonValue.Create(d) : JsonValue.Create(value); // a word goes as it is: the gateway names the field
            }
        }
        if (limits.Count > 0)
        {
            body["limits"] = limits;
        }
        return await admin.ChangeAsync(HttpMethod.Post, "/admin/v1/tenants", body, AdminJson.Default.TenantView,
            (t, console) => console.MarkupLineInterpolated($"[green]created tenant {t.Name}[/] (models {string.Join(", ", t.Models.DefaultIfEmpty("*"))}; limits {t.Limits.Describe()})"));
    }

    private static async Task<int> VirtualKeysAsync(AdminClient admin, string? tenant)
    {
        List<string> tenants;
        if (tenant is not null)
        {
            tenants = [tenant];
        }
        else
        {
            var (status, text) = await admin.SendAsync(HttpMethod.Get, "/admin/v1/tenants", null);
            if (!IsSuccess(status))
            {
                return admin.Failed(status, text);
            }
            tenants = [.. Read(text, AdminJson.Default.TenantsView)!.Data.Select(t => t.Name)];
        }
        var all = new List<VirtualKeyView>();
        foreach (var name in tenants)
        {
            var (status, text) = await admin.SendAsync(HttpMethod.Get, $"/admin/v1/tenants/{Esc(name)}/keys", null);
            if (!IsSuccess(status))
            {
                return admin.Failed(status, text);
            }
            all.AddRange(Read(text, AdminJson.Default.VirtualKeysView)!.Data);
        }
        if (admin.Json)
        {
            admin.Write(System.Text.Json.JsonSerializer.Serialize(new VirtualKeysView(all), AdminJson.Default.VirtualKeysView));
            return AdminCommands.Ok;
        }
        var table = new Table().AddColumns("tenant", "id", "name", "prefix", "state", "created", "expires", "revoked", "limits");
        foreach (var k in all)
        {
            table.AddRow(Cell(k.Tenant), Cell(k.Id), Cell(k.Name), Cell(k.Prefix), Cell(k.State), Cell(k.CreatedAt), Cell(k.ExpiresAt), Cell(k.RevokedAt), Markup.Escape(k.Limits.Describe()));
        }
        admin.Console.Write(table);
        return AdminCommands.Ok;
    }

    private static async Task<int> CreateVirtualKeyAsync(AdminClient admin, CliArgs cli, string tenant)
    {
        var body = new JsonObject();
        Optional(body, "name", cli.Get("--name"));
        Optional(body, "expires_at", cli.Get("--expires-at"));
        return await admin.ChangeAsync(HttpMethod.Post, $"/admin/v1/tenants/{Esc(tenant)}/keys", body, AdminJson.Default.CreatedKeyView, (k, console) =>
        {
            console.MarkupLineInterpolated($"[green]created virtual key {k.Id}[/] for {k.Tenant} ({k.Prefix}…); it is shown this once:");
            console.Profile.Out.Writer.WriteLine(k.Key);
        });
    }

    private static async Task<int> RotateAsync(AdminClient admin, CliArgs cli, string id)
    {
        var body = new JsonObject();
        if (cli.Get("--grace-seconds") is { } grace)
        {
            body["grace_seconds"] = int.TryParse(grace, out var g) ? g : grace;
        }
        return await admin.ChangeAsync(HttpMethod.Post, $"/admin/v1/keys/{Esc(id)}/rotate", body, AdminJson.Default.RotatedKeyView, (r, console) =>
        {
            console.MarkupLineInterpolated($"[green]rotated {r.Replaces}[/]: the old key works until {Cell(r.ReplacedKeyExpiresAt)}; the new one ({r.Key.Id}) is shown this once:");
            console.Profile.Out.Writer.WriteLine(r.Key.Key);
        });
    }

    private static void Providers(ProviderSpecsView view, IAnsiConsole console)
    {
        var table = new Table().AddColumns("provider", "origin", "type", "base url", "key strategy", "keys available", "health");
        foreach (var p in view.Data)
        {
            table.AddRow(Cell(p.Name), Cell(p.Origin), Cell(p.Type), Cell(p.BaseUrl), Cell(p.KeyStrategy),
                p.Keys.Count == 0 ? "-" : $"{p.Keys.Count(k => k.State == "available")}/{p.Keys.Count}", Cell(p.Health));
        }
        console.Write(table);
        Problems(view.Problems, console);
    }

    private static void Models(RouteSpecsView view, IAnsiConsole console)
    {
        var table = new Table().AddColumns("model", "origin", "also matches", "strategy", "targets");
        foreach (var r in view.Data)
        {
            var also = r.Aliases.Concat(r.Keywords.Select(k => $"*{k}*")).Concat(r.Default ? ["(default)"] : []);
            var targets = r.Targets.Select(t => t.Provider + (t.Model is { } m ? " → " + m : "") + (t.Weight != 1 ? $" (weight {t.Weight})" : ""));
            table.AddRow(Cell(r.Model), Cell(r.Origin), Markup.Escape(string.Join(", ", also)), Cell(r.Strategy), Markup.Escape(string.Join(", ", targets)));
        }
        console.Write(table);
        Problems(view.Problems, console);
    }

    private static void Tenants(TenantsView view, IAnsiConsole console)
    {
        var table = new Table().AddColumns("tenant", "origin", "models", "static keys", "limits", "per-user limits", "captures bodies");
        foreach (var t in view.Data)
        {
            table.AddRow(Cell(t.Name), Cell(t.Origin), Markup.Escape(string.Join(", ", t.Models.DefaultIfEmpty("*"))), Cell(t.StaticKeys),
                Markup.Escape(t.Limits.Describe()), Markup.Escape(t.UserLimits.Describe()), t.CaptureBodies ? "yes" : "no");
        }
        console.Write(table);
    }

    private static void Problems(IReadOnlyList<string> problems, IAnsiConsole console)
    {
        foreach (var problem in problems)
        {
            console.MarkupLineInterpolated($"[yellow]note:[/] {problem}");
        }
    }

    private static void Optional(JsonObject body, string name, string? value)
    {
        if (value is not null)
        {
            body[name] = value;
        }
    }
}
