using System.Collections.Concurrent;
using Switchyard.Config;

namespace Switchyard.Keys;

/// <summary>Where key state lives. In memory now; the PostgreSQL store for scale-out implements the same contract.</summary>
internal interface IKeyStateStore
{
    /// <summary>The state of a provider's key; the same object across config reloads while the key exists.</summary>
    KeyState Get(string provider, UpstreamKey key);
}

/// <summary>In this process's memory, keyed by provider and secret (a shared store would key by a hash of the secret).</summary>
internal sealed class InMemoryKeyStateStore : IKeyStateStore
{
    private readonly ConcurrentDictionary<(string Provider, string Secret), KeyState> _states = new();

    public KeyState Get(string provider, UpstreamKey key) => _states.GetOrAdd((provider, key.Secret), static _ => new KeyState());
}
