using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Playwright;
using OpenAI;
using OpenAI.Chat;
using Switchyard.Config;
using Switchyard.Storage;
using Switchyard.Tests.Infrastructure;
using Xunit;
using static Switchyard.Tests.WebConsole.ConsoleFlows;

namespace Switchyard.Tests.WebConsole;

/// <summary>
/// Changes made in the console, in real Chromium, checked against the gateway itself: a provider added and tested
/// against a fake upstream, its keys added and disabled, a route created, edited and served, a tenant created and its
/// key used by the official OpenAI SDK, a tenant admin confined to its tenant, the playground, the audit log and the
/// settings; no console errors, no serious accessibility violation, a phone-sized screen that still reads.
/// </summary>
public sealed class ConsoleChangesBrowserTests : IAsyncLifetime
{
    private const string AdminKey = "adm-console-changes-1357";
    private const string JwtSecret = "jwt-console-signing-key-0123456789abcdef";
    private Browser _browser = null!;
    private FakeUpstream _main = null!, _fresh = null!;
    private Gateway _gw = null!;

    public async Task InitializeAsync()
    {
        _browser = await Browser.StartAsync();
        _main = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        _fresh = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        _gw = await Gateway.StartAsync(ConfigLoader.Parse($$"""
            auth:
              admin_key: {{AdminKey}}
              jwt: {issuer: https://idp.test, hs256_secret: "{{JwtSecret}}"}
            providers:
              - {name: openai-main, type: openai, base_url: "{{_main.Url}}/v1", keys: [sk-upstream-changes-0001]}
            routes:
              - {model: "gpt-*", targets: [{provider: openai-main}]}
            tenants:
              - {name: team-a, keys: [sk-team-a-static-0001]}
            pricing: [{model: "*", input: 2.5, output: 10}]
            """, "console.yaml"), masterKey: CredentialVault.NewKey());
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _main.DisposeAsync();
        await _fresh.DisposeAsync();
        await _browser.DisposeAsync();
    }

    private async Task<(IBrowserContext, IPage, List<string>)> AdminPageAsync()
    {
        var errors = new List<string>();
        var (context, page) = await _browser.NewPageAsync(_gw.Url, errors);
        await LogInAsync(page, AdminKey);
        await page.WaitForURLAsync("**/ui");
        return (context, page, errors);
    }

