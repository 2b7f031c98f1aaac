using System.Collections.Concurrent;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Tenancy;

/// <summary>
/// The counters behind <see cref="TenantLimits"/> on this instance: per tenant, the requests of the current minute and
/// day and the requests in flight. A check and its increment happen under one lock, so N concurrent requests against
/// a limit of M serve exactly min(N, M) — never a few more because they raced.
/// </summary>
internal sealed class LimitCounters(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Counters> _byTenant = new(StringComparer.Ordinal);

    internal sealed class Counters
    {
        public readonly Lock Gate = new();
        public DateTimeOffset MinuteStart;
        public int MinuteRequests;
        public DateTimeOffset DayStart;
        public int DayRequests;
        public int InFlight;
    }

    /// <summary>Admits one request of <paramref name="tenant"/>, or says which limit refuses it and for how long.</summary>
    /// <returns>A lease to dispose when the request ends (it holds a concurrency slot), or the refusal.</returns>
    public (LimitLease? Lease, GatewayError? Refusal) Admit(string tenant, TenantLimits limits, TimeZoneInfo zone)
    {
        if (limits.IsNone)
        {
            return (LimitLease.Unlimited, null);
        }
        var now = time.GetUtcNow();
        var minute = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
        var day = DayStart(now, zone);
        var c = _byTenant.GetOrAdd(tenant, _ => new Counters());
        lock (c.Gate)
        {
            if (c.MinuteStart != minute)
            {
                (c.MinuteStart, c.MinuteRequests) = (minute, 0);
            }
            if (c.DayStart != day)
            {
                (c.DayStart, c.DayRequests) = (day, 0);
            }
            if (limits.Concurrent is { } concurrent && c.InFlight >= concurrent)
            {
                return (null, Refuse(tenant, $"{concurrent} concurrent requests", TimeSpan.FromSeconds(1)));
            }
            if (limits.Rpm is { } rpm && c.MinuteRequests >= rpm)
            {
                return (null, Refuse(tenant, $"{rpm} requests per minute", minute.AddMinutes(1) - now));
            }
            if (limits.RequestsPerDay is { } perDay && c.DayRequests >= perDay)
            {
                return (null, Refuse(tenant, $"{perDay} requests per day ({zone.Id})", NextDayStart(day, zone) - now));
            }
            c.MinuteRequests++;
            c.DayRequests++;
            c.InFlight++;
        }
        return (new LimitLease(c), null);
    }

    private static GatewayError Refuse(string tenant, string limit, TimeSpan retry)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
        return new GatewayError(ErrorKind.RateLimit, $"The tenant '{tenant}' reached its limit of {limit}; retry in {seconds} s.")
        {
            RetryAfter = TimeSpan.FromSeconds(seconds),
            Code = "tenant_limit_exceeded",
        };
    }

    /// <summary>Midnight of <paramref name="now"/>'s day in <paramref name="zone"/>, as an instant.</summary>
    internal static DateTimeOffset DayStart(DateTimeOffset now, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var midnight = local.Date;
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight));
    }

    private static DateTimeOffset NextDayStart(DateTimeOffset dayStart, TimeZoneInfo zone)
    {
        var next = TimeZoneInfo.ConvertTime(dayStart, zone).Date.AddDays(1);
        return new DateTimeOffset(next, zone.GetUtcOffset(next));
    }

    /// <summary>A request's concurrency slot, given back once (by the handler, when the request ends).</summary>
    internal sealed class LimitLease : IDisposable
    {
        public static readonly LimitLease Unlimited = new(null);
        private Counters? _counters;

        internal LimitLease(Counters? counters) => _counters = counters;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _counters, null) is { } c)
            {
                lock (c.Gate)
                {
                    c.InFlight--;
                }
            }
        }
    }
}
