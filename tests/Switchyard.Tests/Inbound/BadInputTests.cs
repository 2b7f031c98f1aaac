using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Inbound;

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

    public static TheoryData<string, string> Utf8Endpoints() => new()
    {
        { "/v1/chat/completions", "openai" },
        { "/v1/messages", "anthropic" },
        { "/v1/messages/count_tokens", "anthropic" },
        { "/v1beta/models/known-model:generateContent", "gemini" },
        { "/v1beta/models/known-model:streamGenerateContent?alt=sse", "gemini" },
        { "/v1beta/models/known-model:countTokens", "gemini" },
    };

    [Theory]
    [MemberData(nameof(Utf8Endpoints))]
    public async Task A_body_that_is_not_UTF8_is_a_400_in_the_endpoints_protocol(string path, string protocol)
    {
        await using var gw = await Gateway.StartAsync(Config);
        var bytes = System.Text.Encoding.UTF8.GetBytes("{\"model\":\"known-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"AB\"}],\"contents\":[{\"parts\":[{\"text\":\"AB\"}]}]}");
        var at = Array.IndexOf(bytes, (byte)'A');
        bytes[at] = 0xFF; // never valid in UTF-8
        bytes[at + 1] = 0xC3; // a lead byte without its continuation
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var resp = await gw.Client.PostAsync(path, content);
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        var json = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        var message = protocol == "anthropic" ? json["error"]!["message"]! : json["error"]!["message"]!;
        Assert.Contains("UTF-8", message.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"offset {at}", message.GetValue<string>(), StringComparison.Ordinal);
        switch (protocol)
        {
            case "openai": Assert.Equal("invalid_request_error", json["error"]!["type"]!.GetValue<string>()); break;
            case "anthropic": Assert.Equal("error", json["type"]!.GetValue<string>()); break;
            default: Assert.Equal("INVALID_ARGUMENT", json["error"]!["status"]!.GetValue<string>()); break;
        }
    }

    [Theory]
    [InlineData("GET", "/v1/chat/completions", "openai")]
    [InlineData("PUT", "/v1/messages", "anthropic")]
    [InlineData("GET", "/v1/messages/count_tokens", "anthropic")]
    [InlineData("DELETE", "/health", "openai")]
    [InlineData("GET", "/v1beta/models/known-model:generateContent", "gemini")]
    public async Task A_wrong_method_on_a_known_path_is_a_405_with_Allow_in_the_callers_protocol(string method, string path, string protocol)
    {
        await using var gw = await Gateway.StartAsync(Config);
        using var req = new HttpRequestMessage(new HttpMethod(method), path);
        using var resp = await gw.Client.SendAsync(req);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, resp.StatusCode);
        var allow = string.Join(",", resp.Content.Headers.Allow);
        Assert.Equal(method == "DELETE" ? "GET" : "POST", allow);
        var json = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        switch (protocol)
        {
            case "openai":
                Assert.Equal("method_not_allowed", json["error"]!["code"]!.GetValue<string>());
                break;
            case "anthropic":
                Assert.Equal("invalid_request_error", json["error"]!["type"]!.GetValue<string>());
                break;
            default:
                Assert.Equal(405, json["error"]!["code"]!.GetValue<int>());
                break;
        }
        Assert.Contains(allow, json["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_OpenAI_fine_tuned_model_id_with_colons_is_looked_up_not_refused_as_a_Gemini_method()
    {
        await using var gw = await Gateway.StartAsync("""
            providers:
              - name: mock
                type: mock
            routes:
              - model: "ft:gpt-4o-mini:acme::abc123"
                targets:
                  - provider: mock
            """);
        using var found = await gw.Client.GetAsync("/v1/models/ft:gpt-4o-mini:acme::abc123");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal("ft:gpt-4o-mini:acme::abc123", JsonNode.Parse(await found.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());
        using var missing = await gw.Client.GetAsync("/v1/models/ft:gpt-4o-mini:other::x");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("""{"contents":[{"role":"user","parts":"hello"}]}""", "contents[0].parts")]
    [InlineData("""{"contents":[{"role":"user","parts":{"text":"hello"}}]}""", "contents[0].parts")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"text":"a"},"b"]}]}""", "contents[0].parts[1]")]
    [InlineData("""{"contents":["hello"]}""", "contents[0]")]
    [InlineData("""{"contents":[{"parts":[{"text":"a"}]}],"systemInstruction":{"parts":"be brief"}}""", "systemInstruction.parts")]
    public async Task Gemini_parts_that_are_not_a_list_of_Part_objects_are_a_400_naming_the_field(string body, string field)
    {
        await using var gw = await Gateway.StartAsync(Config);
        foreach (var action in new[] { "generateContent", "streamGenerateContent?alt=sse", "countTokens" })
        {
            using var resp = await gw.PostJsonAsync($"/v1beta/models/known-model:{action}", body);
            Assert.True(resp.StatusCode == HttpStatusCode.BadRequest, $"{action}: {(int)resp.StatusCode}");
            var error = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("INVALID_ARGUMENT", error["status"]!.GetValue<string>());
            Assert.Contains($"'{field}'", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }
}