    [Fact]
    public async Task A_provider_is_added_and_tested_and_its_keys_added_disabled_and_removed()
    {
        var (context, page, errors) = await AdminPageAsync();
        await using var _ = context;
        await page.GotoAsync("/ui/providers");
        await TypeAsync(page, "Provider name", "fresh");
        await TypeAsync(page, "Base URL", _fresh.Url + "/v1");
        await TypeAsync(page, "API key", "sk-fresh-upstream-0001");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add provider" }).ClickAsync();
        var provider = page.Locator("div[data-provider='fresh']");
        await Assertions.Expect(provider).ToContainTextAsync("from the store");
        await Assertions.Expect(provider).ToContainTextAsync("sk-f…0001");

        // The connection test is one real call: the fake upstream got it with the key, and its answer is shown.
        await TypeAsync(page, "Model to test fresh with", "gpt-4o-mini");
        await provider.GetByRole(AriaRole.Button, new() { Name = "Test fresh", Exact = true }).ClickAsync();
        var test = page.GetByTestId("test-fresh");
        await Assertions.Expect(test).ToContainTextAsync("Reached: status 200");
        await Assertions.Expect(test).ToContainTextAsync(Wire.Text);
        Assert.Contains(_fresh.Requests, r => r.Header("authorization") == "Bearer sk-fresh-upstream-0001");

        await TypeAsync(page, "New key for fresh", "sk-fresh-upstream-0002");
        await provider.GetByRole(AriaRole.Button, new() { Name = "Add key to fresh" }).ClickAsync();
        var second = provider.Locator("tr[data-key]").Filter(new() { HasText = "sk-f…0002" });
        await Assertions.Expect(second).ToContainTextAsync("available");
        await second.GetByRole(AriaRole.Button, new() { Name = "Disable key sk-f…0002" }).ClickAsync();
        await Assertions.Expect(second).ToContainTextAsync("disabled (enabled: false)");
        Assert.DoesNotContain("sk-fresh-upstream-000", await page.ContentAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-provider-added");

        // In force for traffic: a route to the new provider uses only the enabled key.
        var keys = (await AdminAsync(HttpMethod.Get, "/admin/v1/providers/fresh/keys"))!["data"]!.AsArray();
        Assert.Equal([true, false], keys.Select(k => k!["enabled"]!.GetValue<bool>()));

        await second.GetByRole(AriaRole.Button, new() { Name = "Remove key sk-f…0002" }).ClickAsync();
        await Assertions.Expect(provider.Locator("tr[data-key]")).ToHaveCountAsync(1);

        // Each change is in the audit log, with the console user as the actor.
        await page.GotoAsync("/ui/audit");
        var audit = page.Locator("tr[data-audit]");
        await Assertions.Expect(audit).ToHaveCountAsync(4);
        Assert.Equal(["key.delete", "key.disable", "key.add", "provider.create"], await audit.Locator("td:nth-child(3)").AllTextContentsAsync());
        Assert.All(await audit.Locator("td:nth-child(2)").AllTextContentsAsync(), actor => Assert.Equal("admin key", actor));
        Assert.DoesNotContain("sk-fresh-upstream-000", await page.ContentAsync(), StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-audit");

        await page.GotoAsync("/ui/providers");
        await provider.GetByRole(AriaRole.Button, new() { Name = "Remove provider fresh" }).ClickAsync();
        await Assertions.Expect(provider).ToHaveCountAsync(0);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_route_is_created_resolved_served_and_edited()
    {
        var (context, page, errors) = await AdminPageAsync();
        await using var _ = context;
        await page.GotoAsync("/ui/routes");
        await TypeAsync(page, "Route model name or glob", "team-*");
        await SelectAsync(page, "Target 1 provider", "openai-main");
        await TypeAsync(page, "Target 1 upstream model (empty: the name asked for)", "gpt-4o-mini");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create route" }).ClickAsync();
        var route = page.Locator("tr[data-route='team-*']");
        await Assertions.Expect(route).ToContainTextAsync("openai-main → gpt-4o-mini");

        await TypeAsync(page, "Model name", "team-chat");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("resolution")).ToContainTextAsync("openai-main asks for gpt-4o-mini");
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("team-chat", "sk-team-a-static-0001"));
        Assert.Equal("gpt-4o-mini", _main.Requests.Last().Json["model"]!.GetValue<string>());

        // Edit: another upstream model and a scenario rule; the next request follows it.
        await route.GetByRole(AriaRole.Button, new() { Name = "Edit route team-*" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Edit the route team-*" })).ToBeVisibleAsync(); // the form holds the route now
        await TypeAsync(page, "Target 1 upstream model (empty: the name asked for)", "gpt-4.1");
        await page.GetByLabel("Scenario rules (JSON, as the YAML writes them; optional)").FillAsync("""[{"when": {"thinking": true}, "targets": [{"provider": "openai-main", "model": "o3"}]}]""");
        await page.GetByLabel("Scenario rules (JSON, as the YAML writes them; optional)").PressAsync("Tab");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save route" }).ClickAsync();
        await Assertions.Expect(route).ToContainTextAsync("openai-main → gpt-4.1");
        await Assertions.Expect(route).ToContainTextAsync("thinking: true → openai-main → o3");
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("team-chat", "sk-team-a-static-0001"));
        Assert.Equal("gpt-4.1", _main.Requests.Last().Json["model"]!.GetValue<string>());

        // A bad change is refused with the reason, and nothing changes.
        await route.GetByRole(AriaRole.Button, new() { Name = "Edit route team-*" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Edit the route team-*" })).ToBeVisibleAsync(); // the form holds the route now
        await page.GetByLabel("Scenario rules (JSON, as the YAML writes them; optional)").FillAsync("[{\"when\": {\"sideways\": 1}}]");
        await page.GetByLabel("Scenario rules (JSON, as the YAML writes them; optional)").PressAsync("Tab");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save route" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("sideways");
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-route-edit");
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("team-chat", "sk-team-a-static-0001"));
        Assert.Equal("gpt-4.1", _main.Requests.Last().Json["model"]!.GetValue<string>());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_tenant_made_in_the_console_gets_a_key_the_official_sdk_uses_and_its_traffic_shows_with_its_trail()
    {
        var (context, page, errors) = await AdminPageAsync();
        await using var _ = context;
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = _gw.Url });
        await page.GotoAsync("/ui/tenants");
        await TypeAsync(page, "Tenant name", "research");
        await TypeAsync(page, "Models (globs, comma separated; empty: any)", "gpt-*");
        await TypeAsync(page, "Requests per day", "40");
        await TypeAsync(page, "Budget USD per month", "20");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create tenant" }).ClickAsync();
        var tenant = page.Locator("div[data-tenant='research']");
        await Assertions.Expect(tenant).ToContainTextAsync("requests/day 40");

        await tenant.GetByRole(AriaRole.Button, new() { Name = "Create key for research" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copied", Exact = true })).ToBeVisibleAsync(); // the clipboard has it now
        var key = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.StartsWith("sk-sy-", key, StringComparison.Ordinal);

        // The official OpenAI SDK, with the key the console made: a plain answer and a stream.
        var sdk = new ChatClient("gpt-4o", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(_gw.Url + "/v1") });
        ChatCompletion answer = await sdk.CompleteChatAsync("Hi");
        Assert.Equal(Wire.Text, answer.Content[0].Text);
        var streamed = new StringBuilder();
        await foreach (var update in sdk.CompleteChatStreamingAsync("Hi again"))
        {
            streamed.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
        }
        Assert.Equal(Wire.Text, streamed.ToString());

        // The usage bars, the dashboard and the log see it (written behind the requests: the pages refresh).
        var use = tenant.Locator("[data-use='requests today']");
        for (var i = 0; i < 50 && !(await use.TextContentAsync() ?? "").Contains("2 of 40", StringComparison.Ordinal); i++)
        {
            await Task.Delay(200);
            await page.GotoAsync("/ui/tenants");
            await use.WaitForAsync();
        }
        await Assertions.Expect(use).ToContainTextAsync("requests today: 2 of 40");
        var prefix = (await tenant.Locator("tr[data-vkey] code").First.TextContentAsync())!.Trim().TrimEnd('…');
        Assert.StartsWith(prefix, key, StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-tenants");
        await page.GotoAsync("/ui");
        var byTenant = page.Locator("[aria-labelledby='by-tenant'] tr").Filter(new() { HasText = "research" });
        await Assertions.Expect(byTenant).ToContainTextAsync("2", new() { Timeout = 20_000 });
        await Assertions.Expect(page.GetByTestId("kpi-latency")).Not.ToContainTextAsync("- / -");
        await page.GetByRole(AriaRole.Button, new() { Name = "Last 30 days" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Last 30 days" })).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(byTenant).ToContainTextAsync("2");
        await Browser.AssertAccessibleAsync(page);

        await page.GotoAsync("/ui/logs");
        await TypeAsync(page, "Tenant", "research");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var rows = page.Locator("tr[data-request]");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        // The other filters narrow it: protocol, key prefix, time.
        await SelectAsync(page, "Client protocol", "anthropic");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(0);
        await SelectAsync(page, "Client protocol", "openai");
        await TypeAsync(page, "Key prefix", prefix);
        await SelectAsync(page, "Time", "last hour");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await TypeAsync(page, "Key prefix", "sk-sy-nobody");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(0);
        await TypeAsync(page, "Key prefix", prefix);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await rows.First.GetByRole(AriaRole.Button).ClickAsync();
        var detail = page.Locator("tr[data-detail]");
        await Assertions.Expect(detail).ToContainTextAsync("route glob gpt-*");
        await Assertions.Expect(detail).ToContainTextAsync("openai-main");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_tenant_admin_sees_and_manages_only_its_tenant()
    {
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("gpt-4o", "sk-team-a-static-0001"));
        Assert.NotNull(await AdminAsync(HttpMethod.Post, "/admin/v1/tenants", """{"name": "other-team"}"""));
        var errors = new List<string>();
        var (context, page) = await _browser.NewPageAsync(_gw.Url, errors);
        await using var _ = context;
        await LogInAsync(page, Token("lead-bob", "tenant_admin", "team-a"));
        await page.WaitForURLAsync("**/ui");
        await Assertions.Expect(page.GetByTestId("user")).ToContainTextAsync("jwt:lead-bob · tenant team-a");

        await page.GotoAsync("/ui/tenants");
        await Assertions.Expect(page.Locator("div[data-tenant='team-a']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("div[data-tenant]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Create tenant" })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key for team-a" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("new-key-value")).ToContainTextAsync("sk-sy-");
        var first = (await page.GetByTestId("new-key-value").TextContentAsync())!.Trim();

        // Rotating shows the new key once; the old one keeps working through its grace period.
        await page.Locator("tr[data-vkey]").First.GetByRole(AriaRole.Button, new() { Name = "Rotate" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("new-key-value")).Not.ToHaveTextAsync(first);
        var rotated = (await page.GetByTestId("new-key-value").TextContentAsync())!.Trim();
        Assert.StartsWith("sk-sy-", rotated, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("gpt-4o", rotated));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("gpt-4o", first));
        await Assertions.Expect(page.Locator("tr[data-vkey]")).ToHaveCountAsync(2);
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-tenant-admin");

        await page.GotoAsync("/ui/providers");
        await Assertions.Expect(page.GetByText("Providers are managed by the gateway's operators.")).ToBeVisibleAsync();
        Assert.DoesNotContain("openai-main", await page.ContentAsync(), StringComparison.Ordinal);
        await page.GotoAsync("/ui/settings");
        await Assertions.Expect(page.GetByText("The gateway's settings are the operators'.")).ToBeVisibleAsync();
        await page.GotoAsync("/ui/audit");
        await Assertions.Expect(page.Locator("tr[data-audit='vkey.create']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("tr[data-audit='vkey.rotate']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("tr[data-audit='tenant.create']")).ToHaveCountAsync(0); // other-team's creation is not its business
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_playground_streams_an_answer_through_the_gateway_with_its_routing_headers()
    {
        var (context, page, errors) = await AdminPageAsync();
        await using var _ = context;
        await page.GotoAsync("/ui/playground");
        await SelectAsync(page, "Client protocol", "Anthropic Messages");
        await TypeAsync(page, "Model", "gpt-4o");
        await TypeAsync(page, "Client key (a virtual key; empty when the gateway is open)", "sk-team-a-static-0001");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("playground-text")).ToHaveTextAsync(Wire.Text);
        await Assertions.Expect(page.GetByTestId("playground-status")).ToContainTextAsync("200");
        var headers = page.GetByTestId("playground-headers");
        await Assertions.Expect(headers).ToContainTextAsync("x-switchyard-provider");
        await Assertions.Expect(headers).ToContainTextAsync("openai-main");
        await Assertions.Expect(headers).ToContainTextAsync("text/event-stream");
        await Assertions.Expect(page.GetByTestId("playground-raw")).ToContainTextAsync("content_block_delta");
        Assert.True(_main.Requests.Last().Json["stream"]!.GetValue<bool>()); // an Anthropic stream served by the OpenAI upstream, translated
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-playground");

        // Without a key the gateway refuses, in the protocol asked for, and the page says so.
        await TypeAsync(page, "Client key (a virtual key; empty when the gateway is open)", "");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("playground-status")).ToContainTextAsync("401");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("authentication_error");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_settings_show_the_effective_config_masked_and_the_console_reads_on_a_phone()
    {
        var (context, page, errors) = await AdminPageAsync();
        await using var _ = context;
        await page.GotoAsync("/ui/settings");
        var settings = page.GetByTestId("settings");
        await Assertions.Expect(settings).ToContainTextAsync("\"openai-main\"");
        await Assertions.Expect(settings).ToContainTextAsync("sk-u…0001");
        var html = await page.ContentAsync();
        Assert.DoesNotContain("sk-upstream-changes-0001", html, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminKey, html, StringComparison.Ordinal);
        Assert.DoesNotContain(JwtSecret, html, StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(page);

        // A phone: the pages fit the screen's width (wide tables scroll inside their own box) and stay accessible.
        await page.SetViewportSizeAsync(390, 844);
        foreach (var path in new[] { "/ui", "/ui/providers", "/ui/routes", "/ui/tenants", "/ui/logs" })
        {
            await page.GotoAsync(path);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 4 })).ToBeVisibleAsync();
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 0, $"{path} is {overflow} px wider than a phone's screen");
            await Browser.AssertAccessibleAsync(page);
        }
        await page.GotoAsync("/ui");
        await Browser.ScreenshotAsync(page, "console-phone-dashboard");
        Assert.Empty(errors);
    }

    private static string Token(string subject, string role, string tenant) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "https://idp.test",
        Claims = new Dictionary<string, object> { ["sub"] = subject, ["role"] = role, ["tenant"] = tenant },
        Expires = DateTime.UtcNow.AddMinutes(10),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(JwtSecret)), SecurityAlgorithms.HmacSha256),
    });

    private async Task<JsonNode?> AdminAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        using var response = await _gw.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private Task<HttpStatusCode> ChatAsync(string model, string key) => ConsoleFlows.ChatAsync(_gw, model, key);
}
