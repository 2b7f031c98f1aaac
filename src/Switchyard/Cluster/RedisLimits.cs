using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;
using Switchyard.Protocols.Canonical;
using Switchyard.Tenancy;

namespace Switchyard.Cluster;

/// <summary>
/// Limits counted in Redis, shared by every instance: one script checks all of a request's scopes and, only when each
/// admits it, counts the request, reserves its tokens and cost and takes its concurrency slot — atomically, in one round
/// trip, so N concurrent requests against a limit of M across any number of instances serve exactly min(N, M). The
/// settlement (a second script) runs after the answer, off the request's path. A concurrency slot is a lease with an
/// expiry, renewed while its request runs: an instance that dies gives its slots back within <c>cluster.lease_ttl</c>.
/// While Redis is unreachable, limits are counted on this instance (<c>fail_closed</c>: refused) and that usage is
/// added to Redis when it is back.
/// </summary>
internal sealed class RedisLimits : ILimitGate, IAsyncDisposable
{
    // Increments are passed through as the integers' strings (a Lua number would print 0 as -0 or large ones with an exponent, which HINCRBY refuses).
    // KEYS, 4 per scope: minute hash, day hash, month hash, in-flight sorted set (lease → expiry ms).
    // ARGV: now ms, lease, lease expiry ms, reserved tokens, reserved cost (nanodollars), expire-at ms of the minute, day
    // and month windows; then 7 limits per scope (-1: none): concurrent, rpm, requests/day, tpm, tokens/day, budget/day, budget/month.
    // Last: the most requests to admit at once (a block, see LimitBlock). Each hash counts requests in 'r': the first count
    // of a window is when its expiry is set (once, not per request). Only what a scope limits is read; the in-flight set
    // is kept only for a concurrency limit. The reply: the refusing scope and its usage, or -1 and the requests admitted
    // — as many as fit 64 times over in what every limit has left, at most the block size, else 1 (near a limit, one
    // at a time: exact); a block's slot members are the lease's name with ':1' … ':k'.
    private const string AdmitScript = """
        local now, lease, leaseUntil = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
        local rt, rc = tonumber(ARGV[4]), tonumber(ARGV[5])
        local n = #KEYS / 4
        local k = tonumber(ARGV[#ARGV])
        local function fit(limit, used, need)
          if limit >= 0 and need > 0 then
            local f = math.floor((limit - used) / (64 * need))
            if f < k then k = f end
          end
        end
        for i = 0, n - 1 do
          local m, d, mo, f = KEYS[4*i+1], KEYS[4*i+2], KEYS[4*i+3], KEYS[4*i+4]
          local b = 8 + 7 * i
          local c, rpm, rpd = tonumber(ARGV[b+1]), tonumber(ARGV[b+2]), tonumber(ARGV[b+3])
          local tpm, tpd, bd, bm = tonumber(ARGV[b+4]), tonumber(ARGV[b+5]), tonumber(ARGV[b+6]), tonumber(ARGV[b+7])
          local inflight, mr, mt, dr, dt, dc, mc = 0, 0, 0, 0, 0, 0, 0
          if c >= 0 then
            redis.call('ZREMRANGEBYSCORE', f, '-inf', now)
            inflight = redis.call('ZCARD', f)
          end
          if rpm >= 0 or tpm >= 0 then
            local v = redis.call('HMGET', m, 'r', 't')
            mr, mt = tonumber(v[1] or 0), tonumber(v[2] or 0)
          end
          if rpd >= 0 or tpd >= 0 or bd >= 0 then
            local v = redis.call('HMGET', d, 'r', 't', 'c')
            dr, dt, dc = tonumber(v[1] or 0), tonumber(v[2] or 0), tonumber(v[3] or 0)
          end
          if bm >= 0 then mc = tonumber(redis.call('HGET', mo, 'c') or 0) end
          if (c >= 0 and inflight >= c) or (rpm >= 0 and mr >= rpm) or (rpd >= 0 and dr >= rpd) or (tpm >= 0 and mt + rt > tpm)
            or (tpd >= 0 and dt + rt > tpd) or (bd >= 0 and dc + rc > bd) or (bm >= 0 and mc + rc > bm) then
            return {i, inflight, mr, dr, mt, dt, dc, mc}
          end
          fit(c, inflight, 1) fit(rpm, mr, 1) fit(rpd, dr, 1) fit(tpm, mt, rt) fit(tpd, dt, rt) fit(bd, dc, rc) fit(bm, mc, rc)
        end
        if k < 2 then k = 1 end
        local kt, kc = string.format('%d', k * rt), string.format('%d', k * rc)
        for i = 0, n - 1 do
          local m, d, mo, f = KEYS[4*i+1], KEYS[4*i+2], KEYS[4*i+3], KEYS[4*i+4]
          if redis.call('HINCRBY', m, 'r', k) == k then redis.call('PEXPIREAT', m, ARGV[6]) end
          if rt ~= 0 then redis.call('HINCRBY', m, 't', kt) end
          if redis.call('HINCRBY', d, 'r', k) == k then redis.call('PEXPIREAT', d, ARGV[7]) end
          if rt ~= 0 then redis.call('HINCRBY', d, 't', kt) end
          if rc ~= 0 then redis.call('HINCRBY', d, 'c', kc) end
          if redis.call('HINCRBY', mo, 'r', k) == k then redis.call('PEXPIREAT', mo, ARGV[8]) end
          if rc ~= 0 then redis.call('HINCRBY', mo, 'c', kc) end
          if tonumber(ARGV[8 + 7 * i + 1]) >= 0 then
            if k == 1 then
              redis.call('ZADD', f, leaseUntil, lease)
            else
              for j = 1, k do redis.call('ZADD', f, leaseUntil, lease .. ':' .. j) end
            end
            if redis.call('PTTL', f) < leaseUntil - now then redis.call('PEXPIREAT', f, leaseUntil) end
          end
        end
        return {-1, k}
        """;

