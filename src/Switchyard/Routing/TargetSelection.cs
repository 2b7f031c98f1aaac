using System.Collections.Frozen;
using Switchyard.Config;
using Switchyard.Keys;

namespace Switchyard.Routing;

/// <summary>A route target that may be tried now, with its provider's live state.</summary>
internal readonly record struct TargetCandidate(RouteTarget Target, int Position, ProviderState Health);

/// <summary>One way of choosing the next target of a route among the healthy ones.</summary>
internal interface ITargetSelectionStrategy
{
    string Name { get; }
    int Pick(IReadOnlyList<TargetCandidate> candidates, SelectionCursor cursor);
}

/// <summary>Always the first healthy target: lowest priority value, then configuration order.</summary>
internal sealed class FailoverTargets : ITargetSelectionStrategy
{
    public string Name => "failover";

    public int Pick(IReadOnlyList<TargetCandidate> candidates, SelectionCursor cursor)
    {
        var best = 0;
        for (var i = 1; i < candidates.Count; i++)
        {
            var (a, b) = (candidates[i], candidates[best]);
            if (a.Target.Priority < b.Target.Priority || (a.Target.Priority == b.Target.Priority && a.Position < b.Position))
            {
                best = i;
            }
        }
        return best;
    }
}

internal sealed class RoundRobinTargets : ITargetSelectionStrategy
{
    public string Name => "round_robin";
    public int Pick(IReadOnlyList<TargetCandidate> candidates, SelectionCursor cursor) => cursor.Next() % candidates.Count;
}

internal sealed class WeightedTargets : ITargetSelectionStrategy
{
    public string Name => "weighted";
    public int Pick(IReadOnlyList<TargetCandidate> candidates, SelectionCursor cursor) =>
        cursor.SmoothWeighted([.. candidates.Select(c => ($"{c.Position}", Math.Max(0, c.Target.Weight)))]);
}

internal sealed class RandomTargets(Random random) : ITargetSelectionStrategy
{
    public string Name => "random";
    public int Pick(IReadOnlyList<TargetCandidate> candidates, SelectionCursor cursor) => random.Next(candidates.Count);
}

/// <summary>Lowest EWMA time to first byte; a target never measured (negative EWMA) goes first so it gets measured.</summary>
internal sealed class LeastLatencyTargets : ITargetSelectionStrategy
{
    public string Name => "least_latency";
    public int Pick(IReadOnlyList<TargetCandidate> candidates, SelectionCursor cursor) => Lowest(candidates, c => c.Health.EwmaTtfbMs);

    /// <summary>The first candidate with the lowest score.</summary>
    internal static int Lowest(IReadOnlyList<TargetCandidate> candidates, Func<TargetCandidate, double> score)
    {
        var best = 0;
        var bestScore = score(candidates[0]);
        for (var i = 1; i < candidates.Count; i++)
        {
            var s = score(candidates[i]);
            if (s < bestScore)
            {
                best = i;
                bestScore = s;
            }
        }
        return best;
    }
}

internal sealed class LeastBusyTargets : ITargetSelectionStrategy
{
    public string Name => "least_busy";
    public int Pick(IReadOnlyList<TargetCandidate> candidates, SelectionCursor cursor) => LeastLatencyTargets.Lowest(candidates, c => c.Health.InFlight);
}

internal sealed class TargetSelectionStrategies
{
    public static readonly string[] Names = ["failover", "round_robin", "weighted", "random", "least_latency", "least_busy"];

    private readonly FrozenDictionary<string, ITargetSelectionStrategy> _byName;

    public TargetSelectionStrategies(Random random)
    {
        ITargetSelectionStrategy[] all = [new FailoverTargets(), new RoundRobinTargets(), new WeightedTargets(), new RandomTargets(random), new LeastLatencyTargets(), new LeastBusyTargets()];
        _byName = all.ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
    }

    public ITargetSelectionStrategy Get(string name) => _byName.TryGetValue(name, out var s) ? s : _byName["failover"];
}
