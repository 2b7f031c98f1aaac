using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Switchyard.Tenancy;

/// <summary>The file's tenants of one config snapshot, found by name or by one of their static keys (by hash).</summary>
internal sealed class TenantDirectory
{
    private readonly FrozenDictionary<string, Caller> _byKeyHash;

    public TenantDirectory(ImmutableArray<TenantConfig> tenants)
    {
        ByName = tenants.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);
        // The caller a static key stands for is made once per snapshot, not once per request.
        _byKeyHash = tenants.SelectMany(t => t.Keys.Select(k => (Hash: KeyHash.Of(k), Caller: new Caller(t, Config.UpstreamKey.Mask(k), null))))
            .ToFrozenDictionary(x => x.Hash, x => x.Caller, StringComparer.Ordinal);
    }

    public FrozenDictionary<string, TenantConfig> ByName { get; }

    /// <summary>Whether the file gives any tenant a key (then the gateway is never open).</summary>
    public bool HasStaticKeys => _byKeyHash.Count > 0;

    /// <summary>The caller a static key authenticates, or null (without hashing the key when the file gives none).</summary>
    public Caller? ByKey(string presented) => _byKeyHash.Count == 0 ? null : _byKeyHash.GetValueOrDefault(KeyHash.Of(presented));
}

/// <summary>
/// Keys are looked up by their SHA-256: the store holds only the hash, and a lookup by hash compares no secret bytes
/// (no timing to learn). Keys are long random strings, so a fast hash is the right one here (no password stretching).
/// </summary>
internal static class KeyHash
{
    public static string Of(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        var buffer = max <= 512 ? stackalloc byte[512] : new byte[max];
        SHA256.HashData(buffer[..Encoding.UTF8.GetBytes(key, buffer)], hash);
        return Convert.ToHexStringLower(hash);
    }
}
