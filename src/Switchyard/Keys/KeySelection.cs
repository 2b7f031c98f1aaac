using System.Collections.Frozen;
using Switchyard.Config;

namespace Switchyard.Keys;

/// <summary>A key the pool may pick now, with what the strategies look at.</summary>
internal readonly record struct KeyCandidate(UpstreamKey Key, KeyState State);

/// <summary>One way of choosing the next key among the available ones (YARP's load-balancing policies are the model).</summary>
internal interface IKeySelectionStrategy
{
    string Name { get; }
    /// <summary>The index of the chosen candidate. <paramref name="cursor"/> is this provider's shared strategy state.</summary>
    int Pick(IReadOnlyList<KeyCandidate> candidates, SelectionCursor cursor);
}

/// <summary>Per-provider (or per-route) state a strategy keeps between picks.</summary>
internal sealed class SelectionCursor
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _current = new(StringComparer.Ordinal);
    private int _counter = -1;

    public int Next() => Interlocked.Increment(ref _counter) & int.MaxValue;

    /// <summary>Smooth weighted round robin (nginx): deterministic, and every window of Σweights picks is exact.</summary>
    public int SmoothWeighted(IReadOnlyList<(string Id, int Weight)> items)
    {
        lock (_lock)
        {
            var total = 0L;
            var best = -1;
            var bestValue = long.MinValue;
            for (var i = 0; i < items.Count; i++)
            {
                var (id, weight) = items[i];
                var value = _current.GetValueOrDefault(id) + weight;
                _current[id] = value;
                total += weight;
                if (value > bestValue)
                {
                    bestValue = value;
                    best = i;
                }
            }
            if (best >= 0)
            {
                _current[items[best].Id] -= total;
            }
            return Math.Max(best, 0);
        }
    }
}

internal sealed class RoundRobinKeys : IKeySelectionStrategy
{
    public string Name => "round_robin";
    public int Pick(IReadOnlyList<KeyCandidate> candidates, SelectionCursor cursor) => cursor.Next() % candidates.Count;
}

internal sealed class RandomKeys(Random random) : IKeySelectionStrategy
{
    public string Name => "random";
    public int Pick(IReadOnlyList<KeyCandidate> candidates, SelectionCursor cursor) => random.Next(candidates.Count);
}

internal sealed class WeightedKeys : IKeySelectionStrategy
{
    public string Name => "weighted";

    public int Pick(IReadOnlyList<KeyCandidate> candidates, SelectionCursor cursor)
    {
        if (candidates.All(c => c.Key.Weight <= 0))
        {
            return cursor.Next() % candidates.Count;
        }
        return cursor.SmoothWeighted([.. candidates.Select(c => (c.Key.Secret, Math.Max(0, c.Key.Weight)))]);
    }
}

/// <summary>Fewest requests in flight, then fewest uses so far.</summary>
internal sealed class LeastUsedKeys : IKeySelectionStrategy
{
    public string Name => "least_used";

    public int Pick(IReadOnlyList<KeyCandidate> candidates, SelectionCursor cursor)
    {
        var best = 0;
        for (var i = 1; i < candidates.Count; i++)
        {
            var (a, b) = (candidates[i].State, candidates[best].State);
            if (a.InFlight < b.InFlight || (a.InFlight == b.InFlight && a.Requests < b.Requests))
            {
                best = i;
            }
        }
        return best;
    }
}

internal sealed class KeySelectionStrategies
{
    public static readonly string[] Names = ["round_robin", "random", "weighted", "least_used"];

    private readonly FrozenDictionary<string, IKeySelectionStrategy> _byName;

    public KeySelectionStrategies(Random random)
    {
        IKeySelectionStrategy[] all = [new RoundRobinKeys(), new RandomKeys(random), new WeightedKeys(), new LeastUsedKeys()];
        _byName = all.ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
    }

    public IKeySelectionStrategy Get(string name) => _byName.TryGetValue(name, out var s) ? s : _byName["round_robin"];
}
