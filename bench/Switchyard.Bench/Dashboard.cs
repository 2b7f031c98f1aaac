using Microsoft.Playwright;

namespace Switchyard.Bench;

/// <summary>The web console's dashboard open in headless Chromium, logged in (it refreshes itself every 5 s over its circuit).</summary>
internal sealed class Dashboard : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Dashboard(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>Logs in (the bench gateway has no admin key: loopback callers submit an empty form) and returns once the dashboard has rendered.</summary>
    public static async Task<Dashboard> OpenAsync(string chromium, string consoleUrl)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(consoleUrl);
        await page.WaitForURLAsync("**/ui/login**");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.GetByTestId("kpi-requests").WaitForAsync(new() { Timeout = 30_000 });
        return new Dashboard(playwright, browser);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
