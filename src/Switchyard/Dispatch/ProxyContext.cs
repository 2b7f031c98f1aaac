using Switchyard.Config;
using Switchyard.Inbound;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Dispatch;

/// <summary>Everything one proxied request carries through its attempts.</summary>
internal sealed class ProxyContext(HttpContext http, ClientProtocol client, GatewaySnapshot snapshot, string requestId, byte[] body, RequestSniff sniff, bool forceStream, long created)
{
    /// <summary>Who is calling (the tenant and its key), for the request log.</summary>
    public Tenancy.Caller? Caller { get; init; }
    /// <summary>The end user the request names, for the request log.</summary>
    public string? User { get; init; }

    private ChatRequest? _canonical;

    public HttpContext Http { get; } = http;
    public ClientProtocol Client { get; } = client;
    public GatewaySnapshot Snapshot { get; } = snapshot;
    public string RequestId { get; } = requestId;
    public byte[] Body { get; } = body;
    public RequestSniff Sniff { get; } = sniff;
    public bool ForceStream { get; } = forceStream;
    /// <summary>Unix seconds at arrival: the <c>created</c> of answers the gateway composes.</summary>
    public long Created { get; } = created;
    public bool Stream => ForceStream || Sniff.Stream;
    public CancellationToken Aborted => Http.RequestAborted;
    public int Attempts { get; set; }
    /// <summary>The provider and upstream model of the latest attempt (the ones that served, when one did).</summary>
    public string? LastProvider { get; set; }
    public string? LastModel { get; set; }
    public string? LastKey { get; set; }
    public TimeSpan? LastTtfb { get; set; }
    /// <summary>Time spent inside upstream attempts (sending, waiting, relaying): the rest is the gateway's overhead.</summary>
    public TimeSpan UpstreamTime { get; set; }
    public List<string> Trail { get; } = [];

    /// <summary>The upstream's latest usage report of the answer relayed (billing a stream the client cut).</summary>
    public Usage? RelayedUsage { get; set; }
    /// <summary>Output tokens relayed, estimated (billing a stream cut before any usage report).</summary>
    public int RelayedOutputTokens { get; set; }
    /// <summary>The upstream failed after the answer began: the client got an in-stream error (not billed).</summary>
    public bool FailedMidStream { get; set; }

    /// <summary>The <c>x-switchyard-*</c> headers of the latest attempt.</summary>
    public void SetDispatchHeaders(bool served) => ClientWriter.SetDispatchHeaders(Http.Response, LastProvider, LastModel, Attempts, served);

    /// <summary>Status, content type and no-buffering headers of a stream in the client's protocol.</summary>
    public void StartStream() => ClientWriter.StartStream(Http, Client);

    /// <summary>The canonical request with a target's patch applied (a shallow copy: the messages are shared).</summary>
    public ChatRequest Patched(Config.RequestPatch? patch)
    {
        var request = Canonical();
        return patch is null ? request : RequestPatcher.Apply(request, patch);
    }

    /// <summary>The canonical request, decoded once and only when a translation needs it.</summary>
    public ChatRequest Canonical()
    {
        if (_canonical is null)
        {
            UseDecoded(Client.Decode(Body, Sniff));
        }
        return _canonical!;
    }

    /// <summary>The body as decoded already (by the prologue, for scenario rules): not decoded again.</summary>
    public void UseDecoded(ChatRequest request)
    {
        _canonical = request;
        if (ForceStream)
        {
            _canonical.Stream = true;
        }
    }
}

internal enum AttemptStatus { Served, ClientGone, NextKey, NextTarget, Fail }

internal readonly record struct AttemptResult(AttemptStatus Status, GatewayError? Error = null, Usage? Usage = null)
{
    /// <summary>Time from sending the request to the upstream's response headers.</summary>
    public TimeSpan? Ttfb { get; init; }
    /// <summary>The upstream said this key has no requests left until then (rate-limit headers): steer away before a 429.</summary>
    public DateTimeOffset? KeyExhaustedUntil { get; init; }

    /// <summary>Why the answer ended, in the upstream's words when the bytes were forwarded (for traces).</summary>
    public string? FinishReason { get; init; }

    public static AttemptResult Served(Usage? usage, string? finishReason = null) => new(AttemptStatus.Served, null, usage) { FinishReason = finishReason };
    public static readonly AttemptResult Gone = new(AttemptStatus.ClientGone);

    /// <summary>What to do after an upstream error before anything reached the client (MAPPING §13, issue #4 refines).</summary>
    public static AttemptResult FromError(GatewayError error) => new(error.Kind switch
    {
        ErrorKind.RateLimit or ErrorKind.Authentication or ErrorKind.Permission or ErrorKind.QuotaExceeded => AttemptStatus.NextKey,
        ErrorKind.Internal or ErrorKind.BadGateway or ErrorKind.Overloaded or ErrorKind.Timeout or ErrorKind.Unavailable => AttemptStatus.NextTarget,
        _ => AttemptStatus.Fail,
    }, error);
}
