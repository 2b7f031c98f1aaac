using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Dispatch;

/// <summary>Each upstream event reaches the client before the upstream sends the next one: nothing is buffered.</summary>
public sealed class StreamingTests
{
    [Theory]
    [InlineData("openai", "openai")]
    [InlineData("openai", "anthropic")]
    [InlineData("anthropic", "openai")]
    [InlineData("anthropic", "anthropic")]
    public async Task Every_chunk_is_flushed_to_the_client_before_the_next_is_sent(string client, string upstream)
    {
        const int chunks = 5;
        var seen = new SemaphoreSlim(0);
        await using var fake = await FakeUpstream.StartAsync(async (ctx, _) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await Write(ctx, upstream == "openai"
                ? "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"g\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
                : "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"c\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
            for (var i = 0; i < chunks; i++)
            {
                await Write(ctx, upstream == "openai"
                    ? $"data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"g\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"<{i}>\"}}}}]}}\n\n"
                    : $"event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"<{i}>\"}}}}\n\n");
                // Hold the next chunk until the client has seen this one (or fail after 10 s).
                Assert.True(await seen.WaitAsync(TimeSpan.FromSeconds(10)), $"chunk {i} did not reach the client: the gateway buffered it");
            }
            await Write(ctx, upstream == "openai"
                ? "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"g\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
                : "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":5}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        });
        await using var gw = await Gateway.StartAsync($$"""
            providers:
              - {name: up, type: {{upstream}}, base_url: "{{fake.Url}}{{(upstream == "openai" ? "/v1" : "")}}", keys: [k]}
            routes:
              - model: m
                targets: [{provider: up}]
            """);
        var path = client == "openai" ? "/v1/chat/completions" : "/v1/messages";
        var body = client == "openai"
            ? """{"model":"m","stream":true,"messages":[{"role":"user","content":"count"}]}"""
            : """{"model":"m","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"count"}]}""";
        using var resp = await gw.PostJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        using var stream = await resp.Content.ReadAsStreamAsync();
        var received = new StringBuilder();
        var buffer = new byte[4096];
        var next = 0;
        while (true)
        {
            var n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                break;
            }
            received.Append(Encoding.UTF8.GetString(buffer, 0, n));
            while (next < chunks && received.ToString().Contains($"<{next}>", StringComparison.Ordinal))
            {
                next++;
                seen.Release();
            }
        }
        Assert.Equal(chunks, next);
    }

    private static async Task Write(HttpContext ctx, string text)
    {
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text));
        await ctx.Response.Body.FlushAsync();
    }
}
