using System.Net;
using System.Text;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Inbound;

/// <summary>
/// Behind a reverse proxy every caller arrives from loopback: forwarded addresses count only from
/// <c>server.trusted_proxies</c>, and a loopback peer carrying forwarding headers is never taken for a local caller
/// (no open auth, no keyless admin API for it).
/// </summary>
public sealed class TrustedProxyTests
{
    private static async Task<HttpStatusCode> SendAsync(Gateway gw, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(path.StartsWith("/v1", StringComparison.Ordinal) ? HttpMethod.Post : HttpMethod.Get, path);
        if (request.Method == HttpMethod.Post)
        {
            request.Content = new StringContent("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json");
        }
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await gw.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Without_trusted_proxies_a_loopback_peer_that_forwards_someone_is_not_local()
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock); // no keys, no admin key: open to local callers only
        Assert.Equal(HttpStatusCode.OK, await SendAsync(gw, "/v1/chat/completions"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(gw, "/admin/v1/providers"));

        foreach (var forwarded in new[] { ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-For", "127.0.0.1"), ("Forwarded", "for=127.0.0.1") })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(gw, "/v1/chat/completions", forwarded));
            Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(gw, "/admin/v1/providers", forwarded));
        }
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_forwarded_client_is_the_caller()
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock + "\nserver: {trusted_proxies: [127.0.0.1, \"10.0.0.0/8\"]}\n");
        // A remote client behind the proxy is remote: no open auth, no keyless admin API.
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(gw, "/v1/chat/completions", ("X-Forwarded-For", "203.0.113.9")));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(gw, "/admin/v1/providers", ("X-Forwarded-For", "203.0.113.9")));
        // A client chain the proxy appended to is walked back only through trusted hops: the untrusted hop is the caller.
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(gw, "/admin/v1/providers", ("X-Forwarded-For", "127.0.0.1, 203.0.113.9")));
        // A client on the proxy's own machine is local, as it would be without the proxy.
        Assert.Equal(HttpStatusCode.OK, await SendAsync(gw, "/admin/v1/providers", ("X-Forwarded-For", "127.0.0.1")));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(gw, "/v1/chat/completions"));
    }

    [Fact]
    public void A_trusted_proxy_that_is_no_address_is_refused_where_it_is_written()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Gateway.AnyModelToMock + "\nserver: {trusted_proxies: [nginx.local]}\n", "p.yaml"));
        Assert.Contains("server.trusted_proxies[0]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not an IP address or a CIDR network", ex.Message, StringComparison.Ordinal);
        var config = ConfigLoader.Parse(Gateway.AnyModelToMock + "\nserver: {trusted_proxies: [10.1.2.3, \"fd00::/8\"]}\n", "p.yaml");
        Assert.Equal(["10.1.2.3/32", "fd00::/8"], config.Server.TrustedProxies.Select(n => n.ToString()));
    }
}
