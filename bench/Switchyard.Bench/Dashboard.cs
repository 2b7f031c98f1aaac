using System.Text.Json;

namespace Switchyard.Bench;

/// <summary>The web console's dashboard open in headless Chromium (it refreshes itself every 5 s over its circuit).</summary>
internal static class Dashboard
{
    /// <summary>Starts Chromium on the page and returns once the dashboard has rendered (its title is set by the live page).</summary>
    public static async Task<Child> OpenAsync(string chromium, string url, string work)
    {
        var port = Net.FreePort();
        var profile = Directory.CreateTempSubdirectory("dashboard-profile").FullName;
        var browser = Child.Start(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
            $"--user-data-dir={profile}", $"--remote-debugging-port={port}", "--remote-allow-origins=*", url], Path.Combine(work, "chromium.log"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 150; i++)
        {
            try
            {
                using var pages = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"));
                if (pages.RootElement.EnumerateArray().Any(p => p.GetProperty("title").GetString()?.StartsWith("Dashboard", StringComparison.Ordinal) == true))
                {
                    return browser;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        browser.Dispose();
        throw new TimeoutException($"the dashboard at {url} did not render in Chromium within 30 s (see {work}/chromium.log)");
    }
}
