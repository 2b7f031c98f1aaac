using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Config;
using Switchyard.Routing;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Routing;

/// <summary>Model routing: exact names, aliases, globs, keywords, the default route, Claude Code's big/small mapping, patches and direct mode.</summary>
public sealed class RoutingTests
{
    private static RouteTable Table(string yaml) => new(ConfigLoader.Parse(yaml, "r.yaml").Routes);

    private const string Providers = """
        providers:
          - {name: p, type: mock}
          - {name: q, type: mock, big_model: q-big, small_model: q-small}

        """;

    [Fact]
    public void Exact_then_aliases_then_globs_then_keywords_then_default()
    {
        var table = Table(Providers + """
            routes:
              - {model: gpt-4o, aliases: [four-o, gpt4o], targets: [{provider: p}]}
              - {model: "claude-*", targets: [{provider: p}]}
              - {keywords: [deepseek, coder], targets: [{provider: p}]}
              - {default: true, targets: [{provider: q}]}
            """);
        Assert.Equal(("exact", "gpt-4o"), Describe(table.Resolve("gpt-4o")));
        Assert.Equal(("alias", "gpt-4o"), Describe(table.Resolve("four-o")));
        Assert.Equal(("glob claude-*", "claude-*"), Describe(table.Resolve("claude-sonnet-4-5")));
        Assert.Equal(("glob claude-*", "claude-*"), Describe(table.Resolve("Claude-Haiku")));
        Assert.Equal(("keyword deepseek", ""), Describe(table.Resolve("my-deepseek-v3")));
        Assert.Equal(("keyword coder", ""), Describe(table.Resolve("qwen-coder-32b")));
        Assert.Equal("default", table.Resolve("anything-else")!.MatchedBy);
        Assert.Null(Table(Providers + "routes:\n  - {model: a, targets: [{provider: p}]}\n").Resolve("b"));

        static (string, string) Describe(ResolvedRoute? r) => (r!.MatchedBy, r.Route.Model);
    }

    [Theory]
    [InlineData("claude-haiku-4-5-20251001", "small-one")]
    [InlineData("claude-3-5-haiku-latest", "small-one")]
    [InlineData("claude-sonnet-4-5", "big-one")]
    [InlineData("claude-opus-4-8", "big-one")]
    public void Claude_Code_big_and_small_models(string requested, string upstream)
    {
        var table = Table(Providers + """
            routes:
              - {model: "claude-*", big_model: big-one, small_model: small-one, targets: [{provider: p}, {provider: q}, {provider: p, model: pinned}]}
            """);
        var config = ConfigLoader.Parse(Providers + "routes: []\n", "r.yaml");
        var route = table.Resolve(requested)!;
        Assert.Equal(upstream, route.UpstreamModel(route.Route.Targets[0], config.Providers["p"]));
        Assert.Equal(upstream, route.UpstreamModel(route.Route.Targets[1], config.Providers["q"])); // the route's mapping wins over the provider's
        Assert.Equal("pinned", route.UpstreamModel(route.Route.Targets[2], config.Providers["p"]));  // an explicit target model wins over both
    }

    [Fact]
    public void Provider_mapping_and_passthrough()
    {
        var config = ConfigLoader.Parse("""
            providers:
              - {name: q, type: mock, big_model: q-big, small_model: q-small}
              - {name: pass, type: mock, big_model: passthrough, small_model: tiny}
            routes:
              - {model: "claude-*", targets: [{provider: q}, {provider: pass}]}
            """, "r.yaml");
        var table = new RouteTable(config.Routes);
        var haiku = table.Resolve("claude-haiku-4-5")!;
        var sonnet = table.Resolve("claude-sonnet-4-5")!;
        Assert.Equal("q-small", haiku.UpstreamModel(haiku.Route.Targets[0], config.Providers["q"]));
        Assert.Equal("q-big", sonnet.UpstreamModel(sonnet.Route.Targets[0], config.Providers["q"]));
        Assert.Equal("tiny", haiku.UpstreamModel(haiku.Route.Targets[1], config.Providers["pass"]));
        Assert.Equal("claude-sonnet-4-5", sonnet.UpstreamModel(sonnet.Route.Targets[1], config.Providers["pass"]));
    }

    [Fact]
    public async Task Claude_Codes_haiku_and_sonnet_requests_reach_the_mapped_upstream_models()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: oa, type: openai, base_url: "{{fake.Url}}/v1", keys: [k], big_model: gpt-4.1, small_model: gpt-4.1-mini}
            routes:
              - {model: "claude-*", targets: [{provider: oa}]}
            """);
        foreach (var (requested, expected) in new[] { ("claude-haiku-4-5", "gpt-4.1-mini"), ("claude-sonnet-4-5", "gpt-4.1") })
        {
            using var resp = await gw.PostJsonAsync("/v1/messages", $$"""{"model":"{{requested}}","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}""");
            Assert.Equal(expected, resp.Headers.GetValues("x-switchyard-model").Single());
            Assert.Equal(expected, fake.Requests.Last().Json["model"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Per_target_patches_cap_max_tokens_set_effort_and_drop_parameters()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: oa, type: openai, base_url: "{{fake.Url}}/v1", keys: [k]}
            routes:
              - model: m
                targets:
                  - provider: oa
                    model: o4-mini
                    patch: {max_tokens: 1000, reasoning_effort: low, drop: [temperature, logit_bias]}
            """);
        // An OpenAI client to an OpenAI upstream: the patch forces the translate path, unknown fields still survive.
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","max_completion_tokens":50000,"temperature":0.3,"logit_bias":{"1":1},"seed":9,"messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var sent = fake.Requests.Single().Json;
        Assert.Equal(1000, sent["max_completion_tokens"]!.GetValue<int>());
        Assert.Equal("low", sent["reasoning_effort"]!.GetValue<string>());
        Assert.Null(sent["temperature"]);
        Assert.Null(sent["logit_bias"]);
        Assert.Equal(9, sent["seed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Direct_routes_forward_bytes_and_refuse_other_protocols()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.Anthropic.TextResponse));
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: an, type: anthropic, base_url: "{{fake.Url}}", keys: [k]}
            routes:
              - {model: "claude-*", mode: direct, targets: [{provider: an}]}
            """);
        const string body = """{"model":"claude-x","max_tokens":10, "messages":[{"role":"user","content":"Hi"}]}""";
        using (var ok = await gw.PostJsonAsync("/v1/messages", body))
        {
            Assert.Equal(Wire.Anthropic.TextResponse, await ok.Content.ReadAsStringAsync());
            Assert.Equal(body, System.Text.Encoding.UTF8.GetString(fake.Requests.Single().Body));
        }
        using var refused = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"claude-x","messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("mode: direct", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(fake.Requests);
    }

    [Theory]
    [InlineData("routes:\n  - {model: m, strategy: fastest, targets: [{provider: p}]}\n", "unknown strategy 'fastest'")]
    [InlineData("routes:\n  - {model: m, mode: direct, targets: [{provider: p, patch: {max_tokens: 5}}]}\n", "cannot patch requests")]
    [InlineData("routes:\n  - {targets: [{provider: p}]}\n", "'model' is required")]
    public void Invalid_routes_are_refused_with_their_line(string routes, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Providers + routes, "r.yaml"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("r.yaml:", ex.Message, StringComparison.Ordinal);
    }
}
