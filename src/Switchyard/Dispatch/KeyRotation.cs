using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Switchyard.Config;

namespace Switchyard.Dispatch;

/// <summary>
/// Which key of a provider's pool to try, in what order: round robin over enabled keys that are not cooling down
/// (a 429 cools a key for its retry-after). The full pool strategies arrive with the dispatch-layer work.
/// </summary>
internal sealed class KeyRotation(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _counters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Provider, string Secret), DateTimeOffset> _cooldownUntil = new();

    public List<UpstreamKey> Order(ProviderConfig provider)
    {
        var now = time.GetUtcNow();
        var usable = provider.Keys.Where(k => k.Enabled && !(_cooldownUntil.TryGetValue((provider.Name, k.Secret), out var until) && until > now)).ToList();
        if (usable.Count <= 1)
        {
            return usable;
        }
        var counter = _counters.GetOrAdd(provider.Name, _ => new StrongBox<int>(-1));
        var start = (int)((uint)Interlocked.Increment(ref counter.Value) % (uint)usable.Count);
        return [.. usable.Skip(start), .. usable.Take(start)];
    }

    public void CoolDown(ProviderConfig provider, UpstreamKey key, TimeSpan duration) =>
        _cooldownUntil[(provider.Name, key.Secret)] = time.GetUtcNow() + duration;
}
