using Switchyard.Config;
using Switchyard.Observability;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;
using Switchyard.Tenancy;

namespace Switchyard.Inbound;

/// <summary>Rewrites a request body once its caller is known; refusals are <see cref="ProtocolException"/>s.</summary>
internal delegate ValueTask<byte[]> BodyExpansion(byte[] body, Caller caller, CancellationToken ct);

/// <summary>What every client endpoint knows once its prologue has passed.</summary>
/// <param name="User">The end user the request names, if any.</param>
/// <param name="Lease">The request's place under its limits: the handler settles it to the real usage when the request ends.</param>
/// <param name="Decoded">The canonical request when the prologue already decoded it (a route with scenario rules), else null.</param>
internal sealed record InboundRequest(GatewaySnapshot Snapshot, string RequestId, Caller Caller, string? User, byte[] Body, RequestSniff Sniff, ResolvedRoute Route,
    LimitLease Lease, ChatRequest? Decoded = null);

/// <summary>
/// The one prologue every client endpoint runs: authenticate (the caller's tenant) → read the body → sniff it → the
/// tenant may use that model → the tenant's limits admit it (token counts are free) → route the model name. A refusal
/// is answered here, in the client's protocol, and yields null.
/// </summary>
internal sealed partial class InboundPrologue(ConfigHolder config, VirtualKeys virtualKeys, JwtValidator jwt, ILimitGate limits, RequestLog requestLog, TimeProvider time,
    ILogger<InboundPrologue> logger)
{
    /// <param name="pathModel">The model named in the URL (Gemini).</param>
    /// <param name="pathStream">The URL asks for a stream (Gemini's streamGenerateContent).</param>
    /// <param name="counting">A token-count body (Gemini's may wrap a whole generateContentRequest).</param>
    /// <param name="expand">Rewrites the body before it is sniffed (the Responses API's <c>previous_response_id</c> becomes the history it stands for).</param>
    public async Task<InboundRequest?> RunAsync(HttpContext http, ClientProtocol client, string? pathModel = null, bool pathStream = false, bool counting = false,
        BodyExpansion? expand = null)
    {
        var snapshot = config.Current;
        var requestId = RequestIds.Next();
        http.Response.Headers["x-request-id"] = requestId;
        if (await CallerOrRefuseAsync(http, client, snapshot, requestId) is not { } caller)
        {
            return null;
        }
        byte[] body;
        RequestSniff sniff;
        try
        {
            var raw = await RequestBody.ReadAsync(http.Request, snapshot.Config.Server.MaxRequestBodyBytes, http.RequestAborted);
            if (expand is not null)
            {
                raw = await expand(RequestBody.RequireText(raw), caller, http.RequestAborted);
            }
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
        var user = caller.User ?? EndUser(http.Request, sniff);
        if (!caller.Tenant.Allows(sniff.Model))
        {
            await RefuseAsync(http, client, snapshot, requestId, new GatewayError(ErrorKind.Permission,
                $"The tenant '{caller.Tenant.Name}' may not use the model '{sniff.Model}' (allowed: {string.Join(", ", caller.Tenant.Models)}).") { Param = "model" }, caller, sniff.Model, user);
            return null;
        }
        if (snapshot.Routes.Resolve(sniff.Model) is not { } route)
        {
            await RefuseAsync(http, client, snapshot, requestId, new GatewayError(ErrorKind.NotFound, $"No route matches the model '{sniff.Model}'.") { Param = "model" }, caller, sniff.Model, user);
            return null;
        }
        ChatRequest? decoded = null;
        if (!route.Route.Rules.IsEmpty)
        {
            // Scenario rules read the request itself (thinking, tools, its size): decoded here once, and reused.
            try
            {
                decoded = client.Decode(body, sniff);
            }
            catch (ProtocolException pe)
            {
                await RefuseAsync(http, client, snapshot, requestId, pe.Error, caller, sniff.Model, user);
                return null;
            }
            route = RouteRules.Apply(route, RequestTraits.Of(decoded, sniff.Model, http.Request.Headers));
        }
        var lease = LimitLease.Unlimited;
        if (!counting && LimitScopes(caller, user) is { Length: > 0 } scopes)
        {
            var (admitted, refusal) = await limits.AdmitAsync(scopes, Reserve(snapshot, route, body.Length, sniff, scopes, time.GetUtcNow()), snapshot.Config.LimitsTimeZone, http.RequestAborted);
            if (refusal is not null)
            {
                await RefuseAsync(http, client, snapshot, requestId, refusal, caller, sniff.Model, user);
                return null;
            }
            lease = admitted!;
        }
        return new InboundRequest(snapshot, requestId, caller, user, body, sniff, route, lease, decoded);
    }

    /// <summary>Longer end-user names are cut (Claude Code's <c>metadata.user_id</c> is about 100 characters).</summary>
    internal const int MaxUserLength = 256;

    /// <summary>The end user: a JWT's user claim (resolved earlier), else <c>x-switchyard-user</c> (set by the application in front), else what the body names.</summary>
    private static string? EndUser(HttpRequest request, in RequestSniff sniff)
    {
        var user = request.Headers["x-switchyard-user"] is [{ Length: > 0 } header] ? header : sniff.User;
        return user is { Length: > MaxUserLength } ? user[..MaxUserLength] : user;
    }

    /// <summary>The scopes whose limits the request counts against, tenant → key → end user; empty when none has limits.</summary>
    private static LimitScope[] LimitScopes(Caller caller, string? user)
    {
        var tenant = caller.Tenant;
        var hasKey = !caller.KeyLimits.IsNone && caller.KeyId is not null;
        var hasUser = !tenant.UserLimits.IsNone && user is not null;
        if (tenant.Limits.IsNone && !hasKey && !hasUser)
        {
            return [];
        }
        var scopes = new LimitScope[(tenant.Limits.IsNone ? 0 : 1) + (hasKey ? 1 : 0) + (hasUser ? 1 : 0)];
        var i = 0;
        if (!tenant.Limits.IsNone)
        {
            scopes[i++] = LimitScope.Tenant(tenant);
        }
        if (hasKey)
        {
            scopes[i++] = new LimitScope(ScopeKind.Key, caller.KeyId!, caller.Key, caller.KeyLimits);
        }
        if (hasUser)
        {
            scopes[i] = new LimitScope(ScopeKind.User, tenant.Name, user!, tenant.UserLimits);
        }
        return scopes;
    }

    /// <summary>
    /// What the request may use at most, when a scope limits tokens or spend: the input estimated from the body's size
    /// (about 4 bytes a token), plus the output the request allows (else the provider's default output limit); priced
    /// at the dearest of the route's targets.
    /// </summary>
    internal static Reservation Reserve(GatewaySnapshot snapshot, ResolvedRoute route, int bodyBytes, in RequestSniff sniff, ReadOnlySpan<LimitScope> scopes, DateTimeOffset now)
    {
        bool tokens = false, spend = false;
        foreach (var s in scopes)
        {
            tokens |= s.Limits.CountsTokens;
            spend |= s.Limits.CountsSpend;
        }
        if (!tokens && !spend)
        {
            return Reservation.None;
        }
        long input = Tenancy.Pricing.Billing.EstimateInput(bodyBytes), output = 0;
        decimal cost = 0;
        foreach (var target in route.Route.Targets)
        {
            if (!snapshot.Config.Providers.TryGetValue(target.Provider, out var provider))
            {
                continue;
            }
            long allowed = sniff.MaxOutputTokens ?? provider.DefaultMaxTokens;
            output = Math.Max(output, allowed);
            if (spend && snapshot.Prices.For(provider.Name, route.UpstreamModel(target, provider), now) is { } card)
            {
                cost = Math.Max(cost, card.Cost(input, 0, 0, allowed));
            }
        }
        return new Reservation(tokens ? input + output : 0, spend ? Tenancy.Pricing.PriceCard.ToNanos(cost) : 0);
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

    /// <summary>The caller of an endpoint without a body that acts on the caller's own objects, or null when refused (answered already).</summary>
    public Task<Caller?> CallerAsync(HttpContext http, ClientProtocol client) => CallerOrRefuseAsync(http, client, config.Current, RequestIds.Next());

    /// <summary>Endpoints without a body (model lists) only authenticate; false when refused (answered already).</summary>
    public async Task<bool> AuthenticateAsync(HttpContext http, ClientProtocol client) =>
        await CallerOrRefuseAsync(http, client, config.Current, RequestIds.Next()) is not null;

    /// <summary>The caller, or null once the refusal is answered: a 401, or a 503 when a key cannot be checked because the store is down.</summary>
    private async Task<Caller?> CallerOrRefuseAsync(HttpContext http, ClientProtocol client, GatewaySnapshot snapshot, string requestId)
    {
        try
        {
            if (await GatewayAuth.AuthenticateAsync(http, snapshot, virtualKeys, jwt) is { } caller)
            {
                return caller;
            }
            await RefuseAsync(http, client, snapshot, requestId, Unauthenticated);
        }
        catch (Storage.StoreException unavailable)
        {
            await RefuseAsync(http, client, snapshot, requestId, new GatewayError(ErrorKind.Unavailable, unavailable.Message) { RetryAfter = TimeSpan.FromSeconds(2) });
        }
        return null;
    }

    /// <summary>Answers a request the endpoint itself refuses, in the client's protocol.</summary>
    public Task RejectAsync(HttpContext http, ClientProtocol client, GatewayError error) =>
        RefuseAsync(http, client, config.Current, RequestIds.Next(), error);

    /// <summary>Answers a refusal in the client's protocol, and logs it as a request (every request has its row).</summary>
    private Task RefuseAsync(HttpContext http, ClientProtocol client, GatewaySnapshot snapshot, string requestId, GatewayError error, Caller? caller = null, string model = "",
        string? user = null)
    {
        LogRejected(logger, requestId, client.Wire, error.Kind, error.Message);
        requestLog.Write(new RequestLogEntry(time.GetUtcNow(), requestId, client.Wire, model, client.ErrorStatus(error), 0, [], 0, 0, 0)
        {
            Tenant = caller?.Tenant.Name,
            TenantKey = caller?.Key,
            User = user,
            Error = ClientWriter.Redact(error.Message, snapshot.Secrets),
        });
        return ClientWriter.WriteErrorAsync(http, client, error, requestId, snapshot.Secrets);
    }

    private static readonly GatewayError Unauthenticated = new(ErrorKind.Authentication, "Invalid or missing gateway API key.");

    [LoggerMessage(Level = LogLevel.Debug, Message = "{RequestId} {Protocol} rejected: {Kind} {Reason}")]
    private static partial void LogRejected(ILogger logger, string requestId, WireProtocol protocol, ErrorKind kind, string reason);
}
