using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Switchyard.Tests.Infrastructure;

/// <summary>What a fake upstream received.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public JsonNode Json => JsonNode.Parse(Body)!;
    public string Header(string name) => Headers.TryGetValue(name, out var v) ? v : "";
}

/// <summary>
/// A real Kestrel server on 127.0.0.1 standing in for a provider: records each request and answers with
/// the bytes a test scripts (the provider's real wire format, byte for byte).
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeUpstream(WebApplication app) => _app = app;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    private int _openConnections, _activeHandlers;

    /// <summary>TCP connections the gateway holds open to this upstream now (idle pooled ones included).</summary>
    public int OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>Requests whose handler is still running: one left over after an exchange ended is a leaked upstream request.</summary>
    public int ActiveHandlers => Volatile.Read(ref _activeHandlers);

    public Func<HttpContext, RecordedRequest, Task> Handler { get; set; } = (ctx, _) => { ctx.Response.StatusCode = 500; return Task.CompletedTask; };
    public string Url => _app.Urls.First();

    public static async Task<FakeUpstream> StartAsync(Func<HttpContext, RecordedRequest, Task>? handler = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        FakeUpstream? fake = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Use(next => async connection =>
        {
            Interlocked.Increment(ref fake!._openConnections);
            try
            {
                await next(connection);
            }
            finally
            {
                Interlocked.Decrement(ref fake._openConnections);
            }
        })));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        fake = new FakeUpstream(app);
        if (handler is not null)
        {
            fake.Handler = handler;
        }
        app.Run(async ctx =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted);
            var headers = ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var recorded = new RecordedRequest(ctx.Request.Method, ctx.Request.Path, ctx.Request.QueryString.Value ?? "", headers, ms.ToArray());
            fake.Requests.Enqueue(recorded);
            Interlocked.Increment(ref fake._activeHandlers);
            try
            {
                await fake.Handler(ctx, recorded);
            }
            finally
            {
                Interlocked.Decrement(ref fake._activeHandlers);
            }
        });
        await app.StartAsync();
        return fake;
    }

    public static Func<HttpContext, RecordedRequest, Task> Json(string body, int status = 200, params (string Name, string Value)[] headers) => async (ctx, _) =>
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        foreach (var (n, v) in headers)
        {
            ctx.Response.Headers[n] = v;
        }
        await ctx.Response.WriteAsync(body, ctx.RequestAborted);
    };

    /// <summary>Streams SSE bytes event by event, flushing each (optionally pausing between them).</summary>
    public static Func<HttpContext, RecordedRequest, Task> Sse(string body, TimeSpan? gap = null) => async (ctx, _) =>
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        foreach (var evt in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(evt + "\n\n"), ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            if (gap is { } g)
            {
                await Task.Delay(g, ctx.RequestAborted);
            }
        }
    };

    /// <summary>
    /// An OpenAI stream as OpenAI sends it: the final usage chunk (<c>"choices":[]</c>) only when the request
    /// asked for it with <c>stream_options.include_usage</c>.
    /// </summary>
    public static Func<HttpContext, RecordedRequest, Task> OpenAISse(string body) => (ctx, req) =>
    {
        var wantsUsage = req.Json["stream_options"]?["include_usage"]?.GetValue<bool>() == true;
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => wantsUsage || !e.Contains("\"choices\":[]", StringComparison.Ordinal));
        return Sse(string.Join("", events.Select(e => e + "\n\n")))(ctx, req);
    };

    /// <summary>A Gemini stream as Google sends it: SSE with CRLF framing for alt=sse, else one JSON array.</summary>
    public static Func<HttpContext, RecordedRequest, Task> GeminiStream(string[] chunks) => async (ctx, req) =>
    {
        if (req.Query.Contains("alt=sse", StringComparison.Ordinal))
        {
            ctx.Response.ContentType = "text/event-stream";
            foreach (var chunk in chunks)
            {
                await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {chunk}\r\n\r\n"), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            }
            return;
        }
        ctx.Response.ContentType = "application/json; charset=UTF-8";
        await ctx.Response.WriteAsync("[" + string.Join(",\r\n", chunks) + "]", ctx.RequestAborted);
    };

    /// <summary>
    /// A provider that behaves like a model in an agent loop: it calls get_weather for Paris and Tokyo when tools are
    /// offered and no tool result came back yet, and answers in text otherwise; streaming when asked to.
    /// </summary>
    public static Func<HttpContext, RecordedRequest, Task> Scripted(string kind) => (ctx, req) =>
    {
        var json = req.Json;
        var stream = kind == "gemini" ? req.Path.EndsWith(":streamGenerateContent", StringComparison.Ordinal) : json["stream"]?.GetValue<bool>() == true;
        var hasTools = json["tools"] is JsonArray { Count: > 0 };
        if (kind == "openai-responses")
        {
            var answered = json["input"] is JsonArray items && items.Any(i => i!["type"]?.GetValue<string>() == "function_call_output");
            return (stream, hasTools && !answered) switch
            {
                (false, false) => Json(Wire.Responses.TextResponse)(ctx, req),
                (false, true) => Json(Wire.Responses.ToolResponse)(ctx, req),
                (true, false) => Sse(Wire.Responses.TextStream)(ctx, req),
                _ => Sse(Wire.Responses.ToolStream)(ctx, req),
            };
        }
        var lastMessage = kind == "gemini" ? json["contents"]!.AsArray()[^1]! : json["messages"]!.AsArray()[^1]!;
        var answeredTool = kind switch
        {
            "openai" => lastMessage["role"]!.GetValue<string>() == "tool",
            "gemini" => lastMessage["parts"]!.AsArray().Any(p => p!["functionResponse"] is not null),
            _ => lastMessage["content"] is JsonArray blocks && blocks.Any(b => b!["type"]?.GetValue<string>() == "tool_result"),
        };
        var useTool = hasTools && !answeredTool;
        return (kind, stream, useTool) switch
        {
            ("gemini", false, false) => Json(Wire.Gemini.TextResponse)(ctx, req),
            ("gemini", false, true) => Json(Wire.Gemini.ToolResponse)(ctx, req),
            ("gemini", true, false) => GeminiStream(Wire.Gemini.TextChunks)(ctx, req),
            ("gemini", true, true) => GeminiStream(Wire.Gemini.ToolChunks)(ctx, req),
            ("openai", false, false) => Json(Wire.OpenAI.TextResponse)(ctx, req),
            ("openai", false, true) => Json(Wire.OpenAI.ToolResponse)(ctx, req),
            ("openai", true, false) => OpenAISse(Wire.OpenAI.TextStream)(ctx, req),
            ("openai", true, true) => OpenAISse(Wire.OpenAI.ToolStream)(ctx, req),
            (_, false, false) => Json(Wire.Anthropic.TextResponse)(ctx, req),
            (_, false, true) => Json(Wire.Anthropic.ToolResponse)(ctx, req),
            (_, true, false) => Sse(Wire.Anthropic.TextStream)(ctx, req),
            _ => Sse(Wire.Anthropic.ToolStream)(ctx, req),
        };
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
