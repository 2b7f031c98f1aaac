using System.Collections.Concurrent;
using Switchyard.Config;
using Switchyard.Keys;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;

namespace Switchyard.Dispatch;

/// <summary>
/// Which target and which key serve a request, and what happens when they fail: the route's strategy picks among
/// healthy targets, the provider's key strategy among available keys (or the session's key with affinity); 429 rests
/// the key and tries another at once, 401/403 disable it, 5xx/timeouts/connection errors count against the provider
/// and move on to the next target after a jittered backoff — within <c>max_retries</c> and the deadline, and never
/// after the first byte reached the client.
/// </summary>
internal sealed class Dispatcher(
    HttpAttempt httpAttempt, MockAttempt mockAttempt, IKeyStateStore keyStates, IProviderHealthStore health,
    KeySelectionStrategies keyStrategies, TargetSelectionStrategies targetStrategies, Observability.GatewayMetrics metrics, Observability.RequestLog requestLog,
    TimeProvider time, Random random)
{
    private readonly ConcurrentDictionary<string, SelectionCursor> _providerCursors = new(StringComparer.Ordinal);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<RouteConfig, SelectionCursor> _routeCursors = [];

    public async Task<AttemptResult> DispatchAsync(ProxyContext ctx, ResolvedRoute route)
    {
        var policy = route.Route.Retry;
        var startedAt = time.GetUtcNow();
        var attemptsAllowed = policy.MaxRetries + 1;
        var targets = route.Route.Targets;
        var remaining = new List<(RouteTarget Target, int Position)>(targets.Length);
        for (var i = 0; i < targets.Length; i++)
        {
            remaining.Add((targets[i], i));
        }
        if (route.Route.Mode == RouteMode.Direct)
        {
            remaining.RemoveAll(x => WireOf(ctx.Snapshot.Config.Providers[x.Target.Provider]) is { } wire && wire != ctx.Client.Wire);
            if (remaining.Count == 0)
            {
                return new AttemptResult(AttemptStatus.Fail, new GatewayError(ErrorKind.InvalidRequest,
                    $"The route for '{route.RequestedModel}' forwards without translation (mode: direct) and has no {ctx.Client.Wire} provider: call it with that provider's protocol."));
            }
        }
        var failures = new List<(string Provider, GatewayError Error)>();
        AttemptResult? last = null;
        var targetStrategy = targetStrategies.Get(route.Route.Strategy);
        var routeCursor = _routeCursors.GetValue(route.Route, static _ => new SelectionCursor());

        while (remaining.Count > 0 && ctx.Attempts < attemptsAllowed)
        {
            var now = time.GetUtcNow();
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
                foreach (var x in remaining)
                {
                    ctx.Trail.Add($"{x.Target.Provider}:cooling down");
                    failures.Add((x.Target.Provider, new GatewayError(ErrorKind.Unavailable, "cooling down after repeated failures")));
                }
                break;
            }
            var pick = candidates[targetStrategy.Pick(candidates, routeCursor)];
            remaining.RemoveAll(x => x.Position == pick.Position);
            var provider = ctx.Snapshot.Config.Providers[pick.Target.Provider];
            var model = route.UpstreamModel(pick.Target, provider);
            ctx.LastProvider = provider.Name;
            ctx.LastModel = model;

            var result = provider.Kind == ProviderKind.Mock
                ? await TryMockAsync(ctx, provider, pick, model).ConfigureAwait(false)
                : await TryKeysAsync(ctx, provider, pick, model, policy, attemptsAllowed, startedAt).ConfigureAwait(false);
            if (result is null)
            {
                continue; // nothing could be tried on this target (no key available, or its half-open trial is taken)
            }
            last = result;
            if (result.Value.Status is AttemptStatus.Served or AttemptStatus.ClientGone or AttemptStatus.Fail)
            {
                return result.Value;
            }
            failures.Add((provider.Name, result.Value.Error!));
            if (remaining.Count > 0 && ctx.Attempts < attemptsAllowed)
            {
                metrics.Failovers.Add(1, new KeyValuePair<string, object?>("from", provider.Name));
            }
            if (policy.Deadline is { } d && time.GetUtcNow() - startedAt >= d)
            {
                ctx.Trail.Add("deadline reached");
                break;
            }
        }
        return Exhausted(route, failures, last);
    }

    private async Task<AttemptResult?> TryMockAsync(ProxyContext ctx, ProviderConfig provider, TargetCandidate pick, string model)
    {
        if (!pick.Health.TryBegin())
        {
            return null;
        }
        if (ctx.Attempts > 0)
        {
            metrics.Retries.Add(1, new KeyValuePair<string, object?>("reason", "failover"));
        }
        ctx.Attempts++;
        var attemptStarted = time.GetTimestamp();
        var span = Observability.RequestSpans.StartAttempt(provider, model, null);
        var result = await mockAttempt.RunAsync(ctx, provider, model, pick.Target.Patch).ConfigureAwait(false);
        Observability.RequestSpans.EndAttempt(span, result);
        ctx.UpstreamTime += time.GetElapsedTime(attemptStarted);
        pick.Health.End(provider, IsProviderFailure(result), null, result.Error?.Message, time.GetUtcNow());
        ctx.Trail.Add($"{provider.Name}:{Describe(result)}");
        return result;
    }

    private async Task<AttemptResult?> TryKeysAsync(ProxyContext ctx, ProviderConfig provider, TargetCandidate pick, string model, RetryPolicy policy, int attemptsAllowed, DateTimeOffset startedAt)
    {
        var now = time.GetUtcNow();
        var keys = new List<KeyCandidate>(provider.Keys.Length);
        foreach (var key in provider.Keys)
        {
            var state = keyStates.Get(provider.Name, key);
            if (state.IsAvailable(key, now))
            {
                keys.Add(new KeyCandidate(key, state));
            }
        }
        if (keys.Count == 0)
        {
            ctx.Trail.Add($"{provider.Name}:no key available");
            return new AttemptResult(AttemptStatus.NextTarget, new GatewayError(ErrorKind.RateLimit, $"every key of provider '{provider.Name}' is cooling down or disabled"));
        }
        var strategy = keyStrategies.Get(provider.KeyStrategy);
        var cursor = _providerCursors.GetOrAdd(provider.Name, static _ => new SelectionCursor());
        var session = provider.KeyAffinity ? SessionOf(ctx.Http.Request) : null;
        AttemptResult? last = null;
        while (keys.Count > 0 && ctx.Attempts < attemptsAllowed)
        {
            var index = session is not null ? AffinityPick(keys, session) : strategy.Pick(keys, cursor);
            var candidate = keys[index];
            keys.RemoveAt(index);
            if (!pick.Health.TryBegin())
            {
                return last;
            }
            if (!candidate.State.TryBegin(time.GetUtcNow()))
            {
                pick.Health.End(provider, healthFailure: false, null, null, time.GetUtcNow());
                continue;
            }
            if (ctx.Attempts > 0 && last is { Error: { } previous } && IsProviderLevel(previous) && !await BackoffAsync(ctx, policy, startedAt).ConfigureAwait(false))
            {
                candidate.State.End(candidate.Key, KeyOutcome.Success, null, null, time.GetUtcNow());
                pick.Health.End(provider, healthFailure: false, null, null, time.GetUtcNow());
                return last;
            }
            if (ctx.Attempts > 0)
            {
                metrics.Retries.Add(1, new KeyValuePair<string, object?>("reason", last?.Error?.Kind.ToString() ?? "unavailable"));
            }
            ctx.Attempts++;
            var attemptStarted = time.GetTimestamp();
            var span = Observability.RequestSpans.StartAttempt(provider, model, candidate.Key.Masked);
            var result = await httpAttempt.RunAsync(ctx, provider, candidate.Key, model, pick.Target.Patch).ConfigureAwait(false);
            Observability.RequestSpans.EndAttempt(span, result);
            ctx.UpstreamTime += time.GetElapsedTime(attemptStarted);
            ctx.LastKey = candidate.Key.Masked;
            ctx.LastTtfb = result.Ttfb ?? ctx.LastTtfb;
            if (result.Ttfb is { } ttfb)
            {
                metrics.TimeToFirstByte.Record(ttfb.TotalSeconds, new KeyValuePair<string, object?>("provider", provider.Name));
            }
            // The route's retry statuses govern rate limits and provider failures; a rejected key always yields to the next key.
            if (result is { Status: AttemptStatus.NextKey or AttemptStatus.NextTarget, Error: { Kind: not (ErrorKind.Authentication or ErrorKind.Permission), UpstreamStatus: { } s } } && !policy.Statuses.Contains(s))
            {
                result = result with { Status = AttemptStatus.Fail };
            }
            var finishedAt = time.GetUtcNow();
            var transition = candidate.State.End(candidate.Key, KeyOutcomeOf(result), result.Error?.UpstreamStatus ?? (result.Status == AttemptStatus.Served ? 200 : null), result.Error?.RetryAfter, finishedAt);
            if (transition is not null)
            {
                requestLog.Event("key_" + transition, $"{provider.Name}/{candidate.Key.Masked}: {Describe(result)}");
            }
            if (result.KeyExhaustedUntil is { } until)
            {
                candidate.State.Exhausted(until);
            }
            pick.Health.End(provider, IsProviderFailure(result), result.Status == AttemptStatus.Served ? result.Ttfb : null, result.Error?.Message, finishedAt);
            ctx.Trail.Add($"{provider.Name}/{candidate.Key.Masked}:{Describe(result)}");
            last = result;
            if (result.Status != AttemptStatus.NextKey)
            {
                return result;
            }
        }
        return last;
    }

    /// <summary>Waits before trying another target after a provider-level failure: exponential, full jitter, within the deadline.</summary>
    private async Task<bool> BackoffAsync(ProxyContext ctx, RetryPolicy policy, DateTimeOffset startedAt)
    {
        var exponent = Math.Min(ctx.Attempts - 1, 16);
        var ceiling = Math.Min(policy.MaxBackoff.TotalMilliseconds, policy.Backoff.TotalMilliseconds * Math.Pow(2, exponent));
        var delay = TimeSpan.FromMilliseconds(ceiling * (0.5 + (random.NextDouble() * 0.5)));
        if (policy.Deadline is { } d && time.GetUtcNow() + delay - startedAt >= d)
        {
            ctx.Trail.Add("deadline reached");
            return false;
        }
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, time, ctx.Aborted).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>
    /// Nothing served. One provider tried: its own error (a 429 stays a 429 with its retry-after). Several: 503 that
    /// names each provider and why it failed.
    /// </summary>
    private static AttemptResult Exhausted(ResolvedRoute route, List<(string Provider, GatewayError Error)> failures, AttemptResult? last)
    {
        var providers = failures.Select(f => f.Provider).Distinct().Count();
        if (providers <= 1 && last is { Error: not null } single)
        {
            return single with { Status = AttemptStatus.Fail };
        }
        var why = failures.Count == 0 ? "no target could be tried" : string.Join("; ", failures.Select(f => $"{f.Provider}: {f.Error.Message}"));
        var retryAfter = failures.Select(f => f.Error.RetryAfter).Where(r => r is not null).Min();
        return new AttemptResult(AttemptStatus.Fail, new GatewayError(ErrorKind.Unavailable, $"No provider could serve '{route.RequestedModel}'. Tried: {why}") { RetryAfter = retryAfter });
    }

    private static WireProtocol? WireOf(ProviderConfig provider) => provider.Kind switch
    {
        ProviderKind.OpenAI or ProviderKind.AzureOpenAI => WireProtocol.OpenAI,
        ProviderKind.Anthropic => WireProtocol.Anthropic,
        ProviderKind.Gemini => WireProtocol.Gemini,
        _ => null, // the mock answers every protocol
    };

    private static KeyOutcome KeyOutcomeOf(AttemptResult r) => r.Status switch
    {
        AttemptStatus.Served or AttemptStatus.ClientGone => KeyOutcome.Success,
        _ => r.Error?.Kind switch
        {
            ErrorKind.RateLimit => KeyOutcome.RateLimited,
            ErrorKind.Authentication or ErrorKind.Permission => KeyOutcome.AuthFailed,
            ErrorKind.Internal or ErrorKind.Overloaded or ErrorKind.Timeout or ErrorKind.Unavailable => KeyOutcome.Failed,
            _ => KeyOutcome.Success, // the request was bad, not the key
        },
    };

    private static bool IsProviderLevel(GatewayError e) => e.Kind is ErrorKind.Internal or ErrorKind.Overloaded or ErrorKind.Timeout or ErrorKind.Unavailable;

    private static bool IsProviderFailure(AttemptResult r) => r.Status != AttemptStatus.Served && r.Error is { } e && IsProviderLevel(e);

    /// <summary>The session a request belongs to, for key affinity (Claude Code sends its session id).</summary>
    private static string? SessionOf(HttpRequest request) =>
        request.Headers["x-switchyard-session"] is [{ Length: > 0 } s] ? s
        : request.Headers["x-claude-code-session-id"] is [{ Length: > 0 } c] ? c
        : null;

    /// <summary>Rendezvous hashing: the same session keeps its key while that key is available, and moves only when it is not.</summary>
    private static int AffinityPick(List<KeyCandidate> keys, string session)
    {
        var best = 0;
        var bestScore = 0UL;
        for (var i = 0; i < keys.Count; i++)
        {
            var score = StableHash.Fnv1a64(session + "\n" + keys[i].Key.Secret);
            if (i == 0 || score > bestScore)
            {
                best = i;
                bestScore = score;
            }
        }
        return best;
    }


    internal static string Describe(AttemptResult r) => r.Status switch
    {
        AttemptStatus.Served => "served",
        AttemptStatus.ClientGone => "client gone",
        _ => r.Error is { } e ? $"{e.Kind}{(e.UpstreamStatus is { } s ? $"({s})" : "")}" : r.Status.ToString(),
    };
}
