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
            """);
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _fake.DisposeAsync();
        await _browser.DisposeAsync();
    }

    private async Task LogInAsync(IPage page, string credential)
    {
        await page.GotoAsync("/ui");
        await page.WaitForURLAsync("**/ui/login**");
        await page.GetByLabel("Admin key or admin token").FillAsync(credential);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
    }

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

    private async Task<HttpStatusCode> ChatAsync(string model)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-sy-console-traffic");
        using var response = await _gw.Client.SendAsync(request);
        return response.StatusCode;
    }
}
