using System.Collections.Concurrent;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Keys;

/// <summary>A key held for one attempt. <see cref="Key"/> is null for a provider without keys (the in-process mock).</summary>
internal readonly record struct KeyLease(UpstreamKey? Key, KeyState? State);

/// <summary>The keys of one provider that one request may still try, in the order the strategy (or the session) picks them.</summary>
internal sealed class KeyQueue(List<KeyCandidate> candidates, IKeySelectionStrategy strategy, SelectionCursor cursor, string? session, bool keyless)
{
    private bool _keylessTaken;

    public bool IsEmpty => keyless ? _keylessTaken : candidates.Count == 0;

    public KeyLease Take()
    {
        if (keyless)
        {
            _keylessTaken = true;
            return new KeyLease(null, null);
        }
        var index = session is not null ? AffinityPick(candidates, session) : strategy.Pick(candidates, cursor);
        var candidate = candidates[index];
        candidates.RemoveAt(index);
        return new KeyLease(candidate.Key, candidate.State);
    }

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
}

/// <summary>
/// Key bookkeeping for the attempt loop: which keys of a provider may be tried now and in which order (its key
/// strategy, or the session's key with affinity), claiming one for an attempt, and what the attempt's outcome does to it.
/// </summary>
internal sealed class KeyPools(IKeyStateStore states, KeySelectionStrategies strategies, Observability.RequestLog requestLog, Cluster.IClusterNotices notices, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, SelectionCursor> _cursors = new(StringComparer.Ordinal);

    /// <param name="bodySession">The session the body names (<c>prompt_cache_key</c>), if any.</param>
    public KeyQueue Open(ProviderConfig provider, HttpRequest request, string? bodySession = null)
    {
        if (provider.Keys.IsEmpty)
        {
            return new KeyQueue([], strategies.Get(provider.KeyStrategy), new SelectionCursor(), null, keyless: true);
        }
        var now = time.GetUtcNow();
        var available = new List<KeyCandidate>(provider.Keys.Length);
        foreach (var key in provider.Keys)
        {
            var state = states.Get(provider.Name, key);
            if (state.IsAvailable(key, now))
            {
                available.Add(new KeyCandidate(key, state));
            }
        }
        var cursor = _cursors.GetOrAdd(provider.Name, static _ => new SelectionCursor());
        return new KeyQueue(available, strategies.Get(provider.KeyStrategy), cursor, provider.KeyAffinity ? SessionOf(request, bodySession) : null, keyless: false);
    }

    /// <summary>Claims the key for one attempt; false when another request took its only half-open trial first.</summary>
    public bool TryBegin(KeyLease lease) => lease.State?.TryBegin(time.GetUtcNow()) ?? true;

    /// <summary>Gives a claimed key back without an attempt having been made.</summary>
    public void Release(KeyLease lease)
    {
        if (lease is { Key: { } key, State: { } state })
        {
            state.End(key, KeyOutcome.Success, null, null, time.GetUtcNow());
        }
    }

    /// <summary>Books an attempt's outcome on its key; state changes (disabled, cooled, recovered) go to the request log.</summary>
    public void Settle(ProviderConfig provider, KeyLease lease, KeyOutcome outcome, int? status, TimeSpan? retryAfter, DateTimeOffset? exhaustedUntil, string what)
    {
        if (lease is not { Key: { } key, State: { } state })
        {
            return;
        }
        if (state.End(key, outcome, status, retryAfter, time.GetUtcNow()) is { } transition)
        {
            requestLog.Event("key_" + transition, $"{provider.Name}/{key.Masked}: {what}");
            // The other instances of a cluster rest or drop the key too, instead of each learning it from its own 429 or 401.
            if (transition == "cooled" && state.CooldownUntil is { } resting)
            {
                notices.KeyResting(provider.Name, key, resting);
            }
            else if (transition == "disabled")
            {
                notices.KeyRejected(provider.Name, key, $"upstream rejected the key (HTTP {status})");
            }
        }
        if (exhaustedUntil is { } until && state.Exhausted(until))
        {
            notices.KeyResting(provider.Name, key, until); // told once per new rest, not on every answer that repeats it
        }
    }

    /// <summary>
    /// The session a request belongs to, for key affinity: the gateway's own header, Claude Code's session id, the body's
    /// <c>prompt_cache_key</c> (Codex and OpenAI SDK users send one per conversation), Codex's <c>session-id</c> header.
    /// </summary>
    private static string? SessionOf(HttpRequest request, string? bodySession) =>
        request.Headers["x-switchyard-session"] is [{ Length: > 0 } s] ? s
        : request.Headers["x-claude-code-session-id"] is [{ Length: > 0 } c] ? c
        : bodySession
        ?? (request.Headers["session-id"] is [{ Length: > 0 } codex] ? codex : null);
}
