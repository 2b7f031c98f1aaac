using System.Diagnostics;
using Switchyard.Config;
using Switchyard.Endpoints;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;
using Switchyard.Tenancy;

namespace Switchyard.Dispatch;

/// <summary>
/// The hot path of one chat request: authenticate, read and sniff the body, route, then try targets and keys in
/// order until one serves — retrying only before the first byte has reached the client.
/// </summary>
internal sealed partial class ProxyHandler(ConfigHolder config, Dispatcher dispatcher, Observability.RequestLog requestLog, Observability.GatewayMetrics metrics, TimeProvider time, ILogger<ProxyHandler> logger)
{
    /// <param name="forceStream">The endpoint always streams (OpenAI's /stream alias): translation, never the byte path.</param>
    /// <param name="pathModel">The model named in the URL (Gemini).</param>
    /// <param name="pathStream">The URL asks for a stream (Gemini's streamGenerateContent).</param>
    public async Task HandleAsync(HttpContext http, ClientProtocol client, bool forceStream = false, string? pathModel = null, bool pathStream = false)
    {
        metrics.InFlight.Add(1);
        try
        {
            await HandleCoreAsync(http, client, forceStream, pathModel, pathStream).ConfigureAwait(false);
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
            metrics.InFlight.Add(-1);
        }
    }

    private async Task HandleCoreAsync(HttpContext http, ClientProtocol client, bool forceStream, string? pathModel, bool pathStream)
    {
        var started = time.GetTimestamp();
        var snapshot = config.Current;
        var requestId = RequestIds.Next();
        http.Response.Headers["x-request-id"] = requestId;

        if (!GatewayAuth.IsAuthorized(http, snapshot.Config.Auth))
        {
            await Fail(new GatewayError(ErrorKind.Authentication, "Invalid or missing gateway API key."));
            return;
        }
        byte[] body;
        RequestSniff sniff;
        try
        {
            body = await RequestBody.ReadAsync(http.Request, snapshot.Config.Server.MaxRequestBodyBytes, http.RequestAborted).ConfigureAwait(false);
            sniff = client.Sniff(body, pathModel, pathStream);
        }
        catch (ProtocolException pe)
        {
            await Fail(pe.Error);
            return;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
        {
            return; // the client went away while sending
        }
        var route = snapshot.Routes.Resolve(sniff.Model);
        if (route is null)
        {
            await Fail(new GatewayError(ErrorKind.NotFound, $"No route matches the model '{sniff.Model}'.") { Param = "model" });
            return;
        }

        using var span = Observability.RequestSpans.StartRequest(client.Wire, sniff.Model);
        var ctx = new ProxyContext(http, client, snapshot, requestId, body, sniff, forceStream, time.GetUtcNow().ToUnixTimeSeconds());
        ctx.Trail.Add($"route {route.MatchedBy} ({route.Route.Strategy})");
        if (ctx.Stream)
        {
            metrics.InFlightStreams.Add(1);
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
                metrics.InFlightStreams.Add(-1);
            }
        }
        if (result.Status is not (AttemptStatus.Served or AttemptStatus.ClientGone))
        {
            if (ctx.LastProvider is not null)
            {
                ClientWriter.SetDispatchHeaders(ctx, served: false);
            }
            await ClientWriter.WriteErrorAsync(http, client, result.Error ?? new GatewayError(ErrorKind.Unavailable, "No provider could serve the request."), requestId, snapshot.Secrets).ConfigureAwait(false);
        }
        var elapsed = time.GetElapsedTime(started).TotalMilliseconds;
        Record(client, route, ctx, http.Response.StatusCode, elapsed, result.Usage);
        Observability.RequestSpans.EndRequest(span, route.Route.Model.Length > 0 ? route.Route.Model : route.MatchedBy, ctx.LastProvider, ctx.LastModel,
            http.Response.StatusCode, ctx.Attempts, result.Usage, result.FinishReason,
            ctx.LastProvider is { } p && snapshot.Config.Providers.TryGetValue(p, out var served) ? served.Kind : null);
        // The request log line is formatted and written off the request's path; the console gets it only at Debug.
        requestLog.Write(new Observability.RequestLogEntry(time.GetUtcNow(), requestId, client.Wire, sniff.Model, http.Response.StatusCode, ctx.Attempts,
            ctx.Trail, elapsed, result.Usage?.InputTokens ?? 0, result.Usage?.OutputTokens ?? 0)
        {
            Route = route.Route.Model.Length > 0 ? route.Route.Model : route.MatchedBy,
            Provider = ctx.LastProvider,
            UpstreamModel = ctx.LastModel,
            Key = ctx.LastKey,
            TtfbMs = ctx.LastTtfb?.TotalMilliseconds,
            Body = requestLog.LogsBodies ? ClientWriter.Redact(System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 64 * 1024)), snapshot.Secrets) : null,
        });
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var trail = string.Join("; ", ctx.Trail);
            LogRequest(logger, requestId, client.Wire, sniff.Model, http.Response.StatusCode, ctx.Attempts, trail, elapsed,
                result.Usage?.InputTokens ?? 0, result.Usage?.OutputTokens ?? 0);
        }

        Task Fail(GatewayError error)
        {
            LogRejected(logger, requestId, client.Wire, error.Kind, error.Message);
            return ClientWriter.WriteErrorAsync(http, client, error, requestId, snapshot.Secrets);
        }
    }

    private void Record(ClientProtocol client, ResolvedRoute route, ProxyContext ctx, int status, double elapsedMs, Usage? usage)
    {
        var protocol = new KeyValuePair<string, object?>("protocol", client.Wire.ToString().ToLowerInvariant());
        var provider = new KeyValuePair<string, object?>("provider", ctx.LastProvider ?? "none");
        var model = new KeyValuePair<string, object?>("model", ctx.LastModel ?? "");
        var statusTag = new KeyValuePair<string, object?>("status", status);
        metrics.Requests.Add(1, protocol, new KeyValuePair<string, object?>("route", route.Route.Model.Length > 0 ? route.Route.Model : route.MatchedBy), provider, model, statusTag);
        metrics.Duration.Record(elapsedMs / 1000, protocol, provider, statusTag);
        metrics.Overhead.Record(Math.Max(0, elapsedMs - ctx.UpstreamTime.TotalMilliseconds) / 1000, protocol);
        if (usage is { } u)
        {
            metrics.Tokens.Add(u.InputTokens, new("kind", "input"), provider, model);
            metrics.Tokens.Add(u.OutputTokens, new("kind", "output"), provider, model);
            metrics.Tokens.Add(u.CacheReadTokens, new("kind", "cached"), provider, model);
        }
    }

    /// <summary>Answers a request the endpoint itself refuses, in the client's protocol.</summary>
    public Task RejectAsync(HttpContext http, ClientProtocol client, GatewayError error) =>
        ClientWriter.WriteErrorAsync(http, client, error, RequestIds.Next(), config.Current.Secrets);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{RequestId} {Protocol} model={Model} status={Status} attempts={Attempts} [{Trail}] {ElapsedMs:0.0}ms tokens={InputTokens}/{OutputTokens}")]
    private static partial void LogRequest(ILogger logger, string requestId, WireProtocol protocol, string model, int status, int attempts, string trail, double elapsedMs, int inputTokens, int outputTokens);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure while proxying a request")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{RequestId} {Protocol} rejected: {Kind} {Reason}")]
    private static partial void LogRejected(ILogger logger, string requestId, WireProtocol protocol, ErrorKind kind, string reason);
}
