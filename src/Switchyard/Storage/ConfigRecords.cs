using System.Data.Common;
using Dapper;

namespace Switchyard.Storage;

/// <summary>A provider created through the admin API: its spec (JSON, YAML's shape without keys and headers) and sealed headers.</summary>
internal sealed record ProviderRecord(string Name, string Spec, string? Headers, long Version, long CreatedAt, long UpdatedAt);

/// <summary>An upstream key added through the admin API; <c>Secret</c> is sealed.</summary>
internal sealed record ProviderKeyRecord(string Provider, string Id, string Secret, string Masked, long Weight, long MaxFailures, long CooldownMs,
    long Enabled, long CreatedAt, long UpdatedAt);

/// <summary>A route created through the admin API: its spec (JSON, YAML's shape).</summary>
internal sealed record RouteRecord(string Model, string Spec, long Version, long CreatedAt, long UpdatedAt);

/// <summary>Everything the overlay holds, read in one transaction so it is consistent.</summary>
internal sealed record OverlayRecords(IReadOnlyList<ProviderRecord> Providers, IReadOnlyList<ProviderKeyRecord> Keys, IReadOnlyList<RouteRecord> Routes);

/// <summary>
/// The config overlay's tables (<c>config_providers</c>, <c>provider_keys</c>, <c>config_routes</c>) in SQL both dialects run
/// as written. Updates carry the version they expect, so two concurrent edits of one object cannot both win.
/// </summary>
internal sealed class ConfigRecords(Store store)
{
    private const string ProviderColumns = "name AS Name, spec AS Spec, headers AS Headers, version AS Version, created_at AS CreatedAt, updated_at AS UpdatedAt";
    private const string KeyColumns = "provider AS Provider, id AS Id, secret AS Secret, masked AS Masked, weight AS Weight, max_failures AS MaxFailures, "
        + "cooldown_ms AS CooldownMs, enabled AS Enabled, created_at AS CreatedAt, updated_at AS UpdatedAt";
    private const string RouteColumns = "model AS Model, spec AS Spec, version AS Version, created_at AS CreatedAt, updated_at AS UpdatedAt";

