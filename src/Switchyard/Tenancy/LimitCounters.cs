using System.Collections.Concurrent;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;
using Switchyard.Tenancy.Pricing;

namespace Switchyard.Tenancy;

internal enum ScopeKind : byte { Tenant, Key, User }

/// <summary>Whose limits a request counts against: its tenant, its virtual key, its end user (each only when it has limits).</summary>
/// <param name="Owner">The tenant's name; the key's id; the end user's tenant.</param>
/// <param name="Name">Empty for a tenant; the key's prefix; the end user.</param>
internal readonly record struct LimitScope(ScopeKind Kind, string Owner, string Name, UsageLimits Limits)
{
    public static LimitScope Tenant(TenantConfig tenant) => new(ScopeKind.Tenant, tenant.Name, "", tenant.Limits);

    /// <summary>How refusals name it.</summary>
    public string Label => Kind switch
    {
        ScopeKind.Tenant => $"The tenant '{Owner}'",
        ScopeKind.Key => $"The key {Name}",
        _ => $"The end user '{Name}' of the tenant '{Owner}'",
    };
}

/// <summary>What a request may use at most, held against token limits and budgets until it settles.</summary>
internal readonly record struct Reservation(long Tokens, long CostNanos)
{
    public static Reservation None => default;
}

/// <summary>What a scope has used in its current windows, as a limit check reads it.</summary>
internal readonly record struct LimitUsage(long InFlight, long MinuteRequests, long DayRequests, long MinuteTokens, long DayTokens, long DayCostNanos, long MonthCostNanos);

/// <summary>
/// A request's place under its limits: its concurrency slot and its reservation. <see cref="Settle"/> replaces the
/// reservation by the real usage; disposing without settling releases it (a request that was not served costs nothing).
/// </summary>
internal abstract class LimitLease : IDisposable
{
    /// <summary>For a request no limit counts.</summary>
    public static readonly LimitLease Unlimited = new NoLease();

    private int _settled;

    public abstract Reservation Reserved { get; }

    /// <summary>Once: the request used <paramref name="tokens"/> (input + output) costing <paramref name="costNanos"/>.</summary>
    public void Settle(long tokens, long costNanos)
    {
        if (Interlocked.Exchange(ref _settled, 1) == 0)
        {
            OnSettle(tokens, costNanos);
        }
    }

    protected abstract void OnSettle(long tokens, long costNanos);

    public void Dispose() => Settle(0, 0);

    private sealed class NoLease : LimitLease
    {
        public override Reservation Reserved => Reservation.None;
        protected override void OnSettle(long tokens, long costNanos) { }
    }
}

/// <summary>Where limits are counted: this instance's memory (<see cref="LimitCounters"/>), or Redis shared by a cluster.</summary>
internal interface ILimitGate
{
    /// <summary>Admits a request against all its scopes, reserving <paramref name="reserve"/>; or says which limit refuses it and for how long.</summary>
    ValueTask<(LimitLease? Lease, GatewayError? Refusal)> AdmitAsync(LimitScope[] scopes, Reservation reserve, TimeZoneInfo zone, CancellationToken ct);
}

/// <summary>The fixed windows a moment falls in: its minute, and its day and month in the limits' time zone.</summary>
internal readonly record struct LimitWindows(DateTimeOffset Now, DateTimeOffset Minute, DateTimeOffset Day, DateTimeOffset Month, TimeZoneInfo Zone)
{
    public DateTimeOffset NextDay { get; init; }
    public DateTimeOffset NextMinute => Minute.AddMinutes(1);
    public DateTimeOffset NextMonth => ZonedCalendar.NextMonthStart(Now, Zone);
}

/// <summary>Finds the windows of now; time zones are converted once a day, not twice a request.</summary>
internal sealed class LimitCalendar(TimeProvider time)
{
    private sealed record CalendarDay(TimeZoneInfo Zone, DateTimeOffset Start, DateTimeOffset End, DateTimeOffset Month);

    private CalendarDay? _day;

    public LimitWindows Now(TimeZoneInfo zone)
    {
        var now = time.GetUtcNow();
        var day = _day;
        if (day is null || day.Zone != zone || now < day.Start || now >= day.End)
        {
            _day = day = new CalendarDay(zone, ZonedCalendar.DayStart(now, zone), ZonedCalendar.NextDayStart(now, zone), ZonedCalendar.MonthStart(now, zone));
        }
        return new LimitWindows(now, new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero), day.Start, day.Month, zone) { NextDay = day.End };
    }
}

