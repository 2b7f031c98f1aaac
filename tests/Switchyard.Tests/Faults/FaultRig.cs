using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Keys;
using Switchyard.Observability;
using Switchyard.Routing;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Faults;

/// <summary>
/// One gateway in front of a faulty upstream (route <c>m</c>) and a healthy one (route <c>ok</c>), used by a tenant
/// allowed one request at a time, and the counts that show what a fault left behind: requests and streams the
/// gateway still serves, in-flight counts on providers and keys, connections to the gateway, upstream requests
/// whose handler still runs, connections held to the upstream, and the tenant's concurrency slot.
/// </summary>
internal sealed class FaultRig : IAsyncDisposable
{
    public const string TenantKey = "sk-fault-tenant-0123456789";

    private readonly MeterListener _kestrel = new();
    private long _gatewayConnections;

    private FaultRig(FakeUpstream faulty, FakeUpstream healthy, Gateway gateway, string kind)
    {
        Faulty = faulty;
        Healthy = healthy;
        Gateway = gateway;
        Kind = kind;
        // Kestrel's own count of the gateway's open connections, from this gateway's meters only (tests run in parallel).
        var factory = gateway.Services.GetRequiredService<IMeterFactory>();
        _kestrel.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "kestrel.active_connections")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _kestrel.SetMeasurementEventCallback<long>((_, delta, _, _) => Interlocked.Add(ref _gatewayConnections, delta));
        _kestrel.Start();
    }

    public FakeUpstream Faulty { get; }
    public FakeUpstream Healthy { get; }
    public Gateway Gateway { get; }

    /// <summary>The faulty provider's type: openai, anthropic, gemini.</summary>
    public string Kind { get; }

    /// <param name="kind">The faulty upstream's protocol.</param>
    /// <param name="providerSettings">Extra settings of the faulty provider (timeouts), as YAML flow-map entries.</param>
    /// <param name="baseUrl">Where the faulty provider points instead of the fake (a port nobody listens on).</param>
    public static async Task<FaultRig> StartAsync(string kind, Func<HttpContext, RecordedRequest, Task> fault, string providerSettings = "", int keys = 1,
        string? baseUrl = null, string serverSettings = "")
    {
        var faulty = await FakeUpstream.StartAsync(fault);
        var healthy = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        var url = baseUrl ?? Dispatch.ProtocolMatrixTests.BaseUrl(kind, faulty.Url);
        var keyList = string.Join(", ", Enumerable.Range(1, keys).Select(i => $"sk-upstream-{i}"));
        var settings = providerSettings.Length > 0 ? ", " + providerSettings : "";
        var gateway = await Gateway.StartAsync($$"""
            {{serverSettings}}
            providers:
              - {name: faulty, type: {{kind}}, base_url: "{{url}}", keys: [{{keyList}}]{{settings}}}
              - {name: healthy, type: openai, base_url: "{{healthy.Url}}/v1", keys: [sk-healthy]}
            routes:
              - {model: m, targets: [{provider: faulty}]}
              - {model: ok, targets: [{provider: healthy}]}
            tenants:
              - name: team
                keys: [{{TenantKey}}]
                limits: {concurrent: 1}
            """);
        return new FaultRig(faulty, healthy, gateway, kind);
    }

    /// <summary>A fresh client connection per case, so that what the gateway keeps open for it can be counted after.</summary>
    /// <remarks> A client that gives up on a response closes its connection at once (no drain), as a client that goes away does.</remarks>
    public HttpClient NewClient() => new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1), MaxResponseDrainSize = 0 })
    {
        BaseAddress = new Uri(Gateway.Url),
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>A request in <paramref name="client"/>'s protocol for <paramref name="model"/>, authenticated the way that protocol does.</summary>
    public static HttpRequestMessage Request(string client, bool stream, string model = "m", string? body = null)
    {
        var path = Dispatch.ProtocolMatrixTests.ClientPath(client, stream, model);
        body ??= Dispatch.ProtocolMatrixTests.ClientRequest(client, stream, tools: false).Replace("matrix-model", model, StringComparison.Ordinal);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        switch (client)
        {
            case "anthropic":
                request.Headers.Add("x-api-key", TenantKey);
                request.Headers.Add("anthropic-version", "2023-06-01");
                break;
            case "gemini":
                request.Headers.Add("x-goog-api-key", TenantKey);
                break;
            default:
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TenantKey);
                break;
        }
        return request;
    }

    public static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request) => http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

    /// <summary>One request on a connection of its own, read as <paramref name="client"/> sees it; the connection is closed after.</summary>
    public async Task<ClientView> ViewAsync(string client, bool stream, string model = "m", string? body = null)
    {
        using var http = NewClient();
        using var response = await SendAsync(http, Request(client, stream, model, body));
        return await ClientView.ReadAsync(response, client);
    }

    /// <summary>What is still open or counted, for the assertion message.</summary>
    public string Counts()
    {
        var (requests, streams) = Gateway.Services.GetRequiredService<GatewayMetrics>().Live;
        return $"gateway requests {requests}, streams {streams}, provider in-flight {ProviderInFlight()}, key in-flight {KeyInFlight()}, "
            + $"gateway connections {Interlocked.Read(ref _gatewayConnections)}, upstream handlers {Faulty.ActiveHandlers}, upstream connections {Faulty.OpenConnections}";
    }

    private int ProviderInFlight()
    {
        var health = Gateway.Services.GetRequiredService<IProviderHealthStore>();
        var now = DateTimeOffset.UtcNow;
        return health.Get("faulty").Snapshot(now).InFlight + health.Get("healthy").Snapshot(now).InFlight;
    }

    private int KeyInFlight()
    {
        var config = Gateway.Services.GetRequiredService<Switchyard.Config.ConfigHolder>().Current.Config;
        var keys = Gateway.Services.GetRequiredService<IKeyStateStore>();
        var now = DateTimeOffset.UtcNow;
        return config.Providers.Values.SelectMany(p => p.Keys.Select(k => keys.Get(p.Name, k).Snapshot(k, now).InFlight)).Sum();
    }

    /// <summary>
    /// After a case (its client disposed): nothing of it is left — no request, stream, in-flight count or client
    /// connection in the gateway, no upstream request still running, at most one idle pooled connection to the
    /// upstream — and the gateway still serves the tenant (whose single concurrency slot a leaked lease would hold).
    /// </summary>
    public async Task AssertNothingLeftAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!Clean() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(25);
        }
        Assert.True(Clean(), Counts());

        using var http = NewClient();
        using var after = await SendAsync(http, Request("openai", stream: false, model: "ok"));
        var view = await ClientView.ReadAsync(after, "openai");
        Assert.True(view.Status == HttpStatusCode.OK, $"the gateway after the fault: {view.Status} {view.ErrorBody}");
        Assert.Equal(Wire.Text, view.Text);
        using var ready = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private bool Clean()
    {
        var live = Gateway.Services.GetRequiredService<GatewayMetrics>().Live;
        return live == (0, 0) && ProviderInFlight() == 0 && KeyInFlight() == 0 && Interlocked.Read(ref _gatewayConnections) == 0
            && Faulty.ActiveHandlers == 0 && Faulty.OpenConnections <= 1;
    }

    /// <summary>The error a client reads in its own protocol's shape; the message returned.</summary>
    public static string AssertErrorShape(string client, HttpStatusCode status, JsonNode? body, HttpStatusCode expected)
    {
        Assert.Equal(expected, status);
        Assert.NotNull(body);
        switch (client)
        {
            case "anthropic":
                Assert.Equal("error", body["type"]!.GetValue<string>());
                Assert.NotNull(body["error"]!["type"]);
                return body["error"]!["message"]!.GetValue<string>();
            case "gemini":
                Assert.Equal((int)expected, body["error"]!["code"]!.GetValue<int>());
                Assert.NotNull(body["error"]!["status"]);
                return body["error"]!["message"]!.GetValue<string>();
            default:
                Assert.NotNull(body["error"]!["type"]);
                return body["error"]!["message"]!.GetValue<string>();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _kestrel.Dispose();
        await Gateway.DisposeAsync();
        await Faulty.DisposeAsync();
        await Healthy.DisposeAsync();
    }
}
