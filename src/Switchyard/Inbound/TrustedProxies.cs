using System.Collections.Immutable;
using Microsoft.AspNetCore.HttpOverrides;

namespace Switchyard.Inbound;

/// <summary>
/// <c>server.trusted_proxies</c>: ASP.NET Core's forwarded-headers middleware, believing only those peers. Behind them
/// the caller's address (and scheme) is the forwarded one, walked back hop by hop while each hop is trusted; loopback
/// is not trusted unless listed. Without the setting the middleware is not in the pipeline at all.
/// </summary>
internal static class TrustedProxies
{
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app, ImmutableArray<System.Net.IPNetwork> proxies)
    {
        if (proxies.IsDefaultOrEmpty)
        {
            return app;
        }
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = null,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var network in proxies)
        {
            options.KnownIPNetworks.Add(network);
        }
        return app.UseForwardedHeaders(options);
    }
}
