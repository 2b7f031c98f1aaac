using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Inbound;

public sealed class GatewayAuthTests
{
    private const string Config = """
        auth:
          keys: [sk-sy-one, sk-sy-two]
        providers:
          - name: mock
            type: mock
        routes:
          - model: "*"
            targets:
              - provider: mock
        """;

    private const string Body = """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""";

    [Theory]
    [InlineData("authorization", "Bearer sk-sy-one", "")]
    [InlineData("x-api-key", "sk-sy-two", "")]
    [InlineData("x-goog-api-key", "sk-sy-one", "")]
    [InlineData("", "", "?key=sk-sy-two")]
    public async Task Every_key_carrier_is_accepted(string header, string value, string query)
    {
        await using var gw = await Gateway.StartAsync(Config);
        using var resp = header.Length > 0
            ? await gw.PostJsonAsync("/v1/messages" + query, Body, (header, value))
            : await gw.PostJsonAsync("/v1/messages" + query, Body);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("mock", resp.Headers.GetValues("x-switchyard-provider").Single());
    }

    [Theory]
    [InlineData("/v1/messages", "authentication_error")]
    [InlineData("/v1/chat/completions", "invalid_request_error")]
    public async Task A_missing_or_wrong_key_is_401_in_the_clients_shape(string path, string type)
    {
        await using var gw = await Gateway.StartAsync(Config);
        foreach (var headers in new[] { Array.Empty<(string, string)>(), [("x-api-key", "sk-sy-wrong")] })
        {
            using var resp = await gw.PostJsonAsync(path, Body, headers);
            Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
            var json = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
            var error = path == "/v1/messages" ? json["error"]! : json["error"]!;
            Assert.Equal(type, error["type"]!.GetValue<string>());
            Assert.DoesNotContain("sk-sy-one", json.ToJsonString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Model_lists_need_the_key_too()
    {
        await using var gw = await Gateway.StartAsync(Config);
        using var resp = await gw.Client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
    }
}
