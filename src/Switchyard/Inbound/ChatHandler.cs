using Switchyard.Dispatch;
using Switchyard.Observability;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;

namespace Switchyard.Inbound;

/// <summary>
/// One chat request, top to bottom: the prologue (authenticate, read, sniff, route), the canonical decode when the
/// route may translate, the attempt loop over targets and keys (retrying only before the first byte reached the
/// client), then accounting — metrics, the span, the request log line — off the client's path.
/// </summary>
internal sealed partial class ChatHandler(InboundPrologue prologue, Dispatcher dispatcher, RequestLog requestLog, GatewayMetrics metrics, TimeProvider time, ILogger<ChatHandler> logger)
{
    /// <param name="forceStream">The endpoint always streams (OpenAI's /stream alias): translation, never the byte path.</param>
    /// <param name="pathModel">The model named in the URL (Gemini).</param>
    /// <param name="pathStream">The URL asks for a stream (Gemini's streamGenerateContent).</param>
    /// <param name="expand">Rewrites the body once the caller is known (<see cref="InboundPrologue.RunAsync"/>).</param>
    public async Task HandleAsync(HttpContext http, ClientProtocol client, bool forceStream = false, string? pathModel = null, bool pathStream = false, BodyExpansion? expand = null)
    {
        metrics.RequestStarted();
        try
        {
            await HandleCoreAsync(http, client, forceStream, pathModel, pathStream, expand).ConfigureAwait(false);
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            // A bug, not bad input: answer in the client's protocol without internals, and log it.
            LogUnexpected(logger, ex);
            if (!http.Response.HasStarted)
            {
                http.Response.Clear();
                await ClientWriter.WriteErrorAsync(http, client, new GatewayError(ErrorKind.Internal, "The gateway failed to process the request."), "req_error", []).ConfigureAwait(false);
            }
            else
            {
                http.Abort();
            }
        }
        finally
        {
            metrics.RequestEnded();
        }
    }

    private async Task HandleCoreAsync(HttpContext http, ClientProtocol client, bool forceStream, string? pathModel, bool pathStream, BodyExpansion? expand)
    {
        var started = time.GetTimestamp();
        var arrived = time.GetUtcNow(); // the log row's time: when the request came, not when its accounting ran
        if (await prologue.RunAsync(http, client, pathModel, pathStream, expand: expand).ConfigureAwait(false) is not { } inbound)
        {
            return;
        }
        using var lease = inbound.Lease;
        var (snapshot, requestId, caller, user, body, sniff, route, _, decoded) = inbound;
        using var span = RequestSpans.StartRequest(client.Wire, sniff.Model, http.Request.Headers);
        var ctx = new ProxyContext(http, client, snapshot, requestId, body, sniff, forceStream, time.GetUtcNow().ToUnixTimeSeconds()) { Caller = caller, User = user };
        if (decoded is not null)
        {
            ctx.UseDecoded(decoded);
        }

        // The canonical decode: up front when a target of the route may translate, so bad input is refused before
        // any upstream is called; a route whose targets all speak the client's protocol forwards bytes and never decodes.
        if (MayTranslate(ctx, route))
        {
            try
            {
                ctx.Canonical();
            }
            catch (ProtocolException pe)
            {
                await ClientWriter.WriteErrorAsync(http, client, pe.Error, requestId, snapshot.Secrets).ConfigureAwait(false);
                Account(ctx, route, started, arrived, null, span, lease);
                return;
            }
        }

        ctx.Trail.Add($"route {route.MatchedBy} ({route.Route.Strategy})");
        if (ctx.Stream)
        {
            metrics.StreamStarted();
        }
        AttemptResult result;
        try
        {
            result = await dispatcher.DispatchAsync(ctx, route).ConfigureAwait(false);
        }
        finally
        {
            if (ctx.Stream)
            {
                metrics.StreamEnded();
            }
        }
        if (result.Status is not (AttemptStatus.Served or AttemptStatus.ClientGone))
        {
            if (ctx.LastProvider is not null)
            {
                ctx.SetDispatchHeaders(served: false);
            }
            await ClientWriter.WriteErrorAsync(http, client, result.Error ?? new GatewayError(ErrorKind.Unavailable, "No provider could serve the request."), requestId, snapshot.Secrets).ConfigureAwait(false);
        }
        Account(ctx, route, started, arrived, result, span, lease);
    }