/// <summary>The one rule of what refuses a request, whichever store counted: checked in this order, named in the refusal.</summary>
internal static class LimitCheck
{
    public static GatewayError? Refusal(in LimitScope s, in LimitUsage c, Reservation reserve, in LimitWindows w)
    {
        var l = s.Limits;
        var zone = w.Zone; // the window's words are made only for a refusal
        string day() => $"per day ({zone.Id})";
        if (l.Concurrent is { } concurrent && c.InFlight >= concurrent)
        {
            return Refuse(s, $"{concurrent} concurrent requests", TimeSpan.FromSeconds(1));
        }
        if (l.Rpm is { } rpm && c.MinuteRequests >= rpm)
        {
            return Refuse(s, $"{rpm} requests per minute", w.NextMinute - w.Now);
        }
        if (l.RequestsPerDay is { } perDay && c.DayRequests >= perDay)
        {
            return Refuse(s, $"{perDay} requests {day()}", w.NextDay - w.Now);
        }
        if (l.Tpm is { } tpm && c.MinuteTokens + reserve.Tokens > tpm)
        {
            return Refuse(s, $"{tpm} tokens per minute{Reserving(reserve.Tokens, "tokens")}", w.NextMinute - w.Now);
        }
        if (l.TokensPerDay is { } tokensPerDay && c.DayTokens + reserve.Tokens > tokensPerDay)
        {
            return Refuse(s, $"{tokensPerDay} tokens {day()}{Reserving(reserve.Tokens, "tokens")}", w.NextDay - w.Now);
        }
        if (l.BudgetUsdPerDay is { } budgetDay && c.DayCostNanos + reserve.CostNanos > PriceCard.ToNanos(budgetDay))
        {
            return Refuse(s, $"a budget of ${budgetDay} {day()}{Reserving(reserve.CostNanos, "USD")}", w.NextDay - w.Now, "budget_exceeded");
        }
        if (l.BudgetUsdPerMonth is { } budgetMonth && c.MonthCostNanos + reserve.CostNanos > PriceCard.ToNanos(budgetMonth))
        {
            return Refuse(s, $"a budget of ${budgetMonth} per month ({w.Zone.Id}){Reserving(reserve.CostNanos, "USD")}", w.NextMonth - w.Now, "budget_exceeded");
        }
        return null;
    }

    private static string Reserving(long amount, string unit) => amount <= 0 ? ""
        : unit == "USD" ? $" (this request may cost up to ${PriceCard.FromNanos(amount):0.######})"
        : $" (this request may use up to {amount} tokens)";

    private static GatewayError Refuse(in LimitScope scope, string limit, TimeSpan retry, string code = "tenant_limit_exceeded")
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(retry.TotalSeconds));
        return new GatewayError(ErrorKind.RateLimit, $"{scope.Label} reached its limit of {limit}; retry in {seconds} s.")
        {
            RetryAfter = TimeSpan.FromSeconds(seconds),
            Code = code,
        };
    }
}

/// <summary>
/// The counters behind <see cref="UsageLimits"/> on this instance, per scope: requests and tokens of the current minute,
/// requests, tokens and spend of the current day, spend of the current month, requests in flight. A request's check
/// and its increments happen under the locks of all its scopes (taken in the scopes' order, tenant → key → user), so
/// N concurrent requests against a limit of M serve exactly min(N, M) — never a few more because they raced. Tokens
/// and spend are reserved at admission (the estimated maximum) and settled to the real usage when the request ends.
/// </summary>
internal sealed class LimitCounters(TimeProvider time) : ILimitGate
{
    private readonly LimitCalendar _calendar = new(time);
    private const int SweepAbove = 50_000;
    private readonly ConcurrentDictionary<(ScopeKind, string, string), Counters> _byScope = new();
    private DateTimeOffset _sweptAt = DateTimeOffset.MinValue;

    internal sealed class Counters
    {
        public readonly Lock Gate = new();
        public DateTimeOffset MinuteStart, DayStart, MonthStart;
        public int MinuteRequests, DayRequests, InFlight;
        public long MinuteTokens, DayTokens, DayCostNanos, MonthCostNanos;

        /// <summary>Starts new windows that have begun since the last request (under <see cref="Gate"/>).</summary>
        public void Roll(in LimitWindows w)
        {
            if (MinuteStart != w.Minute)
            {
                (MinuteStart, MinuteRequests, MinuteTokens) = (w.Minute, 0, 0);
            }
            if (DayStart != w.Day)
            {
                (DayStart, DayRequests, DayTokens, DayCostNanos) = (w.Day, 0, 0, 0);
            }
            if (MonthStart != w.Month)
            {
                (MonthStart, MonthCostNanos) = (w.Month, 0);
            }
        }