    // A block given back (see LimitBlock): KEYS, 4 per scope, the admission's minute, day and month hashes and in-flight set;
    // ARGV: the requests, tokens and cost (nanodollars) to add — the unused part taken back, the used part's difference
    // from its reservation — then the slot members to free. A window that expired took its share with it.
    private const string ReturnScript = """
        local r, t, c = ARGV[1], ARGV[2], ARGV[3]
        local function add(key, field, v) if v ~= '0' then redis.call('HINCRBY', key, field, v) end end
        for i = 0, #KEYS / 4 - 1 do
          local m, d, mo, f = KEYS[4*i+1], KEYS[4*i+2], KEYS[4*i+3], KEYS[4*i+4]
          if redis.call('EXISTS', m) == 1 then add(m, 'r', r) add(m, 't', t) end
          if redis.call('EXISTS', d) == 1 then add(d, 'r', r) add(d, 't', t) add(d, 'c', c) end
          if redis.call('EXISTS', mo) == 1 then add(mo, 'r', r) add(mo, 'c', c) end
          for j = 4, #ARGV do redis.call('ZREM', f, ARGV[j]) end
        end
        return 1
        """;

    /// <summary>The most requests one admission takes for this instance (a block); 1 would turn blocks off.</summary>
    private const int MaxBlock = 256;

    /// <summary>A block unused this long is given back, so what it holds serves the other instances.</summary>
    private static readonly TimeSpan BlockIdle = TimeSpan.FromSeconds(1);

    // Settlements, many in one call (gathered for a moment off the requests' path; the concurrency slot is given back at
    // once, apart: see Settle). Per settlement, 11 ARGV: its number of scopes, the used minus the reserved tokens and cost
    // (for a window still the admission's), minus the reserved tokens and cost and the used ones (for a window that moved
    // on since: the reservation leaves the old one, the usage goes to the new), expire-at ms of the settlement's minute,
    // day and month windows, and the requests to count (1: counted locally while Redis was away). KEYS, 6 per scope: the
    // admission's minute, day and month hashes, then the settlement's. A reservation lives in the windows it was made
    // in: when they expired it went with them.
    private const string SettleScript = """
        local k, a = 0, 0
        local function add(key, field, v) if v ~= '0' then redis.call('HINCRBY', key, field, v) end end
        local function count(key, requests, expiry)
          if redis.call('HINCRBY', key, 'r', requests) == tonumber(requests) then redis.call('PEXPIREAT', key, expiry) end
        end
        while a < #ARGV do
          local n, requests = tonumber(ARGV[a+1]), ARGV[a+11]
          for i = 0, n - 1 do
            for w = 1, 3 do
              local admitted, now, expiry = KEYS[k+w], KEYS[k+3+w], ARGV[a+7+w]
              if admitted == now then
                if w < 3 then add(now, 't', ARGV[a+2]) end
                if w > 1 then add(now, 'c', ARGV[a+3]) end
                if requests ~= '0' then count(now, requests, expiry) end
              else
                if redis.call('EXISTS', admitted) == 1 then
                  if w < 3 then add(admitted, 't', ARGV[a+4]) end
                  if w > 1 then add(admitted, 'c', ARGV[a+5]) end
                end
                if w < 3 then add(now, 't', ARGV[a+6]) end
                if w > 1 then add(now, 'c', ARGV[a+7]) end
                count(now, requests, expiry)
              end
            end
            k = k + 6
          end
          a = a + 11
        end
        return 1
        """;

