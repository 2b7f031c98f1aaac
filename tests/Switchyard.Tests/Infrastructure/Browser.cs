using Microsoft.Playwright;

namespace Switchyard.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, installed by <c>.ci/run</c>), headless, driven by Playwright for .NET —
/// no browser download. One browser per test class; each test gets its own context (cookies), its page's console
/// errors collected, screenshots written under <c>artifacts/screenshots/</c>, and axe-core (npm, from tests/clients)
/// injected for accessibility checks.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private Browser(IPlaywright playwright, IBrowser chromium)
    {
        _playwright = playwright;
        Chromium = chromium;
    }

    public IBrowser Chromium { get; }

    public static async Task<Browser> StartAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: the browser tests use Debian's Chromium (apt-get install chromium; .ci/run installs it).");
        }
        var playwright = await Playwright.CreateAsync();
        var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // This machine's network is closed: Chromium's own background traffic would only fail (and slow it down).
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return new Browser(playwright, chromium);
    }

    /// <summary>A fresh context and page; <paramref name="errors"/> collects what the page's console and scripts report as errors.</summary>
    public async Task<(IBrowserContext Context, IPage Page)> NewPageAsync(string baseUrl, List<string> errors)
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add($"{message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => errors.Add(error);
        return (context, page);
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    /// <summary>axe-core's serious and critical violations on the page as it is now ("rule: help (n nodes)").</summary>
    public static async Task<List<string>> AccessibilityViolationsAsync(IPage page)
    {
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = Path.Combine(ToolLocator.ClientsDirectory(), "node_modules", "axe-core", "axe.min.js") });
        var violations = await page.EvaluateAsync<System.Text.Json.JsonElement>(
            "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => `${v.id}: ${v.help} (${v.nodes.length} nodes: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')})`)");
        return [.. violations.EnumerateArray().Select(v => v.GetString()!)];
    }

    /// <summary>Fails naming every serious or critical accessibility violation on the page.</summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        var violations = await AccessibilityViolationsAsync(page);
        Xunit.Assert.True(violations.Count == 0, $"{page.Url}: " + string.Join("\n", violations));
    }

    private static string RepositoryRoot() => Path.GetFullPath(Path.Combine(ToolLocator.ClientsDirectory(), "..", ".."));

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        _playwright.Dispose();
    }
}