    public async Task<OverlayRecords> LoadAsync(CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var providers = await c.QueryAsync<ProviderRecord>(new CommandDefinition($"SELECT {ProviderColumns} FROM config_providers ORDER BY created_at, name", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
        var keys = await c.QueryAsync<ProviderKeyRecord>(new CommandDefinition($"SELECT {KeyColumns} FROM provider_keys ORDER BY created_at, provider, id", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
        var routes = await c.QueryAsync<RouteRecord>(new CommandDefinition($"SELECT {RouteColumns} FROM config_routes ORDER BY created_at, model", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return new OverlayRecords([.. providers], [.. keys], [.. routes]);
    }

    /// <summary>A new provider and its first keys, in one transaction; false when the name is taken.</summary>
    public async Task<bool> InsertProviderAsync(ProviderRecord provider, IReadOnlyList<ProviderKeyRecord> keys, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var inserted = await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO config_providers (name, spec, headers, version, created_at, updated_at) VALUES (@Name, @Spec, @Headers, @Version, @CreatedAt, @UpdatedAt) ON CONFLICT (name) DO NOTHING",
            provider, tx, cancellationToken: ct)).ConfigureAwait(false);
        if (inserted != 1)
        {
            return false;
        }
        await InsertKeysAsync(c, tx, keys, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Replaces a provider's spec when it is still at <paramref name="expectedVersion"/>; false otherwise.</summary>
    public async Task<bool> UpdateProviderAsync(ProviderRecord provider, long expectedVersion, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE config_providers SET spec = @Spec, headers = @Headers, version = @Version, updated_at = @UpdatedAt WHERE name = @Name AND version = @expectedVersion",
            new { provider.Name, provider.Spec, provider.Headers, provider.Version, provider.UpdatedAt, expectedVersion }, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    /// <summary>Deletes a provider at <paramref name="expectedVersion"/> and its keys, in one transaction.</summary>
    public async Task<bool> DeleteProviderAsync(string name, long expectedVersion, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var deleted = await c.ExecuteAsync(new CommandDefinition("DELETE FROM config_providers WHERE name = @name AND version = @expectedVersion",
            new { name, expectedVersion }, tx, cancellationToken: ct)).ConfigureAwait(false);
        if (deleted != 1)
        {
            return false;
        }
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM provider_keys WHERE provider = @name", new { name }, tx, cancellationToken: ct)).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>False when the provider has this key already.</summary>
    public async Task<bool> InsertKeyAsync(ProviderKeyRecord key, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.ExecuteAsync(new CommandDefinition(InsertKeySql, key, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    public async Task<bool> SetKeyEnabledAsync(string provider, string id, bool enabled, long at, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.ExecuteAsync(new CommandDefinition("UPDATE provider_keys SET enabled = @on, updated_at = @at WHERE provider = @provider AND id = @id",
            new { provider, id, on = enabled ? 1L : 0L, at }, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    public async Task<bool> DeleteKeyAsync(string provider, string id, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.ExecuteAsync(new CommandDefinition("DELETE FROM provider_keys WHERE provider = @provider AND id = @id",
            new { provider, id }, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    public async Task<bool> InsertRouteAsync(RouteRecord route, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO config_routes (model, spec, version, created_at, updated_at) VALUES (@Model, @Spec, @Version, @CreatedAt, @UpdatedAt) ON CONFLICT (model) DO NOTHING",
            route, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    public async Task<bool> UpdateRouteAsync(RouteRecord route, long expectedVersion, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE config_routes SET spec = @Spec, version = @Version, updated_at = @UpdatedAt WHERE model = @Model AND version = @expectedVersion",
            new { route.Model, route.Spec, route.Version, route.UpdatedAt, expectedVersion }, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    public async Task<bool> DeleteRouteAsync(string model, long expectedVersion, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await c.ExecuteAsync(new CommandDefinition("DELETE FROM config_routes WHERE model = @model AND version = @expectedVersion",
            new { model, expectedVersion }, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Re-seals every stored credential with <paramref name="reseal"/> (old key → new key) in one transaction: either all
    /// of them move to the new key or none does. Returns how many values were re-sealed.
    /// </summary>
    public async Task<int> ResealAllAsync(Func<string, string, string> reseal, CancellationToken ct)
    {
        await using var c = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var count = 0;
        foreach (var key in await c.QueryAsync<ProviderKeyRecord>(new CommandDefinition($"SELECT {KeyColumns} FROM provider_keys", transaction: tx, cancellationToken: ct)).ConfigureAwait(false))
        {
            var secret = reseal(key.Secret, KeyContext(key.Provider, key.Id));
            count += await c.ExecuteAsync(new CommandDefinition("UPDATE provider_keys SET secret = @secret WHERE provider = @Provider AND id = @Id",
                new { secret, key.Provider, key.Id }, tx, cancellationToken: ct)).ConfigureAwait(false);
        }
        foreach (var provider in await c.QueryAsync<ProviderRecord>(new CommandDefinition($"SELECT {ProviderColumns} FROM config_providers WHERE headers IS NOT NULL", transaction: tx, cancellationToken: ct)).ConfigureAwait(false))
        {
            var headers = reseal(provider.Headers!, HeadersContext(provider.Name));
            count += await c.ExecuteAsync(new CommandDefinition("UPDATE config_providers SET headers = @headers WHERE name = @Name",
                new { headers, provider.Name }, tx, cancellationToken: ct)).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return count;
    }

    /// <summary>What a key's sealed secret is bound to (associated data): its provider and id.</summary>
    public static string KeyContext(string provider, string id) => $"provider_keys/{provider}/{id}";

    /// <summary>What a provider's sealed headers are bound to.</summary>
    public static string HeadersContext(string provider) => $"config_providers/{provider}/headers";

    private const string InsertKeySql = "INSERT INTO provider_keys (provider, id, secret, masked, weight, max_failures, cooldown_ms, enabled, created_at, updated_at) "
        + "VALUES (@Provider, @Id, @Secret, @Masked, @Weight, @MaxFailures, @CooldownMs, @Enabled, @CreatedAt, @UpdatedAt) ON CONFLICT (provider, id) DO NOTHING";

    private static async Task InsertKeysAsync(DbConnection c, DbTransaction tx, IReadOnlyList<ProviderKeyRecord> keys, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            await c.ExecuteAsync(new CommandDefinition(InsertKeySql, key, tx, cancellationToken: ct)).ConfigureAwait(false);
        }
    }
}
