using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Switchyard.Config;

namespace Switchyard.Keys;

/// <summary>Where key state lives. In memory now; the PostgreSQL store for scale-out implements the same contract.</summary>
internal interface IKeyStateStore
{
    /// <summary>The state of a provider's key; the same object across config reloads while the key exists.</summary>
    KeyState Get(string provider, UpstreamKey key);
}

internal sealed class InMemoryKeyStateStore : IKeyStateStore
{
    private readonly ConcurrentDictionary<string, KeyState> _states = new(StringComparer.Ordinal);

    public KeyState Get(string provider, UpstreamKey key) => _states.GetOrAdd(Id(provider, key.Secret), static _ => new KeyState());

    /// <summary>States are keyed by a hash of the secret, never the secret itself.</summary>
    private static string Id(string provider, string secret) =>
        provider + "/" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), 0, 12);
}
