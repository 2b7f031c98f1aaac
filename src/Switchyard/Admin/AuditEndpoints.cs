using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchyard.Protocols.Canonical;
using Switchyard.Storage;

namespace Switchyard.Admin;

/// <summary>
/// <c>GET /admin/v1/audit?tenant=&amp;actor=&amp;action=&amp;target=&amp;from=&amp;to=&amp;limit=&amp;cursor=</c>: every change made through the
/// admin API, newest first (a tenant admin: its own tenant's). <see cref="RecordAsync{T}"/> is how endpoints write it.
/// </summary>
internal static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder admin)
    {
        var api = admin.MapGroup("").WithTags("Audit");
        api.MapGet("/admin/v1/audit", QueryAsync).WithMetadata(TenantAdminAllowed.Instance).Produces<AuditView>(200);
        return admin;
    }

    /// <summary>Records a change that succeeded: who made it (this request's admin), what, and the object before and after as the API shows it.</summary>
    public static Task RecordAsync<T>(HttpContext http, string action, string target, string? tenant, T? before, T? after, JsonTypeInfo<T> type) where T : class =>
        http.RequestServices.GetRequiredService<AuditLog>().RecordAsync(AdminScope.Of(http).Actor, action, target, tenant,
            before is null ? null : JsonSerializer.Serialize(before, type), after is null ? null : JsonSerializer.Serialize(after, type), CancellationToken.None);

    private const int DefaultLimit = 100, MaxLimit = 1000;

    private static async Task<Results<JsonHttpResult<AuditView>, AdminError>> QueryAsync(HttpContext http, AuditLog audit, string? tenant, string? actor, string? action,
        string? target, DateTimeOffset? from, DateTimeOffset? to, int? limit, string? cursor)
    {
        var scope = AdminScope.Of(http);
        if (tenant is not null && AdminScope.RefusesTenant(http, tenant) is { } outside)
        {
            return outside;
        }
        if (limit is < 1 or > MaxLimit)
        {
            return new AdminError(GatewayError.Invalid($"'limit' must be from 1 to {MaxLimit}.", "limit"));
        }
        long? before = null;
        if (cursor is not null)
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return new AdminError(GatewayError.Invalid("'cursor' must be a next_cursor this endpoint returned.", "cursor"));
            }
            before = id;
        }
        var take = limit ?? DefaultLimit;
        var rows = await audit.QueryAsync(new AuditQuery(scope.Tenant ?? tenant, actor, action, target, from?.ToUnixTimeMilliseconds(), to?.ToUnixTimeMilliseconds(), take, before),
            http.RequestAborted);
        var data = rows.Select(r => new AuditEntryView(r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.Ts), r.Actor, r.Action, r.Target, r.Tenant,
            r.Before is null ? null : JsonNode.Parse(r.Before), r.After is null ? null : JsonNode.Parse(r.After))).ToList();
        var next = rows.Count == take ? rows[^1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Json(new AuditView(data, next), AdminJson.Default.AuditView);
    }
}
