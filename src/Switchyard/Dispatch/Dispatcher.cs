using Switchyard.Config;
using Switchyard.Keys;
using Switchyard.Observability;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;

namespace Switchyard.Dispatch;

/// <summary>
/// The attempt loop: which target and which key serve a request, and what happens when they fail. The route's
/// strategy picks among healthy targets (<see cref="TargetPicker"/>), the provider's key strategy among available
/// keys (<see cref="KeyPools"/>); 429 rests the key and tries another at once, 401/403 disable it, 5xx/timeouts/
/// connection errors count against the provider and move on to the next target after a jittered backoff — within
/// <c>max_retries</c> and the deadline, and never after the first byte reached the client.
/// </summary>
internal sealed class Dispatcher(UpstreamAttempts attempts, KeyPools keys, TargetPicker targets, RetryBackoff backoff, GatewayMetrics metrics, TimeProvider time)
{
    public async Task<AttemptResult> DispatchAsync(ProxyContext ctx, ResolvedRoute route)
    {
        var policy = route.Route.Retry;
        var startedAt = time.GetUtcNow();
        var attemptsAllowed = policy.MaxRetries + 1;
        var routeTargets = route.Route.Targets;
        var remaining = new List<(RouteTarget Target, int Position)>(routeTargets.Length);
        for (var i = 0; i < routeTargets.Length; i++)
        {
            remaining.Add((routeTargets[i], i));
        }
        if (route.Route.Mode == RouteMode.Direct)
        {
            remaining.RemoveAll(x => Providers.UpstreamCodec.WireOf(ctx.Snapshot.Config.Providers[x.Target.Provider].Kind) is { } wire && wire != ctx.Client.Wire);
            if (remaining.Count == 0)
            {
                return new AttemptResult(AttemptStatus.Fail, new GatewayError(ErrorKind.InvalidRequest,
                    $"The route for '{route.RequestedModel}' forwards without translation (mode: direct) and has no {ctx.Client.Wire} provider: call it with that provider's protocol."));
            }
        }
        var failures = new List<(string Provider, GatewayError Error)>();
        AttemptResult? last = null;

        while (remaining.Count > 0 && ctx.Attempts < attemptsAllowed)
        {
            if (targets.Next(route.Route, remaining, time.GetUtcNow()) is not { } pick)
            {
                foreach (var x in remaining)
                {
                    ctx.Trail.Add($"{x.Target.Provider}:cooling down");
                    failures.Add((x.Target.Provider, new GatewayError(ErrorKind.Unavailable, "cooling down after repeated failures")));
                }
                break;
            }
            remaining.RemoveAll(x => x.Position == pick.Position);
            var provider = ctx.Snapshot.Config.Providers[pick.Target.Provider];
            var model = route.UpstreamModel(pick.Target, provider);
            ctx.LastProvider = provider.Name;
            ctx.LastModel = model;

            var result = await TryKeysAsync(ctx, provider, pick, model, policy, attemptsAllowed, startedAt, last).ConfigureAwait(false);
            if (result is null)
            {
                continue; // nothing could be tried on this target (its half-open trial is taken)
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

    /// <summary>Tries the target's keys in turn (one attempt without a key for a provider that has none).</summary>
    /// <param name="previous">The last attempt's result on any target: a provider-level failure there means back off first.</param>
    private async Task<AttemptResult?> TryKeysAsync(ProxyContext ctx, ProviderConfig provider, TargetCandidate pick, string model, RetryPolicy policy,
        int attemptsAllowed, DateTimeOffset startedAt, AttemptResult? previous)
    {
        var queue = keys.Open(provider, ctx.Http.Request, ctx.Sniff.Session);
        if (queue.IsEmpty)
        {
            ctx.Trail.Add($"{provider.Name}:no key available");
            return new AttemptResult(AttemptStatus.NextTarget, new GatewayError(ErrorKind.RateLimit, $"every key of provider '{provider.Name}' is cooling down or disabled"));
        }
        var attempt = attempts.For(provider.Kind);
        AttemptResult? last = null;
        while (!queue.IsEmpty && ctx.Attempts < attemptsAllowed)
        {
            var lease = queue.Take();
            if (!pick.Health.TryBegin())
            {
                return last;
            }
            if (!keys.TryBegin(lease))
            {
                pick.Health.End(provider, healthFailure: false, null, null, time.GetUtcNow());
                continue;
            }
            if ((last ?? previous) is { Error: { } failed } && IsProviderLevel(failed) && !await backoff.WaitAsync(ctx, policy, startedAt).ConfigureAwait(false))
            {
                keys.Release(lease);
                pick.Health.End(provider, healthFailure: false, null, null, time.GetUtcNow());
                return last ?? previous;
            }
            if (ctx.Attempts > 0)
            {
                metrics.Retries.Add(1, new KeyValuePair<string, object?>("reason", (last ?? previous)?.Error?.Kind.ToString() ?? "unavailable"));
            }
            ctx.Attempts++;
            var attemptStarted = time.GetTimestamp();
            var span = RequestSpans.StartAttempt(provider, model, lease.Key?.Masked);
            var result = await attempt.RunAsync(ctx, provider, lease.Key, model, pick.Target.Patch).ConfigureAwait(false);
            RequestSpans.EndAttempt(span, result);
            ctx.UpstreamTime += time.GetElapsedTime(attemptStarted);
            if (lease.Key is { } key)
            {
                ctx.LastKey = key.Masked;
            }
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
            keys.Settle(provider, lease, KeyOutcomeOf(result), result.Error?.UpstreamStatus ?? (result.Status == AttemptStatus.Served ? 200 : null),
                result.Error?.RetryAfter, result.KeyExhaustedUntil, Describe(result));
            pick.Health.End(provider, IsProviderFailure(result), result.Status == AttemptStatus.Served ? result.Ttfb : null, result.Error?.Message, time.GetUtcNow());
            ctx.Trail.Add(lease.Key is { } k ? $"{provider.Name}/{k.Masked}:{Describe(result)}" : $"{provider.Name}:{Describe(result)}");
            last = result;
            if (result.Status != AttemptStatus.NextKey)
            {
                return result;
            }
        }
        return last;
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

    private static KeyOutcome KeyOutcomeOf(AttemptResult r) => r.Status switch
    {
        AttemptStatus.Served or AttemptStatus.ClientGone => KeyOutcome.Success,
        _ => r.Error?.Kind switch
        {
            ErrorKind.RateLimit => KeyOutcome.RateLimited,
            ErrorKind.Authentication or ErrorKind.Permission => KeyOutcome.AuthFailed,
            ErrorKind.Internal or ErrorKind.BadGateway or ErrorKind.Overloaded or ErrorKind.Timeout or ErrorKind.Unavailable => KeyOutcome.Failed,
            _ => KeyOutcome.Success, // the request was bad, not the key
        },
    };

    private static bool IsProviderLevel(GatewayError e) => e.Kind is ErrorKind.Internal or ErrorKind.BadGateway or ErrorKind.Overloaded or ErrorKind.Timeout or ErrorKind.Unavailable;

    private static bool IsProviderFailure(AttemptResult r) => r.Status != AttemptStatus.Served && r.Error is { } e && IsProviderLevel(e);

    internal static string Describe(AttemptResult r) => r.Status switch
    {
        AttemptStatus.Served => "served",
        AttemptStatus.ClientGone => "client gone",
        _ => r.Error is { } e ? $"{e.Kind}{(e.UpstreamStatus is { } s ? $"({s})" : "")}" : r.Status.ToString(),
    };
}
