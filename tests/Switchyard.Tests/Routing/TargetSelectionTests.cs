using Switchyard.Config;
using Switchyard.Keys;
using Switchyard.Routing;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Routing;

/// <summary>Every target strategy and the provider health state machine, on an injected clock.</summary>
public sealed class TargetSelectionTests
{
    private static readonly ProviderConfig Provider = new() { Name = "p", Kind = ProviderKind.OpenAI, BaseUrl = new Uri("http://127.0.0.1/"), MaxFailures = 2, FailureCooldown = TimeSpan.FromSeconds(60) };

    private static List<TargetCandidate> Targets(params (int Weight, int Priority)[] specs) =>
        [.. specs.Select((s, i) => new TargetCandidate(new RouteTarget($"p{i}", null) { Weight = s.Weight, Priority = s.Priority }, i, new ProviderState()))];

    private static int[] Counts(ITargetSelectionStrategy strategy, List<TargetCandidate> targets, int picks)
    {
        var cursor = new SelectionCursor();
        var counts = new int[targets.Count];
        for (var i = 0; i < picks; i++)
        {
            counts[strategy.Pick(targets, cursor)]++;
        }
        return counts;
    }

    [Fact]
    public void Failover_takes_the_lowest_priority_then_the_first_listed()
    {
        Assert.Equal([0, 100, 0], Counts(new FailoverTargets(), Targets((1, 5), (1, 1), (1, 1)), 100));
        Assert.Equal([100, 0], Counts(new FailoverTargets(), Targets((1, 0), (1, 0)), 100));
    }

    [Fact]
    public void Round_robin_weighted_and_random_spread_as_configured()
    {
        Assert.Equal([50, 50], Counts(new RoundRobinTargets(), Targets((1, 0), (9, 0)), 100));
        Assert.Equal([10, 90], Counts(new WeightedTargets(), Targets((1, 0), (9, 0)), 100));
        Assert.All(Counts(new RandomTargets(new Random(7)), Targets((1, 0), (1, 0), (1, 0)), 3000), c => Assert.InRange(c, 850, 1150));
    }

    [Fact]
    public void Least_latency_follows_the_EWMA_and_measures_unknown_targets_first()
    {
        var targets = Targets((1, 0), (1, 0), (1, 0));
        var now = DateTimeOffset.UnixEpoch;
        foreach (var (t, ms) in new[] { (0, 300.0), (1, 100.0) })
        {
            targets[t].Health.TryBegin();
            targets[t].Health.End(Provider, false, TimeSpan.FromMilliseconds(ms), null, now);
        }
        Assert.Equal(2, new LeastLatencyTargets().Pick(targets, new SelectionCursor())); // never measured
        targets[2].Health.TryBegin();
        targets[2].Health.End(Provider, false, TimeSpan.FromMilliseconds(500), null, now);
        Assert.Equal(1, new LeastLatencyTargets().Pick(targets, new SelectionCursor()));
        for (var i = 0; i < 10; i++)
        {
            targets[1].Health.TryBegin();
            targets[1].Health.End(Provider, false, TimeSpan.FromMilliseconds(900), null, now);
        }
        Assert.Equal(0, new LeastLatencyTargets().Pick(targets, new SelectionCursor()));
    }

    [Fact]
    public void Least_busy_takes_the_fewest_in_flight()
    {
        var targets = Targets((1, 0), (1, 0));
        targets[0].Health.TryBegin();
        Assert.Equal(1, new LeastBusyTargets().Pick(targets, new SelectionCursor()));
        targets[1].Health.TryBegin();
        targets[1].Health.TryBegin();
        Assert.Equal(0, new LeastBusyTargets().Pick(targets, new SelectionCursor()));
    }

    [Fact]
    public void A_failing_provider_cools_down_and_comes_back_half_open()
    {
        var clock = new ManualTimeProvider();
        var state = new ProviderState();
        for (var i = 0; i < 2; i++)
        {
            Assert.True(state.TryBegin());
            state.End(Provider, healthFailure: true, null, "HTTP 500", clock.GetUtcNow());
        }
        Assert.False(state.IsAvailable(clock.GetUtcNow()));
        Assert.Equal("cooling_down", state.Snapshot(clock.GetUtcNow()).State);
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.True(state.IsAvailable(clock.GetUtcNow()));
        Assert.True(state.TryBegin());                       // the trial
        Assert.False(state.IsAvailable(clock.GetUtcNow()));   // no flood behind it
        state.End(Provider, healthFailure: false, TimeSpan.FromMilliseconds(80), null, clock.GetUtcNow());
        Assert.Equal("healthy", state.Snapshot(clock.GetUtcNow()).State);
        Assert.Equal(80, state.Snapshot(clock.GetUtcNow()).EwmaTtfbMs);
    }
}
