namespace Switchyard.Tenancy;

/// <summary>
/// A tenant's request limits (<c>tenants[].limits</c>); null = unbounded. Windows are fixed: the minute, and the day in
/// <c>limits_time_zone</c>; a refusal's <c>retry-after</c> is the time until its window resets.
/// </summary>
internal sealed record TenantLimits(int? RequestsPerDay, int? Rpm, int? Concurrent)
{
    public static readonly TenantLimits None = new(null, null, null);

    public bool IsNone => this == None;
}