    /// <summary>Settlements gathered into one script call: at most this many, at most <see cref="SettleGather"/> after the first.</summary>
    private const int SettleBatch = 128;
    private static readonly TimeSpan SettleGather = TimeSpan.FromMilliseconds(2);

    private readonly RedisHotState _redis;
    private readonly LimitCounters _local;
    private readonly LimitCalendar _calendar;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, RedisKey[]> _live = new(StringComparer.Ordinal); // running requests' slot members → their in-flight sets (renewed)
    private readonly ConcurrentDictionary<string, LimitBlock> _blocks = new(StringComparer.Ordinal); // by the scopes they admit for
    private readonly ConcurrentDictionary<string, Demand> _demand = new(StringComparer.Ordinal); // requests a second, by scopes
    private readonly ConcurrentDictionary<string, Task<LimitBlock?>> _refills = new(StringComparer.Ordinal); // blocks being taken, by scopes
    private readonly string _leasePrefix = $"{Environment.ProcessId:x}-{Random.Shared.Next():x}-";
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _renewal;
    private readonly Task _settling;
    private readonly Task _sweeping;
    private readonly System.Threading.Channels.Channel<(RedisKey[] Keys, RedisValue[] Args)> _settlements =
        System.Threading.Channels.Channel.CreateUnbounded<(RedisKey[], RedisValue[])>(); // not SingleReader: that one cannot Count
    private long _leaseCounter;

    public RedisLimits(RedisHotState redis, LimitCounters local, TimeProvider time)
    {
        (_redis, _local, _time) = (redis, local, time);
        _calendar = new LimitCalendar(time);
        _renewal = RenewAsync(_stopping.Token);
        _settling = SettleLoopAsync();
        _sweeping = SweepBlocksAsync(_stopping.Token);
    }

    /// <summary>
    /// At start: both scripts loaded into Redis (later calls send only their hash) and their path through the client
    /// compiled, so the first requests do not spend their time budget on it.
    /// </summary>
    public async Task WarmUpAsync()
    {
        if (_redis.Available)
        {
            await _redis.TryAsync(db => db.ScriptEvaluateAsync(AdmitScript, [], [0, "", 0, 0, 0, 0, 0, 0, 1])).ConfigureAwait(false);
            await _redis.TryAsync(db => db.ScriptEvaluateAsync(SettleScript, [], [])).ConfigureAwait(false);
            await _redis.TryAsync(db => db.ScriptEvaluateAsync(ReturnScript, [], [0, 0, 0])).ConfigureAwait(false);
        }
    }

