using Switchyard.Config;
using Switchyard.Protocols.Canonical;
using Switchyard.Providers.Mock;

namespace Switchyard.Dispatch;

/// <summary>One try against the in-process mock provider: its canonical answer goes through the same relay.</summary>
internal sealed class MockAttempt(MockProvider mock) : IUpstreamAttempt
{
    public async Task<AttemptResult> RunAsync(ProxyContext ctx, ProviderConfig provider, UpstreamKey? key, string upstreamModel, RequestPatch? patch)
    {
        ChatRequest request;
        try
        {
            request = ctx.Patched(patch);
        }
        catch (ProtocolException pe)
        {
            return new AttemptResult(AttemptStatus.Fail, pe.Error);
        }
        MockOutcome outcome;
        try
        {
            outcome = await mock.RespondAsync(request, upstreamModel, ctx.Http.Request.Headers[MockProvider.FaultHeader], ctx.Http.Abort, ctx.Aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.Aborted.IsCancellationRequested)
        {
            return AttemptResult.Gone;
        }
        switch (outcome)
        {
            case MockOutcome.Failure f:
                return AttemptResult.FromError(f.Error);
            case MockOutcome.Reply r:
                return await CanonicalRelay.WriteResponseAsync(ctx, r.Response).ConfigureAwait(false);
            case MockOutcome.Stream s:
                return await CanonicalRelay.RelayStreamAsync(ctx, s.Events, provider).ConfigureAwait(false);
            default:
                ctx.Http.Abort();
                return AttemptResult.Gone;
        }
    }
}
