using Switchyard.Dispatch;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Tenancy.Pricing;

/// <summary>
/// The billing policy (README, "Billing"): what a request is billed for.
/// <list type="bullet">
/// <item>Served: the usage the upstream reported (cache reads and writes priced as such, reasoning as output).</item>
/// <item>Cut by the client mid-answer: what the upstream reported by then; without a report, the input estimated from
/// the request and the output estimated from what was relayed.</item>
/// <item>Served without any usage report: estimated the same way.</item>
/// <item>Refused, failed at the upstream (also when the upstream broke off a stream with an error): nothing.</item>
/// </list>
/// </summary>
internal static class Billing
{
    /// <summary>The usage billed, and whether it was estimated; null when nothing is billed.</summary>
    public static (Usage Usage, bool Estimated)? Billable(AttemptResult? result, ProxyContext ctx)
    {
        if (result is not { Status: AttemptStatus.Served or AttemptStatus.ClientGone } r || ctx.FailedMidStream)
        {
            return null;
        }
        var reported = r.Usage ?? ctx.RelayedUsage;
        var complete = r.Status == AttemptStatus.Served || r.Usage is not null;
        if (reported is not null && (complete || reported.OutputTokens >= ctx.RelayedOutputTokens))
        {
            return (reported, false);
        }
        // No report, or one from the start of a stream (Anthropic's message_start: the prompt and one output token).
        var estimated = new Usage
        {
            InputTokens = reported is { InputTokens: > 0 } ? reported.InputTokens : EstimateInput(ctx.Body.Length),
            CacheReadTokens = reported?.CacheReadTokens ?? 0,
            CacheWriteTokens = reported?.CacheWriteTokens ?? 0,
            OutputTokens = Math.Max(reported?.OutputTokens ?? 0, ctx.RelayedOutputTokens),
        };
        return (estimated, true);
    }

    /// <summary>About 4 bytes of request body a token: the estimate reservations and unreported usage use.</summary>
    public static int EstimateInput(int bodyBytes) => (bodyBytes + 3) / 4;
}