    public async ValueTask<(LimitLease? Lease, GatewayError? Refusal)> AdmitAsync(LimitScope[] scopes, Reservation reserve, TimeZoneInfo zone, CancellationToken ct)
    {
        var limited = Array.FindAll(scopes, s => !s.Limits.IsNone);
        if (limited.Length == 0)
        {
            return (LimitLease.Unlimited, null);
        }
        var w = _calendar.Now(zone);
        var scopeKeys = new string[limited.Length];
        for (var i = 0; i < limited.Length; i++)
        {
            scopeKeys[i] = ScopeKey(limited[i]);
        }
        // Tokens and cost are reserved only when a scope limits them (the settlement counts the use either way).
        var need = new Reservation(
            Array.Exists(limited, s => s.Limits.Tpm is not null || s.Limits.TokensPerDay is not null) ? reserve.Tokens : 0,
            Array.Exists(limited, s => s.Limits.BudgetUsdPerDay is not null || s.Limits.BudgetUsdPerMonth is not null) ? reserve.CostNanos : 0);
        var signature = scopeKeys.Length == 1 ? scopeKeys[0] : string.Join('|', scopeKeys);
        var minute = w.Minute.ToUnixTimeSeconds();
        var demand = CountDemand(signature);
        if (_blocks.TryGetValue(signature, out var held))
        {
            if (TakeFrom(held, minute, need, zone) is { } taken)
            {
                return (taken, null);
            }
            if (_blocks.TryRemove(KeyValuePair.Create(signature, held)))
            {
                GiveBack(held);
            }
        }
        // One refill at a time: requests that find the scopes' block used up while another request of theirs is
        // taking the next one wait for it instead of each taking a block (all but one would be given back at once).
        if (_refills.TryGetValue(signature, out var refill) && await refill.ConfigureAwait(false) is { } refilled
            && TakeFrom(refilled, minute, need, zone) is { } fromRefill)
        {
            return (fromRefill, null);
        }
        var blockSize = BlockFor(demand);
        TaskCompletionSource<LimitBlock?>? refilling = null;
        if (blockSize > 1 && Volatile.Read(ref demand.LastGranted) != 1)
        {
            refilling = new TaskCompletionSource<LimitBlock?>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_refills.TryAdd(signature, refilling.Task))
            {
                refilling = null;
            }
        }
        LimitBlock? granted = null;
        try
        {
            var (admitted, refusal, block) = await AdmitInRedisAsync(limited, scopeKeys, signature, demand, need, reserve, w, minute, zone, blockSize).ConfigureAwait(false);
            granted = block;
            return (admitted, refusal);
        }
        finally
        {
            if (refilling is not null)
            {
                _refills.TryRemove(KeyValuePair.Create(signature, refilling.Task));
                refilling.SetResult(granted);
            }
        }
    }

    private BlockLease? TakeFrom(LimitBlock block, long minute, Reservation need, TimeZoneInfo zone)
    {
        if (block.TryTake(minute, need, _time.GetTimestamp()) is not { } member)
        {
            return null;
        }
        Hold(member, block.SlotSets);
        return new BlockLease(this, block, member, need, zone);
    }

    /// <summary>The admission script: a lease, a refusal, or (<paramref name="blockSize"/> > 1 permitting) a block whose first request this is.</summary>
    private async ValueTask<(LimitLease? Lease, GatewayError? Refusal, LimitBlock? Block)> AdmitInRedisAsync(LimitScope[] limited, string[] scopeKeys, string signature,
        Demand demand, Reservation need, Reservation reserve, LimitWindows w, long minute, TimeZoneInfo zone, int blockSize)
    {
        var lease = _leasePrefix + Interlocked.Increment(ref _leaseCounter).ToString(CultureInfo.InvariantCulture);
        var now = w.Now.ToUnixTimeMilliseconds();
        var keys = new RedisKey[limited.Length * 4];
        var args = new RedisValue[9 + (limited.Length * 7)];
        args[0] = now;
        args[1] = lease;
        args[2] = now + (long)_redis.Options.LeaseTtl.TotalMilliseconds;
        args[3] = need.Tokens;
        args[4] = need.CostNanos;
        ExpiresAt(w, args, 5);
        args[^1] = blockSize;
        for (var i = 0; i < limited.Length; i++)
        {
            WindowKeys(scopeKeys[i], w, keys, 4 * i);
            keys[(4 * i) + 3] = scopeKeys[i] + ":f";
            var l = limited[i].Limits;
            var b = 8 + (7 * i);
            args[b] = l.Concurrent ?? -1;
            args[b + 1] = l.Rpm ?? -1;
            args[b + 2] = l.RequestsPerDay ?? -1;
            args[b + 3] = l.Tpm ?? -1;
            args[b + 4] = l.TokensPerDay ?? -1;
            args[b + 5] = l.BudgetUsdPerDay is { } bd ? Tenancy.Pricing.PriceCard.ToNanos(bd) : -1;
            args[b + 6] = l.BudgetUsdPerMonth is { } bm ? Tenancy.Pricing.PriceCard.ToNanos(bm) : -1;
        }
        var (ok, reply) = await _redis.TryAsync(db => db.ScriptEvaluateAsync(AdmitScript, keys, args)).ConfigureAwait(false);
        if (!ok || reply is null)
        {
            var (local, localRefusal) = Fallback(limited, scopeKeys, reserve, zone);
            return (local, localRefusal, null);
        }
        var r = (long[])reply!;
        if (r[0] >= 0)
        {
            var scope = limited[r[0]];
            var usage = new LimitUsage(r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
            return (null, LimitCheck.Refusal(scope, usage, reserve, w)
                ?? new GatewayError(ErrorKind.RateLimit, $"{scope.Label} reached one of its limits.") { RetryAfter = TimeSpan.FromSeconds(1), Code = "tenant_limit_exceeded" }, null);
        }
        // The in-flight sets this lease holds a slot in: those of the scopes that limit concurrency.
        var slots = Enumerable.Range(0, limited.Length).Where(i => limited[i].Limits.Concurrent is not null).Select(i => keys[(4 * i) + 3]).ToArray();
        var granted = r.Length > 1 ? r[1] : 1;
        Volatile.Write(ref demand.LastGranted, granted);
        if (granted == 1)
        {
            Hold(lease, slots);
            return (new ClusterLease(this, lease, scopeKeys, keys, slots, need, zone), null, null);
        }
        // A block: this request takes the first of it, the instance admits the rest itself.
        var block = new LimitBlock(lease, scopeKeys, keys, slots, minute, granted, need, _time.GetTimestamp());
        var first = lease + ":1";
        Hold(first, slots);
        while (!_blocks.TryAdd(signature, block))
        {
            if (_blocks.TryGetValue(signature, out var other) && _blocks.TryUpdate(signature, block, other))
            {
                GiveBack(other);
                break;
            }
        }
        return (new BlockLease(this, block, first, need, zone), null, block);
    }

    /// <summary>A running request's slot member, renewed until it ends (nothing to renew without a concurrency limit).</summary>
    private void Hold(string member, RedisKey[] slotSets)
    {
        if (slotSets.Length > 0)
        {
            _live[member] = slotSets;
        }
    }

    /// <summary>The minute now (Unix seconds of its start): a block serves the minute it was taken in.</summary>
    private long CurrentMinute() => _time.GetUtcNow().ToUnixTimeSeconds() / 60 * 60;

    /// <summary>One more request of these scopes this second (what sizes their next block).</summary>
    private Demand CountDemand(string signature)
    {
        var second = _time.GetTimestamp() / _time.TimestampFrequency;
        var demand = _demand.GetOrAdd(signature, static _ => new Demand());
        lock (demand)
        {
            if (demand.Second != second)
            {
                demand.Previous = demand.Second == second - 1 ? demand.Current : 0;
                (demand.Second, demand.Current) = (second, 0);
            }
            demand.Current++;
        }
        return demand;
    }

    /// <summary>
    /// The most requests the next admission of these scopes may take: about a second of their demand here (a block
    /// then holds no more than this instance would use before it is given back), at most <see cref="MaxBlock"/>; 1 for
    /// scopes seen once — a first request, or one end user among many, is admitted alone.
    /// </summary>
    private static int BlockFor(Demand demand)
    {
        lock (demand)
        {
            return Math.Clamp(Math.Max(demand.Current - 1, demand.Previous), 1, MaxBlock);
        }
    }

    private sealed class Demand
    {
        public long Second;
        public int Current;
        public int Previous;
        public long LastGranted; // the last admission's requests: 1 near a limit, where requests do not wait for a refill
    }

    /// <summary>A block back to Redis: what it did not admit, the difference its settled requests made, its free slots.</summary>
    private void GiveBack(LimitBlock block)
    {
        if (block.Close() is not { } back)
        {
            return;
        }
        var args = new RedisValue[3 + back.FreeMembers.Length];
        args[0] = -back.Requests;
        args[1] = back.Tokens;
        args[2] = back.Cost;
        for (var i = 0; i < back.FreeMembers.Length; i++)
        {
            args[3 + i] = back.FreeMembers[i];
        }
        var keys = block.Keys;
        _redis.Write(db => db.ScriptEvaluateAsync(ReturnScript, keys, args));
    }

    /// <summary>Four times a second: blocks unused for <see cref="BlockIdle"/>, or of a minute gone by, are given back.</summary>
    private async Task SweepBlocksAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                SweepBlocks(all: false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void SweepBlocks(bool all)
    {
        var now = _time.GetTimestamp();
        var second = now / _time.TimestampFrequency;
        foreach (var (signature, demand) in _demand)
        {
            if (Volatile.Read(ref demand.Second) < second - 5)
            {
                _demand.TryRemove(KeyValuePair.Create(signature, demand)); // scopes quiet for 5 s start again from one request at a time
            }
        }
        if (_blocks.IsEmpty)
        {
            return;
        }
        var minute = CurrentMinute();
        foreach (var (signature, block) in _blocks)
        {
            if ((all || block.Minute != minute || _time.GetElapsedTime(block.LastUsed, now) >= BlockIdle)
                && _blocks.TryRemove(KeyValuePair.Create(signature, block)))
            {
                GiveBack(block);
            }
        }
    }

    /// <summary>Redis could not be asked in time: counted here (fail-open) and added to Redis later, or refused (fail_closed).</summary>
    private (LimitLease? Lease, GatewayError? Refusal) Fallback(LimitScope[] scopes, string[] scopeKeys, Reservation reserve, TimeZoneInfo zone)
    {
        _redis.CountFallback();
        if (_redis.Options.FailClosed)
        {
            return (null, new GatewayError(ErrorKind.Unavailable, "The gateway cannot check this request's limits right now: its shared counter store (Redis) is unreachable, and cluster.fail_closed is set. Retry shortly.")
            {
                RetryAfter = TimeSpan.FromSeconds(2),
            });
        }
        var (local, refusal) = _local.Admit(scopes, reserve, zone);
        return refusal is not null ? (null, refusal) : (new LocallyCountedLease(this, local!, scopeKeys, zone), null);
    }

    private string ScopeKey(in LimitScope s) =>
        _redis.Key($"lim:{s.Kind switch { ScopeKind.Tenant => 't', ScopeKind.Key => 'k', _ => 'u' }}:{s.Owner.Length}:{s.Owner}:{s.Name}");

    /// <summary>A scope's minute, day and month hashes in the windows <paramref name="w"/>, at <paramref name="at"/>.</summary>
    private static void WindowKeys(string scope, in LimitWindows w, RedisKey[] into, int at)
    {
        into[at] = $"{scope}:m:{w.Minute.ToUnixTimeSeconds()}";
        into[at + 1] = $"{scope}:d:{w.Day.ToUnixTimeSeconds()}";
        into[at + 2] = $"{scope}:mo:{w.Month.ToUnixTimeSeconds()}";
    }

    /// <summary>When the hashes of those windows expire (a little after each window ends), at <paramref name="at"/>.</summary>
    private static void ExpiresAt(in LimitWindows w, RedisValue[] into, int at)
    {
        into[at] = w.NextMinute.AddMinutes(1).ToUnixTimeMilliseconds();
        into[at + 1] = w.NextDay.AddHours(1).ToUnixTimeMilliseconds();
        into[at + 2] = w.NextMonth.AddDays(1).ToUnixTimeMilliseconds();
    }

    /// <summary>
    /// The settlement, made now or when Redis is back. <paramref name="admittedKeys"/>: the admission's keys (4 a scope),
    /// or null when nothing was reserved in Redis (usage counted locally).
    /// </summary>
    private void Settle(string lease, string[] scopeKeys, RedisKey[]? admittedKeys, RedisKey[] slots, Reservation reserved, long tokens, long costNanos, TimeZoneInfo zone, int requests)
    {
        _live.TryRemove(lease, out _);
        if (slots.Length > 0)
        {
            // The slots now, apart from the gathered settlement: free again one round trip after the answer ended.
            _redis.Write(db => Task.WhenAll(slots.Select(set => db.SortedSetRemoveAsync(set, lease))));
        }
        var w = _calendar.Now(zone);
        var keys = new RedisKey[scopeKeys.Length * 6];
        for (var i = 0; i < scopeKeys.Length; i++)
        {
            WindowKeys(scopeKeys[i], w, keys, (6 * i) + 3);
            if (admittedKeys is null)
            {
                Array.Copy(keys, (6 * i) + 3, keys, 6 * i, 3);
            }
            else
            {
                Array.Copy(admittedKeys, 4 * i, keys, 6 * i, 3);
            }
        }
        var args = new RedisValue[11];
        args[0] = scopeKeys.Length;
        (args[1], args[2]) = (tokens - reserved.Tokens, costNanos - reserved.CostNanos);
        (args[3], args[4], args[5], args[6]) = (-reserved.Tokens, -reserved.CostNanos, tokens, costNanos);
        ExpiresAt(w, args, 7);
        args[10] = requests;
        _settlements.Writer.TryWrite((keys, args));
    }

    /// <summary>
    /// Sends the settlements in batches: the first one waits <see cref="SettleGather"/> for others, so that under load one
    /// script call settles many requests (one round trip and one script run instead of one per request).
    /// </summary>
    private async Task SettleLoopAsync()
    {
        var reader = _settlements.Reader;
        var batch = new List<(RedisKey[] Keys, RedisValue[] Args)>(SettleBatch);
        while (await reader.WaitToGatherAsync(SettleBatch, SettleGather, _time, _stopping.Token).ConfigureAwait(false))
        {
            while (batch.Count < SettleBatch && reader.TryRead(out var one))
            {
                batch.Add(one);
            }
            var keys = batch.SelectMany(b => b.Keys).ToArray();
            var args = batch.SelectMany(b => b.Args).ToArray();
            batch.Clear();
            _redis.Write(db => db.ScriptEvaluateAsync(SettleScript, keys, args));
        }
    }

    /// <summary>Every third of the lease time: the slots of requests still running are extended (one pipelined batch).</summary>
    private async Task RenewAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_redis.Options.LeaseTtl / 3, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                if ((_live.IsEmpty && _blocks.IsEmpty) || !_redis.Available)
                {
                    continue;
                }
                var until = _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)_redis.Options.LeaseTtl.TotalMilliseconds;
                var batch = _redis.Database.CreateBatch();
                var sent = new List<Task>();
                void Renew(RedisKey[] sets, RedisValue member)
                {
                    foreach (var set in sets)
                    {
                        sent.Add(batch.SortedSetAddAsync(set, member, until, SortedSetWhen.Exists));
                        sent.Add(batch.KeyExpireAsync(set, DateTimeOffset.FromUnixTimeMilliseconds(until).UtcDateTime, ExpireWhen.GreaterThanCurrentExpiry));
                    }
                }
                foreach (var (id, sets) in _live)
                {
                    Renew(sets, id);
                }
                foreach (var block in _blocks.Values)
                {
                    foreach (var member in block.FreeMembersNow())
                    {
                        Renew(block.SlotSets, member);
                    }
                }
                batch.Execute();
                try
                {
                    await Task.WhenAll(sent).WaitAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    // Redis is down: RedisHotState learns it on the next call; the leases are renewed on a later tick.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return; // registered under two service types: disposed once
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sweeping.ConfigureAwait(false);
        SweepBlocks(all: true); // what this instance held but did not use goes back to the others
        _settlements.Writer.TryComplete();
        await _settling.ConfigureAwait(false); // the last settlements are handed to RedisHotState, which sends or keeps them
        await _renewal.ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>A lease in Redis: its slot and reservation, settled there.</summary>
    private sealed class ClusterLease(RedisLimits owner, string id, string[] scopeKeys, RedisKey[] keys, RedisKey[] slots, Reservation reserved, TimeZoneInfo zone) : LimitLease
    {
        public override Reservation Reserved => reserved;

        protected override void OnSettle(long tokens, long costNanos) => owner.Settle(id, scopeKeys, keys, slots, reserved, tokens, costNanos, zone, requests: 0);
    }

    /// <summary>
    /// Admitted from a block: its settlement is added up in the block (given back with it) while the block is still
    /// this instance's and of this minute; otherwise the request settles alone, as a <see cref="ClusterLease"/> does.
    /// </summary>
    private sealed class BlockLease(RedisLimits owner, LimitBlock block, string member, Reservation reserved, TimeZoneInfo zone) : LimitLease
    {
        public override Reservation Reserved => reserved;

        protected override void OnSettle(long tokens, long costNanos)
        {
            owner._live.TryRemove(member, out _);
            if (!block.TryAbsorb(owner.CurrentMinute(), member, tokens - reserved.Tokens, costNanos - reserved.CostNanos))
            {
                owner.Settle(member, block.ScopeKeys, block.Keys, block.SlotSets, reserved, tokens, costNanos, zone, requests: 0);
            }
        }
    }

    /// <summary>Admitted by this instance's counters while Redis was unreachable: the usage is added to Redis when it settles (now, or when Redis is back).</summary>
    private sealed class LocallyCountedLease(RedisLimits owner, LimitLease local, string[] scopeKeys, TimeZoneInfo zone) : LimitLease
    {
        public override Reservation Reserved => local.Reserved;

        protected override void OnSettle(long tokens, long costNanos)
        {
            local.Settle(tokens, costNanos);
            owner.Settle("", scopeKeys, null, [], Reservation.None, tokens, costNanos, zone, requests: 1);
        }
    }
}
