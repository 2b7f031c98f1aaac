using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Endpoints;

/// <summary>Bad input gets a 4xx in the client's own protocol: right status, right body shape, never a 500 or a hang.</summary>
public sealed class BadInputTests
{
    private const string Config = """
        server:
          max_request_body: 2KB
        providers:
          - name: mock
            type: mock
        routes:
          - model: known-model
            targets:
              - provider: mock
        """;

    public static TheoryData<string, string, int> Cases() => new()
    {
        { "malformed JSON", "{\"model\":\"known-model\",", 400 },
        { "not an object", "[1,2,3]", 400 },
        { "model is a number", "{\"model\":5,\"messages\":[]}", 400 },
        { "messages is a string", "{\"model\":\"known-model\",\"messages\":\"hi\"}", 400 },
        { "stream is a string", "{\"model\":\"known-model\",\"stream\":\"yes\",\"messages\":[]}", 400 },
        { "missing messages", "{\"model\":\"known-model\"}", 400 },
        { "missing model", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 400 },
        { "unknown role", "{\"model\":\"known-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", 400 },
        { "content of the wrong type", "{\"model\":\"known-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":42}]}", 400 },
        { "unknown route", "{\"model\":\"no-such-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 404 },
        { "oversized body", "{\"model\":\"known-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 4096) + "\"}]}", 413 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task OpenAI_clients_get_OpenAI_errors(string name, string body, int status)
    {
        await using var gw = await Gateway.StartAsync(Config);
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", body);
        Assert.True(status == (int)resp.StatusCode, $"{name}: got {(int)resp.StatusCode}");
        var error = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["error"]!;
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        Assert.Equal(status == 404 ? "invalid_request_error" : "invalid_request_error", error["type"]!.GetValue<string>());
        Assert.True(error.AsObject().ContainsKey("param") && error.AsObject().ContainsKey("code"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Anthropic_clients_get_Anthropic_errors(string name, string body, int status)
    {
        await using var gw = await Gateway.StartAsync(Config);
        using var resp = await gw.PostJsonAsync("/v1/messages", body, ("anthropic-version", "2023-06-01"));
        Assert.True(status == (int)resp.StatusCode, $"{name}: got {(int)resp.StatusCode}");
        var json = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        Assert.Equal("error", json["type"]!.GetValue<string>());
        var expectedType = status switch { 404 => "not_found_error", 413 => "request_too_large", _ => "invalid_request_error" };
        Assert.Equal(expectedType, json["error"]!["type"]!.GetValue<string>());
        Assert.StartsWith("req_", json["request_id"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_refused_too()
    {
        await using var gw = await Gateway.StartAsync(Config);
        var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("{\"model\":\"known-model\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('y', 8000) + "\"}]}")));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        req.Headers.TransferEncodingChunked = true;
        using var resp = await gw.Client.SendAsync(req);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, resp.StatusCode);
    }

    [Fact]
    public async Task Unknown_endpoints_answer_404_in_the_callers_protocol()
    {
        await using var gw = await Gateway.StartAsync(Config);
        using var oa = await gw.Client.GetAsync("/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, oa.StatusCode);
        Assert.NotNull(JsonNode.Parse(await oa.Content.ReadAsStringAsync())!["error"]!["message"]);
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/messages/batches");
        req.Headers.Add("anthropic-version", "2023-06-01");
        using var an = await gw.Client.SendAsync(req);
        Assert.Equal("not_found_error", JsonNode.Parse(await an.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
    }
}
