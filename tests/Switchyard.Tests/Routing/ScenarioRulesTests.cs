using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Routing;

/// <summary>
/// Scenario rules on a route (claude-code-router's Router): thinking, long context, web search, background work and the
/// client each select other targets, checked in order; <c>routes resolve</c> explains which rule took a request.
/// </summary>
public sealed class ScenarioRulesTests
{
    private static string Config(string url) => $$"""
        providers:
          - {name: up, type: openai, base_url: "{{url}}/v1", keys: [sk-up]}
          - {name: other, type: anthropic, base_url: "{{url}}", keys: [sk-other]}
        routes:
          - model: "claude-*"
            targets: [{provider: up, model: main-model}]
            rules:
              - when: {background: true}
                targets: [{provider: up, model: haiku-model}]
              - when: {thinking: true}
                targets: [{provider: up, model: think-model}]
              - when: {min_input_tokens: 2000}
                targets: [{provider: up, model: long-model}]
              - when: {tools_include: web_search}
                targets: [{provider: up, model: search-model}]
              - when: {client: codex, tools_include: "mcp__*"}
                targets: [{provider: up, model: codex-mcp-model}]
              - when: {client: codex}
                targets: [{provider: up, model: codex-model}]
        """;

    private static async Task<string> SendAsync(Gateway gw, FakeUpstream fake, string path, string body, string? userAgent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("user-agent", userAgent);
        }
        using var response = await gw.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return fake.Requests.Last().Json["model"]!.GetValue<string>();
    }

    private static string Messages(string model, string extra = "", string text = "Hi") =>
        $$"""{"model":"{{model}}","max_tokens":2048,"messages":[{"role":"user","content":{{JsonValue.Create(text).ToJsonString()}}}]{{extra}}}""";

    [Fact]
    public async Task Each_scenario_selects_its_targets_and_the_first_rule_that_holds_wins()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync(Config(fake.Url));

        Assert.Equal("main-model", await SendAsync(gw, fake, "/v1/messages", Messages("claude-sonnet-4-5")));
        Assert.Equal("haiku-model", await SendAsync(gw, fake, "/v1/messages", Messages("claude-haiku-4-5")));
        const string thinking = ""","thinking":{"type":"enabled","budget_tokens":1024}""";
        Assert.Equal("think-model", await SendAsync(gw, fake, "/v1/messages", Messages("claude-sonnet-4-5", thinking)));
        Assert.Equal("haiku-model", await SendAsync(gw, fake, "/v1/messages", Messages("claude-haiku-4-5", thinking))); // rule 0 comes first
        Assert.Equal("long-model", await SendAsync(gw, fake, "/v1/messages", Messages("claude-sonnet-4-5", text: string.Concat(Enumerable.Repeat("long context ", 1000)))));
        const string search = ""","tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}]""";
        Assert.Equal("search-model", await SendAsync(gw, fake, "/v1/messages", Messages("claude-sonnet-4-5", search)));

        // The same rules whatever protocol the client speaks: Chat Completions and Responses clients, Codex by its user agent.
        Assert.Equal("think-model", await SendAsync(gw, fake, "/v1/chat/completions",
            """{"model":"claude-sonnet-4-5","reasoning_effort":"high","messages":[{"role":"user","content":"Hi"}]}"""));
        Assert.Equal("main-model", await SendAsync(gw, fake, "/v1/chat/completions",
            """{"model":"claude-sonnet-4-5","reasoning_effort":"none","messages":[{"role":"user","content":"Hi"}]}"""));
        Assert.Equal("codex-model", await SendAsync(gw, fake, "/v1/responses", """{"model":"claude-sonnet-4-5","input":"Hi","store":false}""", "codex_exec/0.171.0 (Debian 12.0.0; x86_64)"));
        const string mcp = ""","tools":[{"type":"function","name":"mcp__files__read","parameters":{"type":"object","properties":{}}}]""";
        Assert.Equal("codex-mcp-model", await SendAsync(gw, fake, "/v1/responses", $$"""{"model":"claude-sonnet-4-5","input":"Hi","store":false{{mcp}}}""", "codex_exec/0.171.0"));
        Assert.Equal("main-model", await SendAsync(gw, fake, "/v1/responses", """{"model":"claude-sonnet-4-5","input":"Hi","store":false}""", "curl/8.5"));

        // The request log names the rule that took it (its rows are written behind the requests: wait for them).
        var trails = new List<string>();
        for (var i = 0; i < 100 && !trails.Any(t => t.Contains("rule 1 (thinking: true)", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100);
            using var log = await gw.Client.GetAsync("/admin/v1/logs?limit=20");
            trails = [.. JsonNode.Parse(await log.Content.ReadAsStringAsync())!["data"]!.AsArray().Select(r => r!["trail"]![0]!.GetValue<string>())];
        }
        Assert.Contains(trails, t => t.Contains("rule 1 (thinking: true)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resolve_explains_which_rule_takes_a_described_request_in_the_api_and_the_cli()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync(Config(fake.Url));
        var resolved = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/routes/resolve?model=claude-sonnet-4-5&input_tokens=70000&tools=web_search"))!;
        Assert.Equal("long-model", resolved["targets"]![0]!["upstream_model"]!.GetValue<string>());
        var rules = resolved["rules"]!.AsArray();
        Assert.Equal([false, false, true, true, false, false], rules.Select(r => r!["holds"]!.GetValue<bool>()));
        Assert.Equal([false, false, true, false, false, false], rules.Select(r => r!["selected"]!.GetValue<bool>()));
        Assert.Equal("glob claude-*, rule 2 (min_input_tokens: 2000)", resolved["matched_by"]!.GetValue<string>());
        using var bad = await gw.Client.GetAsync("/admin/v1/routes/resolve?model=claude-x&client=vscode");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 300;
        Assert.Equal(AdminCommands.Ok, await AdminCommands.RunAsync(["routes", "resolve", "claude-sonnet-4-5", "--thinking", "true", "--url", gw.Url], console, _ => null));
        var output = writer.ToString();
        Assert.Contains("rule 1 (thinking: true)", output, StringComparison.Ordinal);
        Assert.Contains("think-model", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rules_come_and_go_through_the_admin_api_like_the_file()
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        await using var gw = await Gateway.StartAsync(Config(fake.Url));
        using var created = await gw.Client.PostAsync("/admin/v1/routes", new StringContent("""
            {"model": "gpt-team", "targets": [{"provider": "up", "model": "plain"}],
             "rules": [{"when": {"thinking": true}, "targets": [{"provider": "up", "model": "deep"}]}]}
            """, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.True(view["rules"]![0]!["when"]!["thinking"]!.GetValue<bool>());
        Assert.Equal("deep", await SendAsync(gw, fake, "/v1/chat/completions", """{"model":"gpt-team","reasoning_effort":"low","messages":[{"role":"user","content":"Hi"}]}"""));
        Assert.Equal("plain", await SendAsync(gw, fake, "/v1/chat/completions", """{"model":"gpt-team","messages":[{"role":"user","content":"Hi"}]}"""));

        using var refused = await gw.Client.PostAsync("/admin/v1/routes", new StringContent("""
            {"model": "gpt-bad", "targets": [{"provider": "up"}], "rules": [{"when": {"thinkin": true}, "targets": [{"provider": "up"}]}]}
            """, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("rules[0].when.thinkin", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["param"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("when: {thinkin: true}", "routes[0].rules[0].when.thinkin", "unknown key 'thinkin'")]
    [InlineData("when: {}", "routes[0].rules[0].when", "name at least one condition")]
    [InlineData("when: {client: vscode}", "routes[0].rules[0].when.client", "unknown client 'vscode'")]
    [InlineData("when: {min_input_tokens: lots}", "routes[0].rules[0].when.min_input_tokens", "")]
    [InlineData("targets: [{provider: up}]", "routes[0].rules[0]", "'when' is required")]
    [InlineData("when: {thinking: true}", "routes[0].rules[0]", "'targets' is required")]
    public void A_bad_rule_is_refused_at_load_naming_the_field(string rule, string path, string message)
    {
        var yaml = $$"""
            providers:
              - {name: up, type: mock}
            routes:
              - model: m
                targets: [{provider: up}]
                rules:
                  - {{{rule}}}
            """;
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "rules.yaml"));
        Assert.Contains(path + ":", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
