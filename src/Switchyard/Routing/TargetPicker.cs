using System.Runtime.CompilerServices;
using Switchyard.Config;
using Switchyard.Keys;

namespace Switchyard.Routing;

/// <summary>The next target of a route: the route's strategy among the remaining targets whose provider is healthy now.</summary>
internal sealed class TargetPicker(IProviderHealthStore health, TargetSelectionStrategies strategies)
{
    private readonly ConditionalWeakTable<RouteConfig, SelectionCursor> _cursors = [];

    /// <summary>Null when every remaining target's provider is cooling down.</summary>
    public TargetCandidate? Next(RouteConfig route, IReadOnlyList<(RouteTarget Target, int Position)> remaining, DateTimeOffset now)
    {
        var candidates = new List<TargetCandidate>(remaining.Count);
        foreach (var (target, position) in remaining)
        {
            var state = health.Get(target.Provider);
            if (state.IsAvailable(now))
            {
                candidates.Add(new TargetCandidate(target, position, state));
            }
        }
        if (candidates.Count == 0)
        {
            return null;
        }
        var cursor = _cursors.GetValue(route, static _ => new SelectionCursor());
        return candidates[strategies.Get(route.Strategy).Pick(candidates, cursor)];
    }
}
