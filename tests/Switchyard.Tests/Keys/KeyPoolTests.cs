using Switchyard.Config;
using Switchyard.Keys;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Keys;

/// <summary>Every key strategy and the key state machine, on an injected clock.</summary>
public sealed class KeyPoolTests
{
    private static UpstreamKey Key(string secret, int weight = 1, int maxFailures = 3, int cooldownSeconds = 60) =>
        new(secret, weight, maxFailures, TimeSpan.FromSeconds(cooldownSeconds), true);

    private static List<KeyCandidate> Candidates(params UpstreamKey[] keys) => [.. keys.Select(k => new KeyCandidate(k, new KeyState()))];

    private static Dictionary<string, int> Distribution(IKeySelectionStrategy strategy, List<KeyCandidate> candidates, int picks)
    {
        var cursor = new SelectionCursor();
        var counts = candidates.ToDictionary(c => c.Key.Secret, _ => 0);
        for (var i = 0; i < picks; i++)
        {
            counts[candidates[strategy.Pick(candidates, cursor)].Key.Secret]++;
        }
        return counts;
    }

    [Fact]
    public void Round_robin_spreads_exactly()
    {
        var counts = Distribution(new RoundRobinKeys(), Candidates(Key("a"), Key("b"), Key("c"), Key("d")), 1000);
        Assert.All(counts.Values, c => Assert.Equal(250, c));
    }

    [Fact]
    public void Weighted_respects_weights_exactly_and_smoothly()
    {
        var candidates = Candidates(Key("a", 1), Key("b", 2), Key("c", 3), Key("d", 4));
        var counts = Distribution(new WeightedKeys(), candidates, 1000);
        Assert.Equal([100, 200, 300, 400], counts.Values);
        // Smooth: the heaviest key is never picked more than twice in a row with these weights.
        var cursor = new SelectionCursor();
        var run = 0;
        var previous = -1;
        for (var i = 0; i < 100; i++)
        {
            var pick = new WeightedKeys().Pick(candidates, cursor);
            run = pick == previous ? run + 1 : 1;
            previous = pick;
            Assert.True(run <= 2);
        }
        Assert.Equal(0, Distribution(new WeightedKeys(), Candidates(Key("a", 0), Key("b", 5)), 100)["a"]);
    }

    [Fact]
    public void Random_covers_every_key_near_evenly()
    {
        var counts = Distribution(new RandomKeys(new Random(42)), Candidates(Key("a"), Key("b"), Key("c"), Key("d")), 4000);
        Assert.All(counts.Values, c => Assert.InRange(c, 850, 1150));
    }

    [Fact]
    public void Least_used_prefers_fewest_in_flight_then_fewest_uses()
    {
        var now = DateTimeOffset.UnixEpoch;
        var candidates = Candidates(Key("a"), Key("b"), Key("c"));
        candidates[0].State.TryBegin(now); // a: 1 in flight
        candidates[1].State.TryBegin(now);
        candidates[1].State.End(candidates[1].Key, KeyOutcome.Success, 200, null, now); // b: 0 in flight, 1 use
        Assert.Equal(2, new LeastUsedKeys().Pick(candidates, new SelectionCursor())); // c: 0 in flight, 0 uses
        candidates[2].State.TryBegin(now);
        Assert.Equal(1, new LeastUsedKeys().Pick(candidates, new SelectionCursor()));
    }

    [Fact]
    public void A_rate_limited_key_rests_for_retry_after_then_admits_one_trial()
    {
        var clock = new ManualTimeProvider();
        var key = Key("a");
        var state = new KeyState();
        Assert.True(state.TryBegin(clock.GetUtcNow()));
        state.End(key, KeyOutcome.RateLimited, 429, TimeSpan.FromSeconds(30), clock.GetUtcNow());
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(state.IsAvailable(key, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(state.IsAvailable(key, clock.GetUtcNow()));
        Assert.True(state.TryBegin(clock.GetUtcNow()));    // the one trial…
        Assert.False(state.IsAvailable(key, clock.GetUtcNow())); // …and nobody else meanwhile
        Assert.False(state.TryBegin(clock.GetUtcNow()));
        state.End(key, KeyOutcome.Success, 200, null, clock.GetUtcNow());
        Assert.True(state.TryBegin(clock.GetUtcNow()));
        Assert.True(state.TryBegin(clock.GetUtcNow()));    // healthy again: no limit on concurrency
    }

    [Fact]
    public void Max_failures_in_a_row_cool_the_key_and_a_failed_trial_cools_it_again()
    {
        var clock = new ManualTimeProvider();
        var key = Key("a", maxFailures: 3, cooldownSeconds: 10);
        var state = new KeyState();
        for (var i = 0; i < 2; i++)
        {
            state.TryBegin(clock.GetUtcNow());
            state.End(key, KeyOutcome.Failed, 500, null, clock.GetUtcNow());
        }
        state.TryBegin(clock.GetUtcNow());
        state.End(key, KeyOutcome.Success, 200, null, clock.GetUtcNow()); // a success resets the count
        for (var i = 0; i < 3; i++)
        {
            Assert.True(state.IsAvailable(key, clock.GetUtcNow()));
            state.TryBegin(clock.GetUtcNow());
            state.End(key, KeyOutcome.Failed, 500, null, clock.GetUtcNow());
        }
        Assert.False(state.IsAvailable(key, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.True(state.TryBegin(clock.GetUtcNow()));
        state.End(key, KeyOutcome.Failed, 500, null, clock.GetUtcNow());
        Assert.False(state.IsAvailable(key, clock.GetUtcNow()));
        var snapshot = state.Snapshot(key, clock.GetUtcNow());
        Assert.Equal(7, snapshot.Requests);
        Assert.Equal(1, snapshot.Successes);
        Assert.Equal(6, snapshot.Failures);
        Assert.Equal(6, snapshot.StatusCounts[500]);
        Assert.True(snapshot.HalfOpen);
    }

    [Fact]
    public void A_rejected_key_stays_disabled_until_enabled()
    {
        var clock = new ManualTimeProvider();
        var key = Key("a");
        var state = new KeyState();
        state.TryBegin(clock.GetUtcNow());
        state.End(key, KeyOutcome.AuthFailed, 401, null, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromDays(1));
        Assert.False(state.IsAvailable(key, clock.GetUtcNow()));
        Assert.Contains("401", state.Snapshot(key, clock.GetUtcNow()).DisabledReason, StringComparison.Ordinal);
        state.Enable();
        Assert.True(state.IsAvailable(key, clock.GetUtcNow()));
        Assert.False(state.IsAvailable(key with { Enabled = false }, clock.GetUtcNow()));
    }

    [Fact]
    public void Exhausted_keys_rest_until_the_reset_the_upstream_announced()
    {
        var clock = new ManualTimeProvider();
        var key = Key("a");
        var state = new KeyState();
        state.Exhausted(clock.GetUtcNow().AddSeconds(5));
        Assert.False(state.IsAvailable(key, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.True(state.IsAvailable(key, clock.GetUtcNow()));
        Assert.Equal(TimeSpan.FromMinutes(6) + TimeSpan.FromMilliseconds(500), Switchyard.Dispatch.RateLimitHeaders.ParseGoDuration("6m0.5s"));
        Assert.Equal(TimeSpan.FromMilliseconds(20), Switchyard.Dispatch.RateLimitHeaders.ParseGoDuration("20ms"));
    }
}
