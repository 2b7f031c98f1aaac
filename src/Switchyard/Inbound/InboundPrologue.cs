using Switchyard.Config;
using Switchyard.Observability;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;
using Switchyard.Tenancy;

namespace Switchyard.Inbound;

/// <summary>What every client endpoint knows once its prologue has passed.</summary>
/// <param name="Lease">The request's place under its tenant's limits: the handler disposes it when the request ends.</param>
internal sealed record InboundRequest(GatewaySnapshot Snapshot, string RequestId, Caller Caller, byte[] Body, RequestSniff Sniff, ResolvedRoute Route, IDisposable Lease);

/// <summary>
/// The one prologue every client endpoint runs: authenticate (the caller's tenant) → read the body → sniff it → the
/// tenant may use that model → the tenant's limits admit it (token counts are free) → route the model name. A refusal
/// is answered here, in the client's protocol, and yields null.
/// </summary>
internal sealed partial class InboundPrologue(ConfigHolder config, VirtualKeys virtualKeys, LimitCounters limits, RequestLog requestLog, TimeProvider time,
    ILogger<InboundPrologue> logger)
{
    /// <param name="pathModel">The model named in the URL (Gemini).</param>
    /// <param name="pathStream">The URL asks for a stream (Gemini's streamGenerateContent).</param>
    /// <param name="counting">A token-count body (Gemini's may wrap a whole generateContentRequest).</param>
    public async Task<InboundRequest?> RunAsync(HttpContext http, ClientProtocol client, string? pathModel = null, bool pathStream = false, bool counting = false)
    {
        var snapshot = config.Current;
        var requestId = RequestIds.Next();
        http.Response.Headers["x-request-id"] = requestId;
        if (await GatewayAuth.AuthenticateAsync(http, snapshot, virtualKeys) is not { } caller)
        {
            await RefuseAsync(http, client, snapshot, requestId, Unauthenticated);
            return null;
        }
        byte[] body;
        RequestSniff sniff;
        try
        {
            var raw = await RequestBody.ReadAsync(http.Request, snapshot.Config.Server.MaxRequestBodyBytes, http.RequestAborted);
            (body, sniff) = Accept(client, raw, pathModel, pathStream, counting, snapshot.Config.Server.Limits);
        }
        catch (ProtocolException pe)
        {
            await RefuseAsync(http, client, snapshot, requestId, pe.Error, caller);
            return null;
        }
        catch (BadHttpRequestException bad) when (!http.RequestAborted.IsCancellationRequested)
        {
            // Kestrel refused the body as it arrived: too slow for server.limits.min_body_rate (408), or badly framed.
            await RefuseAsync(http, client, snapshot, requestId, bad.StatusCode == StatusCodes.Status408RequestTimeout
                ? new GatewayError(ErrorKind.RequestTimeout, $"The request body arrived slower than {snapshot.Config.Server.Transport.MinBodyRate:0} bytes/s (server.limits.min_body_rate).")
                : GatewayError.Invalid($"The request body could not be read: {bad.Message}"), caller);
            return null;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
        {
            return null; // the client went away while sending
        }
        if (!caller.Tenant.Allows(sniff.Model))
        {
            await RefuseAsync(http, client, snapshot, requestId, new GatewayError(ErrorKind.Permission,
                $"The tenant '{caller.Tenant.Name}' may not use the model '{sniff.Model}' (allowed: {string.Join(", ", caller.Tenant.Models)}).") { Param = "model" }, caller, sniff.Model);
            return null;
        }
        if (snapshot.Routes.Resolve(sniff.Model) is not { } route)
        {
            await RefuseAsync(http, client, snapshot, requestId, new GatewayError(ErrorKind.NotFound, $"No route matches the model '{sniff.Model}'.") { Param = "model" }, caller, sniff.Model);
            return null;
        }
        IDisposable lease = LimitCounters.LimitLease.Unlimited;
        if (!counting)
        {
            var (admitted, refusal) = limits.Admit(caller.Tenant.Name, caller.Tenant.Limits, snapshot.Config.LimitsTimeZone);
            if (refusal is not null)
            {
                await RefuseAsync(http, client, snapshot, requestId, refusal, caller, sniff.Model);
                return null;
            }
            lease = admitted!;
        }
        return new InboundRequest(snapshot, requestId, caller, body, sniff, route, lease);
    }

    /// <summary>
    /// What the prologue checks of a body once read, without HTTP (the fuzz suite runs it in process): Unicode text,
    /// the count body unwrapped, the sniff (and in its pass the shape limits). Refusals are <see cref="ProtocolException"/>s.
    /// </summary>
    internal static (byte[] Body, RequestSniff Sniff) Accept(ClientProtocol client, byte[] raw, string? pathModel, bool pathStream, bool counting, InputLimits limits)
    {
        var body = RequestBody.RequireText(raw);
        if (counting)
        {
            body = client.UnwrapCountBody(body);
        }
        return (body, client.Sniff(body, pathModel, pathStream, limits));
    }

    /// <summary>Endpoints without a body (model lists) only authenticate; false when refused (answered already).</summary>
    public async Task<bool> AuthenticateAsync(HttpContext http, ClientProtocol client)
    {
        var snapshot = config.Current;
        if (await GatewayAuth.AuthenticateAsync(http, snapshot, virtualKeys) is not null)
        {
            return true;
        }
        await RefuseAsync(http, client, snapshot, RequestIds.Next(), Unauthenticated);
        return false;
    }

    /// <summary>Answers a request the endpoint itself refuses, in the client's protocol.</summary>
    public Task RejectAsync(HttpContext http, ClientProtocol client, GatewayError error) =>
        RefuseAsync(http, client, config.Current, RequestIds.Next(), error);

    /// <summary>Answers a refusal in the client's protocol, and logs it as a request (every request has its row).</summary>
    private Task RefuseAsync(HttpContext http, ClientProtocol client, GatewaySnapshot snapshot, string requestId, GatewayError error, Caller? caller = null, string model = "")
    {
        LogRejected(logger, requestId, client.Wire, error.Kind, error.Message);
        requestLog.Write(new RequestLogEntry(time.GetUtcNow(), requestId, client.Wire, model, client.ErrorStatus(error), 0, [], 0, 0, 0)
        {
            Tenant = caller?.Tenant.Name,
            TenantKey = caller?.Key,
            Error = ClientWriter.Redact(error.Message, snapshot.Secrets),
        });
        return ClientWriter.WriteErrorAsync(http, client, error, requestId, snapshot.Secrets);
    }

    private static readonly GatewayError Unauthenticated = new(ErrorKind.Authentication, "Invalid or missing gateway API key.");

    [LoggerMessage(Level = LogLevel.Debug, Message = "{RequestId} {Protocol} rejected: {Kind} {Reason}")]
    private static partial void LogRejected(ILogger logger, string requestId, WireProtocol protocol, ErrorKind kind, string reason);
}
