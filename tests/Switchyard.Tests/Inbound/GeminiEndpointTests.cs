using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Inbound;

/// <summary>Gemini's endpoints: paths with a colon action, v1 and v1beta, keys in header or query, google.rpc errors.</summary>
public sealed class GeminiEndpointTests
{
    private const string Body = """{"contents":[{"role":"user","parts":[{"text":"Hello"}]}]}""";

    [Theory]
    [InlineData("/v1beta/models/gpt-4o:generateContent")]
    [InlineData("/v1/models/gpt-4o:generateContent")]
    public async Task Generate_answers_on_every_path_form(string path)
    {
        await using var gw = await Gateway.StartAsync(DemoConfig.Create());
        using var resp = await gw.PostJsonAsync(path, Body);
        var view = await ClientView.ReadAsync(resp, "gemini");
        Assert.Equal("Mock response to: Hello", view.Text);
    }

    [Fact]
    public async Task Model_list_and_model_get_take_Geminis_shape()
    {
        await using var gw = await Gateway.StartAsync(DemoConfig.Create());
        var list = JsonNode.Parse(await gw.Client.GetStringAsync("/v1beta/models"))!;
        Assert.Contains(list["models"]!.AsArray(), m => m!["name"]!.GetValue<string>() == "models/gpt-4o-mini");
        var one = JsonNode.Parse(await gw.Client.GetStringAsync("/v1beta/models/gpt-4o-mini"))!;
        Assert.Contains("generateContent", one["supportedGenerationMethods"]!.AsArray().Select(m => m!.GetValue<string>()));
        using var missing = await gw.Client.GetAsync("/v1beta/models/no-such-model");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("NOT_FOUND", JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"contents\":", 400, "INVALID_ARGUMENT")]
    [InlineData("{\"contents\":\"hi\"}", 400, "INVALID_ARGUMENT")]
    [InlineData("{\"generationConfig\":{}}", 400, "INVALID_ARGUMENT")]
    [InlineData("{\"contents\":[]}", 400, "INVALID_ARGUMENT")]
    public async Task Bad_bodies_get_google_rpc_errors(string body, int status, string name)
    {
        await using var gw = await Gateway.StartAsync(DemoConfig.Create());
        using var resp = await gw.PostJsonAsync("/v1beta/models/gpt-4o:generateContent", body);
        Assert.Equal(status, (int)resp.StatusCode);
        var error = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(status, error["code"]!.GetValue<int>());
        Assert.Equal(name, error["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_models_and_actions_are_404_NOT_FOUND()
    {
        await using var gw = await Gateway.StartAsync("""
            providers:
              - {name: mock, type: mock}
            routes:
              - model: only-this
                targets: [{provider: mock}]
            """);
        using var unknownModel = await gw.PostJsonAsync("/v1beta/models/other:generateContent", Body);
        Assert.Equal(HttpStatusCode.NotFound, unknownModel.StatusCode);
        using var unknownAction = await gw.PostJsonAsync("/v1beta/models/only-this:embedContent", Body);
        Assert.Equal("NOT_FOUND", JsonNode.Parse(await unknownAction.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Keys_are_read_from_the_header_or_the_query_and_a_wrong_key_is_UNAUTHENTICATED()
    {
        await using var gw = await Gateway.StartAsync("""
            auth:
              keys: [gm-key]
            providers:
              - {name: mock, type: mock}
            routes:
              - model: "*"
                targets: [{provider: mock}]
            """);
        using var header = await gw.PostJsonAsync("/v1beta/models/m:generateContent", Body, ("x-goog-api-key", "gm-key"));
        Assert.Equal(HttpStatusCode.OK, header.StatusCode);
        using var query = await gw.PostJsonAsync("/v1beta/models/m:generateContent?key=gm-key", Body);
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        using var wrong = await gw.PostJsonAsync("/v1beta/models/m:generateContent?key=nope", Body);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("UNAUTHENTICATED", JsonNode.Parse(await wrong.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }
}
