using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Playwright;
using Switchyard.Tests.Infrastructure;

namespace Switchyard.Tests.WebConsole;

/// <summary>What a console user does, as the browser tests do it: log in, type into labelled fields, pick from a select.</summary>
internal static class ConsoleFlows
{
    public static async Task LogInAsync(IPage page, string credential)
    {
        await page.GotoAsync("/ui");
        await page.WaitForURLAsync("**/ui/login**");
        await page.GetByLabel("Admin key or admin token").FillAsync(credential);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
    }

    /// <summary>Types into a labelled field as a user does and moves on: the field commits its value when it loses the focus.</summary>
    public static async Task TypeAsync(IPage page, string label, string text)
    {
        var field = page.GetByLabel(label, new() { Exact = true });
        await field.FillAsync("");
        if (text.Length > 0)
        {
            await field.PressSequentiallyAsync(text);
        }
        await field.PressAsync("Tab");
        await Assertions.Expect(field).ToHaveValueAsync(text);
    }

    /// <summary>Opens a labelled select and clicks one of its options.</summary>
    public static async Task SelectAsync(IPage page, string label, string option)
    {
        await page.GetByLabel(label, new() { Exact = true }).ClickAsync();
        var choice = page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true });
        await choice.ClickAsync();
        await Assertions.Expect(choice).ToBeHiddenAsync(); // the list closed on the choice
    }

    /// <summary>One chat completion through the gateway with a client key; its status.</summary>
    public static async Task<HttpStatusCode> ChatAsync(Gateway gw, string model, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await gw.Client.SendAsync(request);
        return response.StatusCode;
    }
}
