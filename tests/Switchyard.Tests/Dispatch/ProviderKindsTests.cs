using System.Net;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Dispatch;

/// <summary>Azure OpenAI deployments, OpenAI-compatible presets and the seed-compatible entry paths.</summary>
public sealed class ProviderKindsTests
{
    [Theory]
    [InlineData("openai", false)]
    [InlineData("anthropic", true)]
    public async Task Azure_OpenAI_gets_deployment_urls_and_the_api_key_header(string client, bool stream)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - name: azure
                type: azure-openai
                base_url: {{fake.Url}}
                keys: [azure-key-1]
                api_version: 2024-10-21
                deployments: {gpt-4o: prod-gpt4o}
            routes:
              - model: m
                targets: [{provider: azure, model: gpt-4o}]
              - model: n
                targets: [{provider: azure, model: gpt-4o-mini}]
            """);
        foreach (var (model, deployment) in new[] { ("m", "prod-gpt4o"), ("n", "gpt-4o-mini") })
        {
            using var resp = await gw.PostJsonAsync(ProtocolMatrixTests.ClientPath(client, stream), ProtocolMatrixTests.ClientRequest(client, stream, false).Replace("matrix-model", model, StringComparison.Ordinal));
            var view = await ClientView.ReadAsync(resp, client);
            Assert.Equal(Wire.Text, view.Text);
            var sent = fake.Requests.Last();
            Assert.Equal($"/openai/deployments/{deployment}/chat/completions", sent.Path);
            Assert.Equal("?api-version=2024-10-21", sent.Query);
            Assert.Equal("azure-key-1", sent.Header("api-key"));
            Assert.Equal("", sent.Header("authorization"));
        }
    }

    [Fact]
    public async Task A_local_server_preset_needs_no_key_and_uses_max_tokens()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - name: local
                type: openai
                preset: ollama
                base_url: {{fake.Url}}/v1
            routes:
              - model: m
                targets: [{provider: local, model: llama3.2}]
            """);
        using var resp = await gw.PostJsonAsync("/v1/messages", """{"model":"m","max_tokens":300,"messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var sent = Assert.Single(fake.Requests);
        Assert.Equal("", sent.Header("authorization"));
        Assert.Equal(300, sent.Json["max_tokens"]!.GetValue<int>());
        Assert.Null(sent.Json["max_completion_tokens"]);
    }

    [Fact]
    public void Presets_fill_in_base_urls_and_unknown_presets_are_refused()
    {
        var config = Switchyard.Config.ConfigLoader.Parse("""
            providers:
              - {name: ds, type: openai, preset: deepseek, keys: [k]}
              - {name: or, type: openai, preset: openrouter, keys: [k], max_tokens_field: max_completion_tokens}
            routes: []
            """, "p.yaml");
        Assert.Equal("https://api.deepseek.com/v1/", config.Providers["ds"].BaseUrl.ToString());
        Assert.Equal("max_tokens", config.Providers["ds"].MaxTokensField);
        Assert.Equal("max_completion_tokens", config.Providers["or"].MaxTokensField);
        var ex = Assert.Throws<Switchyard.Config.ConfigException>(() => Switchyard.Config.ConfigLoader.Parse("providers:\n  - {name: x, type: openai, preset: nope, keys: [k]}\n", "p.yaml"));
        Assert.Contains("unknown preset 'nope'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_compatible_entry_paths_are_aliases()
    {
        await using var gw = await Gateway.StartAsync(Switchyard.Config.DemoConfig.Create());
        using var an = await gw.PostJsonAsync("/v1/anthropic/completions", """{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal("Mock response to: Hi", (await ClientView.ReadAsync(an, "anthropic")).Text);
        using var ge = await gw.PostJsonAsync("/v1/gemini/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal("Mock response to: Hi", (await ClientView.ReadAsync(ge, "openai")).Text);
    }
}