    private static bool MayTranslate(ProxyContext ctx, ResolvedRoute route)
    {
        if (ctx.ForceStream)
        {
            return true;
        }
        foreach (var target in route.Route.Targets)
        {
            if (target.Patch is not null || !ctx.Snapshot.Config.Providers.TryGetValue(target.Provider, out var provider)
                || Providers.UpstreamCodec.WireOf(provider.Kind) != ctx.Client.Wire)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The bill (settled against the limits), metrics, the span and the request log line (written by a background writer).</summary>
    private void Account(ProxyContext ctx, ResolvedRoute route, long started, DateTimeOffset arrived, AttemptResult? result, System.Diagnostics.Activity? span, Tenancy.LimitLease lease)
    {
        var http = ctx.Http;
        var usage = result?.Usage;
        var billed = Tenancy.Pricing.Billing.Billable(result, ctx);
        var card = billed is not null && ctx.LastProvider is { } servedBy && ctx.LastModel is { } upstreamModel
            ? ctx.Snapshot.Prices.For(servedBy, upstreamModel, arrived) : null;
        long? cost = card is not null ? Tenancy.Pricing.PriceCard.ToNanos(card.Cost(billed!.Value.Usage)) : null;
        lease.Settle(billed?.Usage.TotalTokens ?? 0, cost ?? 0);
        if (billed is { Estimated: true } estimate)
        {
            ctx.Trail.Add($"billed as estimated: {estimate.Usage.InputTokens} input + {estimate.Usage.OutputTokens} output tokens (no usage report)");
        }
        var counted = billed?.Usage;
        // One masked copy of the body serves both logs that may want it (the file log's log_bodies, the tenant's capture).
        var capture = ctx.Caller?.Tenant.CaptureBodies == true;
        var body = capture || requestLog.LogsBodies ? Tenancy.BodyCapture.Of(ctx.Body, ctx.Snapshot.Secrets) : null;
        var elapsed = time.GetElapsedTime(started).TotalMilliseconds;
        var routeName = route.Route.Model.Length > 0 ? route.Route.Model : route.MatchedBy;
        var status = http.Response.StatusCode;
        Record(ctx.Client, routeName, ctx, status, elapsed, usage);
        RequestSpans.EndRequest(span, routeName, ctx.LastProvider, ctx.LastModel, status, ctx.Attempts, usage, result?.FinishReason,
            ctx.LastProvider is { } p && ctx.Snapshot.Config.Providers.TryGetValue(p, out var served) ? served.Kind : null);
        requestLog.Write(new RequestLogEntry(arrived, ctx.RequestId, ctx.Client.Wire, ctx.Sniff.Model, status, ctx.Attempts,
            ctx.Trail, elapsed, counted?.InputTokens ?? 0, counted?.OutputTokens ?? 0)
        {
            CachedTokens = counted?.CacheReadTokens ?? 0,
            CacheWriteTokens = counted?.CacheWriteTokens ?? 0,
            ReasoningTokens = counted?.ReasoningTokens ?? 0,
            CostNanos = cost,
            PriceVersion = card?.Version,
            User = ctx.User,
            Route = routeName,
            Provider = ctx.LastProvider,
            UpstreamModel = ctx.LastModel,
            Key = ctx.LastKey,
            Tenant = ctx.Caller?.Tenant.Name,
            Error = result is { Status: not (AttemptStatus.Served or AttemptStatus.ClientGone), Error: { } failed } ? ClientWriter.Redact(failed.Message, ctx.Snapshot.Secrets) : null,
            TenantKey = ctx.Caller?.Key,
            TtfbMs = ctx.LastTtfb?.TotalMilliseconds,
            CapturedBody = capture ? body : null,
            Body = requestLog.LogsBodies ? body : null,
        });
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var trail = string.Join("; ", ctx.Trail);
            LogRequest(logger, ctx.RequestId, ctx.Client.Wire, ctx.Sniff.Model, status, ctx.Attempts, trail, elapsed, usage?.InputTokens ?? 0, usage?.OutputTokens ?? 0);
        }
    }

    private void Record(ClientProtocol client, string route, ProxyContext ctx, int status, double elapsedMs, Usage? usage)
    {
        var protocol = new KeyValuePair<string, object?>("protocol", WireNames.Of(client.Wire));
        var provider = new KeyValuePair<string, object?>("provider", ctx.LastProvider ?? "none");
        var model = new KeyValuePair<string, object?>("model", ctx.LastModel ?? "");
        var statusTag = new KeyValuePair<string, object?>("status", GatewayMetrics.StatusLabel(status));
        metrics.Requests.Add(1, protocol, new KeyValuePair<string, object?>("route", route), provider, model, statusTag);
        metrics.Duration.Record(elapsedMs / 1000, protocol, provider, statusTag);
        metrics.Overhead.Record(Math.Max(0, elapsedMs - ctx.UpstreamTime.TotalMilliseconds) / 1000, protocol);
        if (usage is { } u)
        {
            metrics.Tokens.Add(u.InputTokens, new("kind", "input"), provider, model);
            metrics.Tokens.Add(u.OutputTokens, new("kind", "output"), provider, model);
            metrics.Tokens.Add(u.CacheReadTokens, new("kind", "cached"), provider, model);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{RequestId} {Protocol} model={Model} status={Status} attempts={Attempts} [{Trail}] {ElapsedMs:0.0}ms tokens={InputTokens}/{OutputTokens}")]
    private static partial void LogRequest(ILogger logger, string requestId, WireProtocol protocol, string model, int status, int attempts, string trail, double elapsedMs, int inputTokens, int outputTokens);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure while proxying a request")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}
