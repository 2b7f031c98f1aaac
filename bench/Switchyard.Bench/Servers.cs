using System.Net.Http.Headers;

namespace Switchyard.Bench;

/// <summary>The fake upstream and the floor hop: the thinnest things on the same stack.</summary>
internal static class Servers
{
    /// <summary>
    /// OpenAI at /v1/chat/completions and Anthropic at /v1/messages, fixed answers; streams of <c>chunks=N</c> chunks
    /// (default 20) <c>interval=MS</c> apart (default 0), read from the prompt text so they survive any gateway's
    /// translation (headers would not be forwarded). With <paramref name="faults"/>, the same under /flaky/v1/… answers
    /// with the upstream faults of <see cref="UpstreamFaults"/> in turn.
    /// </summary>
    public static WebApplication FakeUpstream(string url, UpstreamFaults? faults = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        app.Run(async ctx =>
        {
            var body = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(body);
            var stream = body.GetBuffer().AsSpan(0, (int)body.Length).IndexOf("\"stream\":true"u8) >= 0;
            var anthropic = ctx.Request.Path.Value!.EndsWith("/v1/messages", StringComparison.Ordinal);
            if (faults is not null && ctx.Request.Path.StartsWithSegments("/flaky") && await faults.AnswerAsync(ctx, anthropic, stream))
            {
                return;
            }
            if (!stream)
            {
                var bytes = anthropic ? Wire.AnthropicResponse : Wire.OpenAIResponse;
                ctx.Response.ContentType = "application/json";
                ctx.Response.ContentLength = bytes.Length;
                await ctx.Response.Body.WriteAsync(bytes);
                return;
            }
            var text = System.Text.Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
            var chunks = Number(text, "chunks=") ?? 20;
            var interval = Number(text, "interval=") ?? 0;
            await StreamEventsAsync(ctx, anthropic, chunks, interval);
            await ctx.Response.Body.WriteAsync(anthropic ? Wire.AnthropicStreamEnd : Wire.OpenAIStreamEnd);
        });
        return app;
    }

    /// <summary>A stream's head and <paramref name="chunks"/> text events, each flushed, <paramref name="interval"/> ms apart; not its end.</summary>
    public static async Task StreamEventsAsync(HttpContext ctx, bool anthropic, int chunks, int interval = 0)
    {
        ctx.Response.ContentType = "text/event-stream";
        if (anthropic)
        {
            await ctx.Response.Body.WriteAsync(Wire.AnthropicStreamStart);
        }
        for (var i = 0; i < chunks; i++)
        {
            await ctx.Response.Body.WriteAsync(anthropic ? Wire.AnthropicChunk(i) : Wire.OpenAIChunk(i));
            await ctx.Response.Body.FlushAsync();
            if (interval > 0)
            {
                await Task.Delay(interval, ctx.RequestAborted);
            }
        }
    }

    private static int? Number(string text, string marker)
    {
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var end = at + marker.Length;
        while (end < text.Length && char.IsAsciiDigit(text[end]))
        {
            end++;
        }
        return int.Parse(text.AsSpan(at + marker.Length, end - at - marker.Length), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The floor: read the body, send it upstream on one pooled handler, copy the answer back, flushing as it comes.</summary>
    public static WebApplication FloorHop(string url, Uri upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        app.Run(async ctx =>
        {
            var body = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(body);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(upstream, ctx.Request.Path.Value)) { Content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.RequestAborted);
            ctx.Response.StatusCode = (int)response.StatusCode;
            ctx.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await using var stream = await response.Content.ReadAsStreamAsync(ctx.RequestAborted);
            var buffer = new byte[16 * 1024];
            int n;
            while ((n = await stream.ReadAsync(buffer, ctx.RequestAborted)) > 0)
            {
                await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            }
        });
        return app;
    }
}
