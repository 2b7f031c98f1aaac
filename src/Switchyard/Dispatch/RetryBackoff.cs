using Switchyard.Config;

namespace Switchyard.Dispatch;

/// <summary>The wait before trying again after a provider-level failure: exponential, full jitter, within the deadline.</summary>
internal sealed class RetryBackoff(TimeProvider time, Random random)
{
    /// <returns>False when waiting would pass the route's deadline (nothing more may be tried).</returns>
    public async Task<bool> WaitAsync(ProxyContext ctx, RetryPolicy policy, DateTimeOffset startedAt)
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
            try
            {
                await Task.Delay(delay, time, ctx.Aborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false; // the client left while we waited
            }
        }
        return true;
    }
}
