using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Switchyard.Storage;

namespace Switchyard.Tenancy;

/// <summary>
/// Virtual keys (<c>sk-sy-…</c>) and the tenants created at runtime, kept in the store and cached in memory: a key is
/// shown once when created and stored as its hash with a visible prefix; lookups hit the store only on a cache miss,
/// and a revocation here is effective on the next request.
/// </summary>
internal sealed class VirtualKeys(TenancyRecords records, Cluster.IClusterNotices notices, TimeProvider time)
{
    public const string Prefix = "sk-sy-";
    private const int RandomChars = 40; // base62: about 238 bits
    private const int VisibleChars = 6;
    private static readonly TimeSpan FoundFor = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MissedFor = TimeSpan.FromSeconds(5);
    private const int MaxCached = 100_000;

    private readonly ConcurrentDictionary<string, (VirtualKeyRecord? Record, UsageLimits Limits, DateTimeOffset FreshUntil)> _byHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TenantConfig> _tenants = new(StringComparer.Ordinal);
    private long _active;

    /// <summary>Whether the store holds a key that could authenticate a caller (then the gateway is never open).</summary>
    public bool AnyActive => Interlocked.Read(ref _active) > 0;

    /// <summary>Every tenant as the admin API lists it: the file's, then the store's the file does not name (the file wins a name), by name.</summary>
    public IEnumerable<TenantConfig> AllTenants(Config.GatewaySnapshot snapshot) => snapshot.Config.Tenants
        .Concat(StoreTenants.Where(t => !snapshot.Tenants.ByName.ContainsKey(t.Name))).OrderBy(t => t.Name, StringComparer.Ordinal);

    public IEnumerable<TenantConfig> StoreTenants => _tenants.Values.OrderBy(t => t.Name, StringComparer.Ordinal);

    public TenantConfig? StoreTenant(string name) => _tenants.GetValueOrDefault(name);

