using System.Net;
using Switchyard.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Switchyard.Tests.Dispatch;

public sealed class UpstreamAuthTests
{
    [Theory]
    [InlineData("auth: bearer", "authorization", "Bearer sk-up")]
    [InlineData("auth: x-api-key", "x-api-key", "sk-up")]
    [InlineData("{auth: header, auth_header: X-Relay-Token, auth_format: 'Token {key}'}", "x-relay-token", "Token sk-up")]
    public async Task Anthropic_providers_authenticate_as_configured(string auth, string header, string expected)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Json(Wire.Anthropic.TextResponse));
        var authLines = auth.StartsWith('{') ? string.Join("\n", auth.Trim('{', '}').Split(", ").Select(p => "    " + p.Trim())) : "    " + auth;
        await using var gw = await Gateway.StartAsync($"""
            providers:
              - name: claude
                type: anthropic
                base_url: {fake.Url}
                keys: [sk-up]
                headers: {"{"}X-Team: blue{"}"}
            {authLines}
            routes:
              - model: m
                targets: [{"{"}provider: claude{"}"}]
            """);
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var sent = Assert.Single(fake.Requests);
        Assert.Equal(expected, sent.Header(header));
        Assert.Equal("blue", sent.Header("x-team"));
        if (header != "x-api-key")
        {
            Assert.Equal("", sent.Header("x-api-key"));
        }
    }

    [Fact]
    public async Task A_client_that_goes_away_cancels_the_upstream_request()
    {
        var upstreamCancelled = new TaskCompletionSource();
        await using var fake = await FakeUpstream.StartAsync(async (ctx, _) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await ctx.Response.WriteAsync("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}}\n\n");
            await ctx.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                upstreamCancelled.TrySetResult();
            }
        });
        await using var gw = await Gateway.StartAsync($"""
            providers:
              - {"{"}name: up, type: anthropic, base_url: "{fake.Url}", keys: [k]{"}"}
            routes:
              - model: m
                targets: [{"{"}provider: up{"}"}]
            """);
        var resp = await gw.PostJsonAsync("/v1/messages", """{"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"Hi"}]}""");
        var stream = await resp.Content.ReadAsStreamAsync();
        Assert.True(await stream.ReadAsync(new byte[256]) > 0);
        resp.Dispose(); // the client hangs up mid-stream
        await upstreamCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
