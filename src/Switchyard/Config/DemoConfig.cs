using Switchyard.Inbound;
using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Switchyard.Config;

/// <summary>The embedded demo: a built-in mock provider behind a few familiar model names, no keys, no network.</summary>
internal static class DemoConfig
{
    public static GatewayConfig Create()
    {
        var mock = new ProviderConfig { Name = "mock", Kind = ProviderKind.Mock, BaseUrl = new Uri("http://mock.invalid/") };
        ImmutableArray<RouteTarget> toMock = [new RouteTarget("mock", null)];
        return new GatewayConfig(
            "(embedded demo)",
            new ServerOptions(ServerOptions.DefaultMaxRequestBodyBytes, null),
            new AuthOptions([]),
            new Dictionary<string, ProviderConfig> { ["mock"] = mock }.ToFrozenDictionary(StringComparer.Ordinal),
            [
                new RouteConfig("gpt-4o-mini", toMock),
                new RouteConfig("gpt-4o", toMock),
                new RouteConfig("claude-sonnet-4-5", toMock),
                new RouteConfig("claude-haiku-4-5", toMock),
                new RouteConfig("mock-*", toMock),
                new RouteConfig("claude-*", toMock),
            ]);
    }
}