        public LimitUsage Usage => new(InFlight, MinuteRequests, DayRequests, MinuteTokens, DayTokens, DayCostNanos, MonthCostNanos);
    }

    public ValueTask<(LimitLease? Lease, GatewayError? Refusal)> AdmitAsync(LimitScope[] scopes, Reservation reserve, TimeZoneInfo zone, CancellationToken ct) =>
        ValueTask.FromResult(Admit(scopes, reserve, zone));

    /// <summary>Admits one request against all its scopes, reserving <paramref name="reserve"/>; or says which limit refuses it and for how long.</summary>
    /// <returns>A lease to settle (or dispose) when the request ends, or the refusal.</returns>
    public (LimitLease? Lease, GatewayError? Refusal) Admit(ReadOnlySpan<LimitScope> scopes, Reservation reserve, TimeZoneInfo zone)
    {
        var limited = 0;
        foreach (var s in scopes)
        {
            limited += s.Limits.IsNone ? 0 : 1;
        }
        if (limited == 0)
        {
            return (LimitLease.Unlimited, null);
        }
        if (_byScope.Count > SweepAbove && time.GetUtcNow() - _sweptAt > TimeSpan.FromMinutes(1))
        {
            Sweep();
        }
        var w = _calendar.Now(zone);
        var counters = new Counters[limited];
        var j = 0;
        foreach (var s in scopes)
        {
            if (!s.Limits.IsNone)
            {
                counters[j++] = _byScope.GetOrAdd((s.Kind, s.Owner, s.Name), _ => new Counters());
            }
        }
        var held = 0;
        try
        {
            for (; held < counters.Length; held++)
            {
                counters[held].Gate.Enter();
            }
            j = 0;
            foreach (var s in scopes)
            {
                if (s.Limits.IsNone)
                {
                    continue;
                }
                var c = counters[j++];
                c.Roll(w);
                if (LimitCheck.Refusal(s, c.Usage, reserve, w) is { } refusal)
                {
                    return (null, refusal);
                }
            }
            foreach (var c in counters)
            {
                c.MinuteRequests++;
                c.DayRequests++;
                c.InFlight++;
                c.MinuteTokens += reserve.Tokens;
                c.DayTokens += reserve.Tokens;
                c.DayCostNanos += reserve.CostNanos;
                c.MonthCostNanos += reserve.CostNanos;
            }
        }
        finally
        {
            while (held > 0)
            {
                counters[--held].Gate.Exit();
            }
        }
        return (new LocalLease(this, counters, reserve, w), null);
    }

    /// <summary>Settles a lease: its reservation is replaced by what the request used (in the window it is settled in).</summary>
    private void Settle(Counters[] counters, Reservation reserved, in LimitWindows admitted, long tokens, long costNanos)
    {
        var w = _calendar.Now(admitted.Zone);
        foreach (var c in counters)
        {
            lock (c.Gate)
            {
                c.Roll(w);
                c.InFlight--;
                // A reservation lives in the windows it was made in: when those have passed it vanished with them.
                c.MinuteTokens += tokens - (c.MinuteStart == admitted.Minute ? reserved.Tokens : 0);
                c.DayTokens += tokens - (c.DayStart == admitted.Day ? reserved.Tokens : 0);
                c.DayCostNanos += costNanos - (c.DayStart == admitted.Day ? reserved.CostNanos : 0);
                c.MonthCostNanos += costNanos - (c.MonthStart == admitted.Month ? reserved.CostNanos : 0);
            }
        }
    }

    /// <summary>Forgets scopes nothing has used today (end users come and go): memory stays bounded.</summary>
    private void Sweep()
    {
        _sweptAt = time.GetUtcNow();
        var yesterday = _sweptAt.AddDays(-1);
        foreach (var (id, c) in _byScope)
        {
            lock (c.Gate)
            {
                if (c.InFlight == 0 && c.DayStart < yesterday && (c.MonthCostNanos == 0 || c.MonthStart < yesterday.AddDays(-31)))
                {
                    _byScope.TryRemove(id, out _);
                }
            }
        }
    }

    /// <summary>A lease on this instance's counters.</summary>
    private sealed class LocalLease(LimitCounters owner, Counters[] counters, Reservation reserved, LimitWindows admitted) : LimitLease
    {
        public override Reservation Reserved => reserved;

        protected override void OnSettle(long tokens, long costNanos) => owner.Settle(counters, reserved, admitted, tokens, costNanos);
    }
}
