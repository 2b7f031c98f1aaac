using Dapper;

namespace Switchyard.Storage;

/// <summary>A virtual key as stored: its hash and visible prefix, never the key. Times are Unix milliseconds (UTC).</summary>
internal sealed record VirtualKeyRecord(string Id, string Tenant, string? Name, string Prefix, string Hash, string Limits, long CreatedAt, long? ExpiresAt, long? RevokedAt);

/// <summary>A tenant created at runtime (file tenants live in the config). <c>Models</c> and <c>Limits</c> are JSON.</summary>
internal sealed record TenantRecord(string Name, string Models, string Limits, string UserLimits, long CaptureBodies, long CreatedAt, long UpdatedAt);

/// <summary>The tenant and virtual-key tables, in SQL both dialects run as written.</summary>
internal sealed class TenancyRecords(Store store)
{
    private const string KeyColumns = "id AS Id, tenant AS Tenant, name AS Name, prefix AS Prefix, hash AS Hash, limits AS Limits, "
        + "created_at AS CreatedAt, expires_at AS ExpiresAt, revoked_at AS RevokedAt";

    private const string InsertKey = "INSERT INTO virtual_keys (id, tenant, name, prefix, hash, limits, created_at, expires_at, revoked_at) "
        + "VALUES (@Id, @Tenant, @Name, @Prefix, @Hash, @Limits, @CreatedAt, @ExpiresAt, @RevokedAt)";

    public async Task InsertKeyAsync(VirtualKeyRecord key, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        await c.ExecuteAsync(new CommandDefinition(InsertKey, key, cancellationToken: ct)).ConfigureAwait(false);
    }

    public async Task<VirtualKeyRecord?> FindKeyByHashAsync(string hash, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.QuerySingleOrDefaultAsync<VirtualKeyRecord>(new CommandDefinition(
            $"SELECT {KeyColumns} FROM virtual_keys WHERE hash = @hash", new { hash }, cancellationToken: ct)).ConfigureAwait(false);
    }

    public async Task<VirtualKeyRecord?> FindKeyAsync(string id, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.QuerySingleOrDefaultAsync<VirtualKeyRecord>(new CommandDefinition(
            $"SELECT {KeyColumns} FROM virtual_keys WHERE id = @id", new { id }, cancellationToken: ct)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<VirtualKeyRecord>> ListKeysAsync(string tenant, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        var rows = await c.QueryAsync<VirtualKeyRecord>(new CommandDefinition(
            $"SELECT {KeyColumns} FROM virtual_keys WHERE tenant = @tenant ORDER BY created_at, id", new { tenant }, cancellationToken: ct)).ConfigureAwait(false);
        return [.. rows];
    }

    /// <summary>Active keys (not revoked, not expired at <paramref name="now"/>): whether the gateway has any caller to authenticate.</summary>
    public async Task<long> CountActiveKeysAsync(long now, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM virtual_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)", new { now }, cancellationToken: ct)).ConfigureAwait(false);
    }

    /// <summary>True when the key existed and was not revoked yet.</summary>
    public async Task<bool> RevokeKeyAsync(string id, long at, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE virtual_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL", new { id, at }, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    public async Task<bool> InsertTenantAsync(TenantRecord tenant, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        // Portable "insert unless present": both dialects take ON CONFLICT DO NOTHING.
        return await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO tenants (name, models, limits, user_limits, capture_bodies, created_at, updated_at) VALUES (@Name, @Models, @Limits, @UserLimits, @CaptureBodies, @CreatedAt, @UpdatedAt) ON CONFLICT (name) DO NOTHING",
            tenant, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    public async Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        var rows = await c.QueryAsync<TenantRecord>(new CommandDefinition(
            "SELECT name AS Name, models AS Models, limits AS Limits, user_limits AS UserLimits, capture_bodies AS CaptureBodies, created_at AS CreatedAt, updated_at AS UpdatedAt FROM tenants ORDER BY name",
            cancellationToken: ct)).ConfigureAwait(false);
        return [.. rows];
    }

    /// <summary>A store tenant's models and limits; false when there is no such tenant.</summary>
    public async Task<bool> UpdateTenantAsync(TenantRecord tenant, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE tenants SET models = @Models, limits = @Limits, user_limits = @UserLimits, capture_bodies = @CaptureBodies, updated_at = @UpdatedAt WHERE name = @Name",
            tenant, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    /// <summary>Deletes a store tenant and revokes its keys, in one transaction; false when there is no such tenant.</summary>
    public async Task<bool> DeleteTenantAsync(string name, long at, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var deleted = await c.ExecuteAsync(new CommandDefinition("DELETE FROM tenants WHERE name = @name", new { name }, tx, cancellationToken: ct)).ConfigureAwait(false);
        await c.ExecuteAsync(new CommandDefinition("UPDATE virtual_keys SET revoked_at = @at WHERE tenant = @name AND revoked_at IS NULL",
            new { name, at }, tx, cancellationToken: ct)).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return deleted == 1;
    }

    /// <summary>Inserts the new key and moves the old one's expiry to <paramref name="oldExpiresAt"/> (never later than it was), in one transaction.</summary>
    public async Task RotateKeyAsync(VirtualKeyRecord replacement, string oldId, long oldExpiresAt, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await c.ExecuteAsync(new CommandDefinition(InsertKey, replacement, tx, cancellationToken: ct)).ConfigureAwait(false);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE virtual_keys SET expires_at = @oldExpiresAt WHERE id = @oldId AND (expires_at IS NULL OR expires_at > @oldExpiresAt)",
            new { oldId, oldExpiresAt }, tx, cancellationToken: ct)).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }
}
