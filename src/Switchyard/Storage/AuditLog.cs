using Dapper;

namespace Switchyard.Storage;

/// <summary>One change made through the admin API. <c>Before</c> and <c>After</c> are JSON as the API shows the object (masked).</summary>
internal sealed record AuditEntry(long Id, long Ts, string Actor, string Action, string Target, string? Tenant, string? Before, string? After);

/// <summary>What <see cref="AuditLog.QueryAsync"/> filters by; null fields do not filter.</summary>
internal sealed record AuditQuery(string? Tenant, string? Actor, string? Action, string? Target, long? From, long? To, int Limit, long? Before);

/// <summary>
/// The audit log (<c>audit_log</c>): written when a change through the admin API succeeded, read newest first with a
/// keyset cursor (the last id seen). Changes are rare, so each is one insert on the admin request, never the hot path.
/// </summary>
internal sealed partial class AuditLog(Store store, TimeProvider time, ILogger<AuditLog> logger)
{
    public async Task RecordAsync(string actor, string action, string target, string? tenant, string? before, string? after, CancellationToken ct)
    {
        try
        {
            await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO audit_log (ts, actor, action, target, tenant, before, after) VALUES (@ts, @actor, @action, @target, @tenant, @before, @after)",
                new { ts = time.GetUtcNow().ToUnixTimeMilliseconds(), actor, action, target, tenant, before, after }, cancellationToken: ct)).ConfigureAwait(false);
        }
        catch (Exception ex) when (Store.IsUnavailable(ex))
        {
            // The change itself is done (and was stored, or is runtime state): say loudly that its record is missing.
            LogAuditLost(logger, action, target, actor, ex.Message);
        }
    }

    /// <summary>Newest first; <c>Before</c> in the query is the cursor (entries with a smaller id).</summary>
    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery q, CancellationToken ct)
    {
        var where = new List<string>();
        if (q.Tenant is not null)
        {
            where.Add("tenant = @Tenant");
        }
        if (q.Actor is not null)
        {
            where.Add("actor = @Actor");
        }
        if (q.Action is not null)
        {
            where.Add("action = @Action");
        }
        if (q.Target is not null)
        {
            where.Add("(target = @Target OR target LIKE @TargetPrefix)");
        }
        if (q.From is not null)
        {
            where.Add("ts >= @From");
        }
        if (q.To is not null)
        {
            where.Add("ts < @To");
        }
        if (q.Before is not null)
        {
            where.Add("id < @Before");
        }
        var sql = "SELECT id AS Id, ts AS Ts, actor AS Actor, action AS Action, target AS Target, tenant AS Tenant, before AS Before, after AS After FROM audit_log"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY id DESC LIMIT @Limit";
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        var rows = await c.QueryAsync<AuditEntry>(new CommandDefinition(sql,
            new { q.Tenant, q.Actor, q.Action, q.Target, TargetPrefix = q.Target + "/%", q.From, q.To, q.Before, q.Limit }, cancellationToken: ct)).ConfigureAwait(false);
        return [.. rows];
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The audit log could not record {Action} {Target} by {Actor}: {Error}")]
    private static partial void LogAuditLost(ILogger logger, string action, string target, string actor, string error);
}
