using StackExchange.Redis;
using Switchyard.Tenancy;

namespace Switchyard.Cluster;

/// <summary>
/// Requests that one admission in Redis took for this instance at once, while every limit of their scopes had room for
/// them 64 times over: counted, reserved and given their concurrency slots there already, so this instance admits
/// them without a round trip. The settlements of the requests it admitted are added up here and go to Redis with what
/// the block did not use when it is given back — when it cannot admit the next request, has been idle for a second,
/// its minute is over, or the instance stops. Near a limit there are no blocks (one request per admission: exact);
/// what blocks hold unused is at most a 64th of what was left when each was taken, and for at most a second of quiet.
/// </summary>
internal sealed class LimitBlock
{
    private readonly Lock _gate = new();
    private readonly string _lease;
    private readonly Stack<string>? _free; // slot members not in use; null when no scope limits concurrency
    private long _requests, _tokens, _cost; // what is left to admit
    private long _settledTokens, _settledCost; // settled requests' use minus their reservations
    private long _lastUsed;
    private bool _closed;

    /// <param name="granted">Requests the admission took; the first is the admitting request's, the rest the block's.</param>
    public LimitBlock(string lease, string[] scopeKeys, RedisKey[] keys, RedisKey[] slotSets, long minute, long granted, Reservation each, long timestamp)
    {
        (_lease, ScopeKeys, Keys, SlotSets, Minute, _lastUsed) = (lease, scopeKeys, keys, slotSets, minute, timestamp);
        _requests = granted - 1;
        _tokens = each.Tokens * _requests;
        _cost = each.CostNanos * _requests;
        if (slotSets.Length > 0)
        {
            _free = new Stack<string>((int)_requests);
            for (var j = granted; j >= 2; j--)
            {
                _free.Push($"{lease}:{j}");
            }
        }
    }

    public string[] ScopeKeys { get; }

    /// <summary>The admission's keys (4 a scope: minute, day and month hashes, in-flight set).</summary>
    public RedisKey[] Keys { get; }

    /// <summary>The in-flight sets its slot members are in (those of the scopes that limit concurrency).</summary>
    public RedisKey[] SlotSets { get; }

    /// <summary>The minute it was taken in (Unix seconds of its start).</summary>
    public long Minute { get; }

    public long LastUsed => Volatile.Read(ref _lastUsed);

    /// <summary>Admits one request if what is left covers it: the slot member it holds (without slots, the block's lease); null if not.</summary>
    public string? TryTake(long minute, Reservation need, long timestamp)
    {
        lock (_gate)
        {
            if (_closed || minute != Minute || _requests < 1 || _tokens < need.Tokens || _cost < need.CostNanos || _free is { Count: 0 })
            {
                return null;
            }
            _requests--;
            _tokens -= need.Tokens;
            _cost -= need.CostNanos;
            Volatile.Write(ref _lastUsed, timestamp);
            return _free?.Pop() ?? _lease;
        }
    }

    /// <summary>A request it admitted ended: its use is added here and its slot is free again — false when the block was given back or its minute is over.</summary>
    public bool TryAbsorb(long minute, string member, long tokensOverReserved, long costOverReserved)
    {
        lock (_gate)
        {
            if (_closed || minute != Minute)
            {
                return false;
            }
            _settledTokens += tokensOverReserved;
            _settledCost += costOverReserved;
            _free?.Push(member);
            return true;
        }
    }

    /// <summary>Its slot members not in use now (renewed while it is held).</summary>
    public string[] FreeMembersNow()
    {
        lock (_gate)
        {
            return _free?.ToArray() ?? [];
        }
    }

    /// <summary>Once: closed, and what to give back — requests not admitted, token and cost corrections, free slot members.</summary>
    public (long Requests, long Tokens, long Cost, string[] FreeMembers)? Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return null;
            }
            _closed = true;
            var free = _free?.ToArray() ?? [];
            _free?.Clear();
            return (_requests, _settledTokens - _tokens, _settledCost - _cost, free);
        }
    }
}
