using System.Text;
using Spectre.Console;
using Switchyard.Admin;
using static Switchyard.Cli.AdminClient;

namespace Switchyard.Cli;

/// <summary>
/// The verbs that look at what the gateway did: <c>stats</c>, <c>usage</c>, <c>logs query|tail</c>, <c>rotation</c>
/// and <c>audit</c>, through the admin API. Null when the words are not a command.
/// </summary>
internal static class ObservationCommands
{
    private static readonly string[] UsageFilters = ["tenant", "key", "user", "model", "provider", "from", "to"];
    private static readonly string[] LogFilters = [.. UsageFilters, "status"];
    private static readonly string[] AuditFilters = ["tenant", "actor", "action", "target", "from", "to", "limit", "cursor"];

    public static async Task<int?> RunAsync(AdminClient admin, CliArgs cli, string[] words, CancellationToken ct) => words switch
    {
        ["stats"] or ["stats", "requests"] => await UsageAsync(admin, cli, "day"),
        ["stats", "models"] => await UsageAsync(admin, cli, "model"),
        ["stats", "tenants"] => await UsageAsync(admin, cli, "tenant"),
        ["stats", "keys"] => await admin.ShowAsync("/v1/api-keys/stats", AdminJson.Default.DictionaryStringDictionaryStringKeyStatsSeedView, KeyStats),
        ["usage"] => await UsageAsync(admin, cli, cli.Get("--group-by")),
        ["logs"] or ["logs", "query"] => await admin.ShowAsync("/admin/v1/logs" + Query(cli, [.. LogFilters, "limit", "cursor"]), AdminJson.Default.LogsView, Logs),
        ["logs", "tail"] => await TailAsync(admin, cli, ct),
        ["rotation"] => await RotationAsync(admin),
        ["audit"] => await admin.ShowAsync("/admin/v1/audit" + Query(cli, AuditFilters), AdminJson.Default.AuditView, Audit),
        _ => null,
    };

