namespace Switchyard.Tenancy;

/// <summary>
/// Limits of a tenant, a virtual key or an end user (<c>limits:</c>, <c>user_limits:</c>); null = unbounded. Windows are
/// fixed: the minute, and the day and month in <c>limits_time_zone</c>; a refusal's <c>retry-after</c> is the time
/// until its window resets. Tokens are input + output as the upstream reports them.
/// </summary>
internal sealed record UsageLimits(int? RequestsPerDay, int? Rpm, int? Concurrent)
{
    public static readonly UsageLimits None = new(null, null, null);

    public long? TokensPerDay { get; init; }
    public long? Tpm { get; init; }
    public decimal? BudgetUsdPerDay { get; init; }
    public decimal? BudgetUsdPerMonth { get; init; }

    public bool IsNone => this == None;

    /// <summary>Whether a request must reserve its estimated tokens or cost before it is sent.</summary>
    public bool CountsTokens => TokensPerDay is not null || Tpm is not null;
    public bool CountsSpend => BudgetUsdPerDay is not null || BudgetUsdPerMonth is not null;
}
