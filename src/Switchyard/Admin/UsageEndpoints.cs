using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;
using Switchyard.Storage;
using Switchyard.Tenancy;
using Switchyard.Tenancy.Pricing;

namespace Switchyard.Admin;

/// <summary>
/// Usage and the request log under <c>/admin/v1</c>: <c>GET /admin/v1/usage</c> sums the rollups by any of tenant, key,
/// user, model, provider and day; <c>GET /admin/v1/logs</c> pages the request log, newest first, with a cursor.
/// Filters: <c>tenant</c>, <c>key</c> (a virtual key's id or prefix), <c>user</c>, <c>model</c>, <c>provider</c>,
/// <c>from</c> and <c>to</c> (ISO 8601; UTC when no offset is given; by default the last 30 days).
/// </summary>
internal static class UsageEndpoints
{
    private const int DefaultPage = 50, MaxPage = 1000;
    private static readonly TimeSpan DefaultRange = TimeSpan.FromDays(30);

    public static RouteGroupBuilder MapUsageApi(this RouteGroupBuilder admin)
    {
        var api = admin.MapGroup("").WithTags("Usage and request log");
        api.MapGet("/admin/v1/usage", UsageAsync).WithMetadata(TenantAdminAllowed.Instance).Produces<UsageView>(200);
        api.MapGet("/admin/v1/logs", LogsAsync).WithMetadata(TenantAdminAllowed.Instance).Produces<LogsView>(200);
        return admin;
    }

    private static async Task<Results<JsonHttpResult<UsageView>, AdminError>> UsageAsync(HttpRequest request, UsageQueries queries, VirtualKeys keys,
        ConfigHolder config, TimeProvider time, CancellationToken ct)
    {
        var (filter, problem) = await FilterAsync(request, keys, time, ct);
        if (problem is not null)
        {
            return problem;
        }
        var groupBy = new List<UsageDimension>();
        foreach (var name in request.Query["group_by"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<UsageDimension>(name, ignoreCase: true, out var d) || !name.All(char.IsAsciiLetterLower))
            {
                return Invalid($"'group_by' takes tenant, key, user, model, provider or day (comma-separated), not '{name}'.", "group_by");
            }
            if (!groupBy.Contains(d))
            {
                groupBy.Add(d);
            }
        }
        var lines = await queries.UsageAsync(filter!, groupBy, config.Current.Config.LimitsTimeZone, ct);
        var data = lines.Select(l => new UsageLineView(l.Tenant, l.Key, l.User, l.Model, l.Provider, l.Day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            l.Requests, l.Errors, l.InputTokens, l.OutputTokens, l.CachedTokens, l.CacheWriteTokens, l.ReasoningTokens, PriceCard.FromNanos(l.CostNanos),
            l.Requests == 0 ? 0 : Math.Round(l.LatencyMs / l.Requests, 2))).ToList();
        return TypedResults.Json(new UsageView(data, filter!.From, filter.To, [.. groupBy.Select(d => d.ToString().ToLowerInvariant())]), AdminJson.Default.UsageView);
    }

    private static async Task<Results<JsonHttpResult<LogsView>, AdminError>> LogsAsync(HttpRequest request, UsageQueries queries, VirtualKeys keys,
        TimeProvider time, CancellationToken ct)
    {
        var (filter, problem) = await FilterAsync(request, keys, time, ct);
        if (problem is not null)
        {
            return problem;
        }
        if (request.Query["status"] is [{ Length: > 0 } status])
        {
            if (StatusRange(status) is not { } range)
            {
                return Invalid($"'status' takes a status (429), a class (2xx, 4xx, 5xx) or 'error' (400 and above), not '{status}'.", "status");
            }
            filter = filter! with { Status = range };
        }
        var limit = DefaultPage;
        if (request.Query["limit"] is [{ Length: > 0 } l] && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPage))
        {
            return Invalid($"'limit' must be a whole number from 1 to {MaxPage}.", "limit");
        }
        (long, long)? before = null;
        if (request.Query["cursor"] is [{ Length: > 0 } cursor])
        {
            if (ParseCursor(cursor) is not { } c)
            {
                return Invalid("'cursor' is not one this API gave (use next_cursor of the previous page as it is).", "cursor");
            }
            before = c;
        }
        var rows = await queries.LogsAsync(filter!, limit + 1, before, ct);
        var page = rows.Take(limit).Select(r => new LogEntryView(r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.Ts), r.RequestId, r.Tenant, r.TenantKey, r.EndUser,
            r.Protocol, r.Model, r.Route, r.Provider, r.UpstreamModel, r.UpstreamKey, r.Status, r.Attempts, r.LatencyMs, r.TtfbMs, r.InputTokens, r.OutputTokens,
            r.CachedTokens, r.CacheWriteTokens, r.ReasoningTokens, r.CostNanos is { } n ? PriceCard.FromNanos(n) : null, r.PriceVersion,
            JsonSerializer.Deserialize(r.Trail, AdminJson.Default.ListString) ?? [], r.Error, r.Body)).ToList();
        var next = rows.Count > limit ? $"{rows[limit - 1].Ts}.{rows[limit - 1].Id}" : null;
        return TypedResults.Json(new LogsView(page, next), AdminJson.Default.LogsView);
    }

    /// <summary>The filter the query string asks for, or the 400 that names the parameter it cannot read.</summary>
    private static async Task<(RequestFilter? Filter, AdminError? Problem)> FilterAsync(HttpRequest request, VirtualKeys keys, TimeProvider time, CancellationToken ct)
    {
        var q = request.Query;
        string? Text(string name) => q[name] is [{ Length: > 0 } v] ? v : null;
        var to = time.GetUtcNow();
        if (Text("to") is { } toText && !TryTime(toText, out to))
        {
            return (null, Invalid($"'to' is not an ISO 8601 time: '{toText}'.", "to"));
        }
        var from = to - DefaultRange;
        if (Text("from") is { } fromText && !TryTime(fromText, out from))
        {
            return (null, Invalid($"'from' is not an ISO 8601 time: '{fromText}'.", "from"));
        }
        if (from >= to)
        {
            return (null, Invalid("'from' must be before 'to'.", "from"));
        }
        var tenant = Text("tenant");
        var scope = AdminScope.Of(request.HttpContext);
        if (!scope.IsFull)
        {
            if (tenant is not null && !scope.Covers(tenant))
            {
                return (null, scope.Outside($"the tenant '{tenant}'"));
            }
            tenant = scope.Tenant; // a tenant admin's queries are confined to its tenant
        }
        var key = Text("key");
        if (key is not null && key.StartsWith("vk_", StringComparison.Ordinal))
        {
            // A virtual key's id stands for its prefix, which is what rows record.
            key = (await keys.FindAsync(key, ct))?.Prefix ?? key;
        }
        return (new RequestFilter(from, to) { Tenant = tenant, Key = key, User = Text("user"), Model = Text("model"), Provider = Text("provider") }, null);
    }

    private static bool TryTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);

    internal static (int, int)? StatusRange(string status) => status switch
    {
        "error" => (400, 599),
        [var c and >= '1' and <= '5', 'x' or 'X', 'x' or 'X'] => ((c - '0') * 100, (c - '0') * 100 + 99),
        _ when int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599 => (code, code),
        _ => null,
    };

    private static (long, long)? ParseCursor(string cursor) =>
        cursor.Split('.') is [var ts, var id] && long.TryParse(ts, NumberStyles.None, CultureInfo.InvariantCulture, out var t)
            && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? (t, i) : null;

    private static AdminError Invalid(string message, string param) => new(GatewayError.Invalid(message, param));
}