    /// <summary>The options named in <paramref name="names"/> as a query string (<c>--group-by</c> → <c>group_by</c>).</summary>
    internal static string Query(CliArgs cli, IEnumerable<string> names, string? groupBy = null)
    {
        var sb = new StringBuilder();
        void Add(string name, string value) => sb.Append(sb.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        foreach (var name in names)
        {
            if (cli.Get("--" + name.Replace('_', '-')) is { } value)
            {
                Add(name, value);
            }
        }
        if (groupBy is not null)
        {
            Add("group_by", groupBy);
        }
        return sb.ToString();
    }

    private static Task<int> UsageAsync(AdminClient admin, CliArgs cli, string? groupBy) =>
        admin.ShowAsync("/admin/v1/usage" + Query(cli, UsageFilters, groupBy), AdminJson.Default.UsageView, Usage);

    private static void Usage(UsageView view, IAnsiConsole console)
    {
        var groups = view.GroupBy;
        var table = new Table().AddColumns([.. groups, "requests", "errors", "input tokens", "output tokens", "cached", "reasoning", "cost USD", "avg latency ms"]);
        foreach (var line in view.Data)
        {
            var cells = groups.Select(g => Cell(g switch
            {
                "tenant" => line.Tenant,
                "key" => line.Key,
                "user" => line.User,
                "model" => line.Model,
                "provider" => line.Provider,
                _ => line.Day,
            }));
            table.AddRow([.. cells, Cell(line.Requests), Cell(line.Errors), Cell(line.InputTokens), Cell(line.OutputTokens), Cell(line.CachedTokens),
                Cell(line.ReasoningTokens), Cell(Math.Round(line.CostUsd, 6)), Cell(Math.Round(line.AvgLatencyMs, 1))]);
        }
        console.MarkupLineInterpolated($"{Cell(view.From)} → {Cell(view.To)}");
        console.Write(table);
    }

    private static void KeyStats(Dictionary<string, Dictionary<string, KeyStatsSeedView>> stats, IAnsiConsole console)
    {
        var table = new Table().AddColumns("provider", "key", "requests", "ok", "failed", "success rate", "last used", "status codes");
        foreach (var (provider, keys) in stats)
        {
            foreach (var (key, s) in keys)
            {
                table.AddRow(Cell(provider), Cell(key), Cell(s.TotalRequests), Cell(s.SuccessfulRequests), Cell(s.FailedRequests),
                    Cell($"{s.SuccessRate * 100:0.#}%"), Cell(s.LastUsed), Markup.Escape(string.Join(" ", s.StatusCodes.Select(c => $"{c.Key}:{c.Value}"))));
            }
        }
        console.Write(table);
    }

    private static Table LogTable() =>
        new Table().AddColumns("time", "status", "tenant", "key", "protocol", "model", "provider", "upstream model", "in", "out", "cost USD", "ms", "request id");

    private static void AddLogRow(Table table, LogEntryView e) =>
        table.AddRow(Cell(e.Time), e.Status >= 400 ? $"[red]{e.Status}[/]" : Cell(e.Status), Cell(e.Tenant), Cell(e.TenantKey), Cell(e.Protocol), Cell(e.Model),
            Cell(e.Provider), Cell(e.UpstreamModel), Cell(e.InputTokens), Cell(e.OutputTokens), Cell(e.CostUsd), Cell(Math.Round(e.LatencyMs)), Cell(e.RequestId));

    private static void Logs(LogsView view, IAnsiConsole console)
    {
        var table = LogTable();
        foreach (var e in view.Data)
        {
            AddLogRow(table, e);
        }
        console.Write(table);
        if (view.NextCursor is { } next)
        {
            console.MarkupLineInterpolated($"older: --cursor {next}");
        }
    }

    /// <summary>
    /// The latest rows (<c>--limit</c>, default 20), oldest first, then every new row as it is written, until Ctrl+C.
    /// It polls once a second and pages back until it meets the last row it showed, so a burst loses nothing.
    /// </summary>
    private static async Task<int> TailAsync(AdminClient admin, CliArgs cli, CancellationToken ct)
    {
        var filters = Query(cli, LogFilters);
        var first = int.TryParse(cli.Get("--limit"), out var n) && n is > 0 and <= 1000 ? n : 20;
        var (status, text) = await admin.SendAsync(HttpMethod.Get, "/admin/v1/logs" + Join(filters, $"limit={first}"), null);
        if (!IsSuccess(status))
        {
            return admin.Failed(status, text);
        }
        var rows = Read(text, AdminJson.Default.LogsView)!.Data;
        Print(admin, [.. rows.Reverse()]);
        var last = rows.Count > 0 ? rows[0].Id : 0L;
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            var fresh = new List<LogEntryView>();
            string? cursor = null;
            for (var page = 0; page < 20; page++)
            {
                (status, text) = await admin.SendAsync(HttpMethod.Get, "/admin/v1/logs" + Join(filters, "limit=500" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))), null);
                if (!IsSuccess(status))
                {
                    return admin.Failed(status, text);
                }
                var view = Read(text, AdminJson.Default.LogsView)!;
                fresh.AddRange(view.Data.TakeWhile(r => r.Id > last));
                if (view.Data.Count == 0 || view.Data[^1].Id <= last || view.NextCursor is null)
                {
                    break;
                }
                cursor = view.NextCursor;
            }
            if (fresh.Count > 0)
            {
                last = fresh[0].Id;
                fresh.Reverse();
                Print(admin, fresh);
            }
        }
        return AdminCommands.Ok;
    }

    private static string Join(string query, string more) => query.Length == 0 ? "?" + more : query + "&" + more;

    /// <summary>Rows as they come: one JSON object per line with <c>--json</c>, else one table per batch.</summary>
    private static void Print(AdminClient admin, List<LogEntryView> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        if (admin.Json)
        {
            foreach (var row in rows)
            {
                admin.Write(System.Text.Json.JsonSerializer.Serialize(row, AdminJson.Default.LogEntryView));
            }
            return;
        }
        var table = LogTable();
        foreach (var row in rows)
        {
            AddLogRow(table, row);
        }
        admin.Console.Write(table);
    }

    /// <summary>The seed's <c>rotation</c>: each pool's strategy, and per key its state, failures, cooldown and last use.</summary>
    private static async Task<int> RotationAsync(AdminClient admin)
    {
        var (status, specsText) = await admin.SendAsync(HttpMethod.Get, "/admin/v1/providers", null);
        if (!IsSuccess(status))
        {
            return admin.Failed(status, specsText);
        }
        (status, var statsText) = await admin.SendAsync(HttpMethod.Get, "/providers", null);
        if (!IsSuccess(status))
        {
            return admin.Failed(status, statsText);
        }
        var specs = Read(specsText, AdminJson.Default.ProviderSpecsView)!.Data;
        var stats = Read(statsText, AdminJson.Default.ProvidersView)!.Providers.ToDictionary(p => p.Name, StringComparer.Ordinal);
        if (admin.Json)
        {
            var pools = new System.Text.Json.Nodes.JsonArray();
            foreach (var p in specs.Where(p => p.Keys.Count > 0))
            {
                var keyStats = stats.TryGetValue(p.Name, out var s) ? s.Keys.ToDictionary(k => k.Id) : [];
                pools.Add(new System.Text.Json.Nodes.JsonObject
                {
                    ["provider"] = p.Name,
                    ["strategy"] = p.KeyStrategy,
                    ["max_failures"] = p.MaxFailures,
                    ["failure_cooldown"] = p.FailureCooldown,
                    ["key_affinity"] = p.KeyAffinity,
                    ["keys"] = new System.Text.Json.Nodes.JsonArray([.. p.Keys.Select(k => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
                    {
                        ["id"] = k.Id,
                        ["key"] = k.Key,
                        ["origin"] = k.Origin,
                        ["weight"] = k.Weight,
                        ["state"] = k.State,
                        ["disabled_reason"] = k.DisabledReason,
                        ["cooldown_until"] = k.CooldownUntil?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                        ["failures_in_a_row"] = keyStats.TryGetValue(k.Id, out var ks) ? ks.ConsecutiveFailures : 0,
                        ["requests"] = ks?.Requests ?? 0,
                        ["failures"] = ks?.Failures ?? 0,
                        ["last_used"] = ks?.LastUsed?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    })]),
                });
            }
            admin.Write(pools.ToJsonString());
            return AdminCommands.Ok;
        }
        foreach (var p in specs.Where(p => p.Keys.Count > 0))
        {
            admin.Console.MarkupLineInterpolated($"[bold]{p.Name}[/]: {p.KeyStrategy}, {p.MaxFailures} failures → cooldown {p.FailureCooldown}{(p.KeyAffinity ? ", key affinity" : "")}");
            var keyStats = stats.TryGetValue(p.Name, out var s) ? s.Keys.ToDictionary(k => k.Id) : [];
            var table = new Table().AddColumns("id", "key", "origin", "weight", "state", "fails in a row", "cooldown until", "requests", "failed", "last used");
            foreach (var k in p.Keys)
            {
                keyStats.TryGetValue(k.Id, out var ks);
                var state = k.State switch
                {
                    "available" => "[green]available[/]",
                    "cooling_down" => "[yellow]cooling down[/]",
                    _ => $"[red]disabled[/] {Cell(k.DisabledReason)}",
                };
                table.AddRow(Cell(k.Id), Cell(k.Key), Cell(k.Origin), Cell(k.Weight), state, Cell(ks?.ConsecutiveFailures), Cell(k.CooldownUntil),
                    Cell(ks?.Requests), Cell(ks?.Failures), Cell(ks?.LastUsed));
            }
            admin.Console.Write(table);
        }
        return AdminCommands.Ok;
    }

    private static void Audit(AuditView view, IAnsiConsole console)
    {
        var table = new Table().AddColumns("time", "actor", "action", "target", "tenant");
        foreach (var e in view.Data)
        {
            table.AddRow(Cell(e.Time), Cell(e.Actor), Cell(e.Action), Cell(e.Target), Cell(e.Tenant));
        }
        console.Write(table);
        if (view.NextCursor is { } next)
        {
            console.MarkupLineInterpolated($"older: --cursor {next}");
        }
    }
}