    /// <summary>
    /// The store's tenants and whether it has active keys, every cached lookup forgotten: at start, before the gateway
    /// listens, and when another instance of a cluster changed tenants or keys.
    /// </summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        var stored = await records.ListTenantsAsync(ct).ConfigureAwait(false);
        foreach (var t in stored)
        {
            _tenants[t.Name] = ToConfig(t);
        }
        foreach (var gone in _tenants.Keys.Except(stored.Select(t => t.Name)).ToList())
        {
            _tenants.TryRemove(gone, out _);
        }
        _byHash.Clear();
        Interlocked.Exchange(ref _active, await records.CountActiveKeysAsync(Now, ct).ConfigureAwait(false));
    }

    /// <summary>The key's record and its own limits when it exists, is not revoked and has not expired.</summary>
    /// <exception cref="StoreException">The store cannot be asked and this instance has never seen the key.</exception>
    public async ValueTask<(VirtualKeyRecord Record, UsageLimits Limits)?> FindUsableAsync(string presented, CancellationToken ct)
    {
        var hash = KeyHash.Of(presented);
        var now = time.GetUtcNow();
        var known = _byHash.TryGetValue(hash, out var cached);
        if (!known || cached.FreshUntil <= now)
        {
            VirtualKeyRecord? found;
            try
            {
                found = await records.FindKeyByHashAsync(hash, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (Store.IsUnavailable(ex) && !ct.IsCancellationRequested)
            {
                if (!known)
                {
                    throw new StoreException("The gateway cannot check this key right now: its store is unavailable. Retry shortly.", ex);
                }
                // The store is down: what this instance knew of the key stands (checked again in a few seconds).
                _byHash[hash] = cached with { FreshUntil = now + MissedFor };
                return cached.Record is { } stale && IsUsable(stale, now.ToUnixTimeMilliseconds()) ? (stale, cached.Limits) : null;
            }
            if (_byHash.Count >= MaxCached)
            {
                _byHash.Clear(); // a flood of made-up keys must not grow memory
            }
            cached = (found, found is null ? UsageLimits.None : LimitsDocument.Parse(found.Limits), now + (found is null ? MissedFor : FoundFor));
            _byHash[hash] = cached;
        }
        return cached.Record is { } r && IsUsable(r, now.ToUnixTimeMilliseconds()) ? (r, cached.Limits) : null;
    }

    public static bool IsUsable(VirtualKeyRecord key, long now) => key.RevokedAt is null && (key.ExpiresAt is null || key.ExpiresAt > now);

    /// <summary>A new key for <paramref name="tenant"/>: the key itself is returned here and never again.</summary>
    public async Task<(string Key, VirtualKeyRecord Record)> CreateAsync(string tenant, string? name, DateTimeOffset? expiresAt, UsageLimits limits, CancellationToken ct)
    {
        var (key, record) = NewKey(tenant, name, expiresAt?.ToUnixTimeMilliseconds(), LimitsDocument.Serialize(limits));
        await records.InsertKeyAsync(record, ct).ConfigureAwait(false);
        Interlocked.Increment(ref _active);
        notices.TenancyChanged();
        return (key, record);
    }

    private (string Key, VirtualKeyRecord Record) NewKey(string tenant, string? name, long? expiresAt, string limits)
    {
        var key = Prefix + RandomNumberGenerator.GetString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", RandomChars);
        return (key, new VirtualKeyRecord("vk_" + RandomNumberGenerator.GetHexString(16, lowercase: true), tenant, name, key[..(Prefix.Length + VisibleChars)],
            KeyHash.Of(key), limits, Now, expiresAt, null));
    }

    /// <summary>
    /// A new key with the old one's tenant, name, limits and expiry; the old key keeps working for <paramref name="grace"/>
    /// (zero: it stops at once), so clients can move over. Null when the old key does not exist or no longer works.
    /// </summary>
    public async Task<(string Key, VirtualKeyRecord Record, DateTimeOffset OldExpiresAt)?> RotateAsync(string id, TimeSpan grace, CancellationToken ct)
    {
        if (await records.FindKeyAsync(id, ct).ConfigureAwait(false) is not { } old || !IsUsable(old, Now))
        {
            return null;
        }
        var (key, record) = NewKey(old.Tenant, old.Name, old.ExpiresAt, old.Limits);
        var oldExpiresAt = Math.Min(old.ExpiresAt ?? long.MaxValue, Now + (long)grace.TotalMilliseconds);
        await records.RotateKeyAsync(record, id, oldExpiresAt, ct).ConfigureAwait(false);
        _byHash.TryRemove(old.Hash, out _);
        Interlocked.Increment(ref _active);
        notices.TenancyChanged();
        return (key, record, DateTimeOffset.FromUnixTimeMilliseconds(oldExpiresAt));
    }

    /// <summary>A store tenant's new models and limits, effective on the next request; null when it is not in the store.</summary>
    public async Task<TenantConfig?> UpdateTenantAsync(TenantConfig changed, CancellationToken ct)
    {
        if (!_tenants.TryGetValue(changed.Name, out var current))
        {
            return null;
        }
        var record = Record(changed, 0, Now);
        if (!await records.UpdateTenantAsync(record, ct).ConfigureAwait(false))
        {
            _tenants.TryRemove(changed.Name, out _);
            return null;
        }
        notices.TenancyChanged();
        return _tenants[changed.Name] = current with { Models = changed.Models, Limits = changed.Limits, UserLimits = changed.UserLimits, CaptureBodies = changed.CaptureBodies };
    }

    /// <summary>Deletes a store tenant; its keys are revoked with it (refused from the next request on).</summary>
    public async Task<bool> DeleteTenantAsync(string name, CancellationToken ct)
    {
        if (!_tenants.ContainsKey(name))
        {
            return false;
        }
        var deleted = await records.DeleteTenantAsync(name, Now, ct).ConfigureAwait(false);
        _tenants.TryRemove(name, out _);
        Interlocked.Exchange(ref _active, await records.CountActiveKeysAsync(Now, ct).ConfigureAwait(false));
        notices.TenancyChanged();
        return deleted;
    }

    /// <summary>The revoked key's record, or null when there is no such key; effective on this instance's next request.</summary>
    public async Task<VirtualKeyRecord?> RevokeAsync(string id, CancellationToken ct)
    {
        var revoked = await records.RevokeKeyAsync(id, Now, ct).ConfigureAwait(false);
        var record = await records.FindKeyAsync(id, ct).ConfigureAwait(false);
        if (record is not null)
        {
            _byHash.TryRemove(record.Hash, out _);
        }
        notices.TenancyChanged();
        return revoked || record is not null ? record : null;
    }

    public Task<IReadOnlyList<VirtualKeyRecord>> ListAsync(string tenant, CancellationToken ct) => records.ListKeysAsync(tenant, ct);

    public Task<VirtualKeyRecord?> FindAsync(string id, CancellationToken ct) => records.FindKeyAsync(id, ct);

    /// <summary>A tenant in the store; null when one of that name is already there.</summary>
    public async Task<TenantConfig?> CreateTenantAsync(TenantConfig tenant, CancellationToken ct)
    {
        var now = Now;
        var record = Record(tenant, now, now);
        if (!await records.InsertTenantAsync(record, ct).ConfigureAwait(false))
        {
            return null;
        }
        notices.TenancyChanged();
        return _tenants[tenant.Name] = ToConfig(record);
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static TenantRecord Record(TenantConfig t, long createdAt, long updatedAt) =>
        new(t.Name, JsonSerializer.Serialize(t.Models.ToArray(), TenancyJson.Default.StringArray), LimitsDocument.Serialize(t.Limits),
            LimitsDocument.Serialize(t.UserLimits), t.CaptureBodies ? 1 : 0, createdAt, updatedAt);

    private static TenantConfig ToConfig(TenantRecord t) =>
        new(t.Name, [], [.. JsonSerializer.Deserialize(t.Models, TenancyJson.Default.StringArray) ?? []], "store")
        {
            Limits = LimitsDocument.Parse(t.Limits),
            UserLimits = LimitsDocument.Parse(t.UserLimits),
            CaptureBodies = t.CaptureBodies != 0,
        };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class TenancyJson : System.Text.Json.Serialization.JsonSerializerContext;
