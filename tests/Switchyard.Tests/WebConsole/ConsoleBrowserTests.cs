using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Playwright;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.WebConsole;

/// <summary>The web console at /ui in real Chromium: logging in and out, the dashboard live with real traffic, the providers page; no console errors, no serious accessibility violation.</summary>
public sealed class ConsoleBrowserTests : IAsyncLifetime
{
    private const string AdminKey = "adm-console-secret-2468";
    private Browser _browser = null!;
    private FakeUpstream _fake = null!;
    private Gateway _gw = null!;

    public async Task InitializeAsync()
    {
        _browser = await Browser.StartAsync();
        _fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.OpenAI.TextResponse));
        _gw = await Gateway.StartAsync($$"""
            auth:
              admin_key: {{AdminKey}}
              keys: [sk-sy-console-traffic]
            providers:
              - {name: openai-main, type: openai, base_url: "{{_fake.Url}}/v1", keys: [sk-upstream-console-0001, sk-upstream-console-0002]}
            routes:
              - {model: "gpt-*", targets: [{provider: openai-main}]}
            tenants:
              - {name: team-a, keys: [sk-team-a-static-0001], limits: {rpm: 100} }
            """);
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _fake.DisposeAsync();
        await _browser.DisposeAsync();
    }

    private static Task LogInAsync(IPage page, string credential) => ConsoleFlows.LogInAsync(page, credential);

    [Fact]
    public async Task A_wrong_key_is_refused_and_the_admin_key_opens_a_live_dashboard()
    {
        var errors = new List<string>();
        var (context, page) = await _browser.NewPageAsync(_gw.Url, errors);
        await using var _ = context;

        await LogInAsync(page, "not-the-key");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Not logged in");
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-login-refused");

        await page.GetByLabel("Admin key or admin token").FillAsync(AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync("**/ui");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("tr[data-provider='openai-main']")).ToContainTextAsync("healthy");
        var cookie = (await context.CookiesAsync()).Single(c => c.Name == "switchyard_console");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(AdminKey, await page.ContentAsync(), StringComparison.Ordinal);

        // Traffic shows up without reloading the page (the dashboard refreshes itself from the rollups).
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await ChatAsync("gpt-4o-mini"));
        }
        await Assertions.Expect(page.GetByTestId("kpi-requests")).ToContainTextAsync("3", new() { Timeout = 20_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "gpt-4o-mini", Exact = true })).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-dashboard");

        // The theme switch works by keyboard too.
        await page.GetByRole(AriaRole.Button, new() { Name = "Use the dark theme" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Use the light theme" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await page.WaitForURLAsync("**/ui/login**");
        await page.GotoAsync("/ui/providers");
        await page.WaitForURLAsync("**/ui/login**"); // the session is gone
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_providers_page_shows_health_and_masked_keys()
    {
        var errors = new List<string>();
        var (context, page) = await _browser.NewPageAsync(_gw.Url, errors);
        await using var _ = context;
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("gpt-4o"));

        await LogInAsync(page, AdminKey);
        await page.WaitForURLAsync("**/ui");
        await page.GetByRole(AriaRole.Link, new() { Name = "Providers and keys" }).ClickAsync();
        await page.WaitForURLAsync("**/ui/providers");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Providers and keys", Exact = true })).ToBeVisibleAsync();
        var provider = page.Locator("div[data-provider='openai-main']");
        await Assertions.Expect(provider).ToContainTextAsync("sk-u…0001");
        await Assertions.Expect(provider).ToContainTextAsync("available");
        await Assertions.Expect(provider).ToContainTextAsync("200×1"); // the key that served it counts it by status code
        var html = await page.ContentAsync();
        Assert.DoesNotContain("sk-upstream-console-0001", html, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-upstream-console-0002", html, StringComparison.Ordinal);
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-providers");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_console_pages_need_a_session_and_a_return_url_stays_inside_the_console()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(_gw.Url) };
        using var page = await client.GetAsync("/ui/providers");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/ui/login", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);

        var errors = new List<string>();
        var (context, browser) = await _browser.NewPageAsync(_gw.Url, errors);
        await using var _ = context;
        await browser.GotoAsync("/ui/login?returnUrl=https://evil.example/");
        await browser.GetByLabel("Admin key or admin token").FillAsync(AdminKey);
        await browser.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await browser.WaitForURLAsync("**/ui");
        Assert.StartsWith(_gw.Url, browser.Url, StringComparison.Ordinal);
        await Browser.ScreenshotAsync(browser, "console-return-url");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_request_log_filters_pages_and_shows_a_requests_trail()
    {
        Assert.Equal(HttpStatusCode.OK, await ChatAsync("gpt-4o"));
        Assert.Equal(HttpStatusCode.NotFound, await ChatAsync("nothing-routes-here"));
        var errors = new List<string>();
        var (context, page) = await _browser.NewPageAsync(_gw.Url, errors);
        await using var _ = context;
        await LogInAsync(page, AdminKey);
        await page.WaitForURLAsync("**/ui");

        // The rows are written behind the requests, and a typed filter reaches the server as the user types: search
        // until the page shows what the filter selects.
        await page.GotoAsync("/ui/logs");
        var rows = page.Locator("tr[data-request]");
        async Task SearchUntilAsync(int count, string model)
        {
            async Task<bool> Shown() => await rows.CountAsync() == count && (await rows.AllTextContentsAsync()).All(t => t.Contains(model, StringComparison.Ordinal));
            for (var i = 0; i < 50 && !await Shown(); i++)
            {
                await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
                await Task.Delay(200);
            }
            await Assertions.Expect(rows).ToHaveCountAsync(count);
            Assert.True(await Shown(), string.Join(" | ", await rows.AllTextContentsAsync()));
        }
        await SearchUntilAsync(2, "");

        await TypeAsync(page, "Status (429, 4xx, error)", "4xx");
        await SearchUntilAsync(1, "nothing-routes-here");

        await TypeAsync(page, "Status (429, 4xx, error)", "");
        await TypeAsync(page, "Model", "gpt-4o");
        await SearchUntilAsync(1, "gpt-4o");
        await rows.First.GetByRole(AriaRole.Button).ClickAsync();
        var detail = page.Locator("tr[data-detail]");
        await Assertions.Expect(detail).ToContainTextAsync("route glob gpt-*");
        await Assertions.Expect(detail).ToContainTextAsync("openai-main");
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-request-detail");

        await TypeAsync(page, "Status (429, 4xx, error)", "sideways");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Status takes a code");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_routes_page_lists_the_table_and_explains_where_a_name_goes()
    {
        var errors = new List<string>();
        var (context, page) = await _browser.NewPageAsync(_gw.Url, errors);
        await using var _ = context;
        await LogInAsync(page, AdminKey);
        await page.WaitForURLAsync("**/ui");
        await page.GotoAsync("/ui/routes");
        await Assertions.Expect(page.Locator("tr[data-route='gpt-*']")).ToContainTextAsync("openai-main");

        await TypeAsync(page, "Model name", "gpt-4.1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        var resolution = page.GetByTestId("resolution");
        await Assertions.Expect(resolution).ToContainTextAsync("route gpt-*");
        await Assertions.Expect(resolution).ToContainTextAsync("openai-main asks for gpt-4.1");
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-routes");

        await TypeAsync(page, "Model name", "claude-nowhere");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Assertions.Expect(resolution).ToContainTextAsync("No route matches 'claude-nowhere'");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_virtual_key_is_created_shown_once_copied_used_and_revoked_from_the_console()
    {
        var errors = new List<string>();
        var (context, page) = await _browser.NewPageAsync(_gw.Url, errors);
        await using var _ = context;
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = _gw.Url });
        await LogInAsync(page, AdminKey);
        await page.WaitForURLAsync("**/ui");
        await page.GotoAsync("/ui/tenants");
        var tenant = page.Locator("div[data-tenant='team-a']");
        await Assertions.Expect(tenant).ToContainTextAsync("rpm 100");

        var name = page.GetByRole(AriaRole.Textbox, new() { Name = "Name of a new key for team-a", Exact = true });
        await name.PressSequentiallyAsync("ci"); // typed as a user types it, then the focus moves on (the field commits its value)
        await name.PressAsync("Tab");
        await Assertions.Expect(name).ToHaveValueAsync("ci");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key for team-a" }).ClickAsync();
        var shown = page.GetByTestId("new-key-value");
        await Assertions.Expect(shown).ToContainTextAsync("sk-sy-");
        var key = (await shown.TextContentAsync())!.Trim();
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copied", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(key, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await Browser.AssertAccessibleAsync(page);
        await Browser.ScreenshotAsync(page, "console-new-key");

        Assert.Equal(HttpStatusCode.OK, await ChatAsync("gpt-4o", key));
        await page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("new-key")).ToHaveCountAsync(0); // the page has re-rendered without it
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal); // shown once: gone when dismissed
        var row = tenant.Locator("tr[data-vkey]").Filter(new() { HasText = "ci" });
        await Assertions.Expect(row).ToContainTextAsync("active");
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync("gpt-4o", key));

        // Audited as the admin API's changes are, with the console user as the actor.
        using var auditRequest = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/audit?target=tenant/team-a");
        auditRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var auditResponse = await _gw.Client.SendAsync(auditRequest);
        var entries = System.Text.Json.Nodes.JsonNode.Parse(await auditResponse.Content.ReadAsStringAsync())!["data"]!.AsArray();
        Assert.Equal(["vkey.revoke", "vkey.create"], entries.Select(e => e!["action"]!.GetValue<string>()));
        Assert.All(entries, e => Assert.Equal("admin key", e!["actor"]!.GetValue<string>()));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_console_can_be_turned_off()
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock + "\nui: {enabled: false}\n");
        using var response = await gw.Client.GetAsync("/ui");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var script = await gw.Client.GetAsync("/_framework/blazor.web.js");
        Assert.Equal(HttpStatusCode.NotFound, script.StatusCode);
    }

    private static Task TypeAsync(IPage page, string label, string text) => ConsoleFlows.TypeAsync(page, label, text);

    private Task<HttpStatusCode> ChatAsync(string model, string key = "sk-sy-console-traffic") => ConsoleFlows.ChatAsync(_gw, model, key);
}
