using System.Text;

namespace Switchyard.Bench;

/// <summary>
/// The soak's faulty upstream: of every 20 requests, 12 are answered normally and 8 (every other one) fail in turn — a 429 with
/// <c>retry-after: 1</c> (twice), a 500, an overload (Anthropic's 529, OpenAI's 503), a reset before the head, a reset
/// in the middle of the answer, a head that comes after 3 s, and a truncated answer (a stream without its end, or a
/// 200 whose JSON breaks off); a stream that falls silent for 3 s in the middle takes a normal request's place.
/// </summary>
internal sealed class UpstreamFaults
{
    public static readonly string[] Kinds = ["429", "429", "500", "overloaded", "reset before head", "reset mid-answer", "slow head", "truncated"];

    private readonly long[] _served = new long[Kinds.Length + 1];
    private long _next;

    /// <summary>How many of each fault were served (the last: streams that stalled mid-way).</summary>
    public IReadOnlyList<long> Served => _served;

    /// <summary>True when the fault answered the request; false: answer it normally.</summary>
    public async Task<bool> AnswerAsync(HttpContext ctx, bool anthropic, bool stream)
    {
        // Faults on even turns only: a provider that fails every other request never fails max_failures times in a row,
        // so it stays in rotation and the faults keep coming for the whole soak.
        var turn = (int)(Interlocked.Increment(ref _next) % 20);
        var n = turn / 2;
        if (turn % 2 == 1 || (n >= Kinds.Length && !(n == Kinds.Length && stream)))
        {
            return false;
        }
        Interlocked.Increment(ref _served[n]);
        try
        {
            switch (n)
            {
                case 0 or 1:
                    ctx.Response.Headers["retry-after"] = "1";
                    await ErrorAsync(ctx, anthropic, 429, "rate_limit_error", "Rate limit reached");
                    break;
                case 2:
                    await ErrorAsync(ctx, anthropic, 500, "api_error", "Internal server error");
                    break;
                case 3:
                    await ErrorAsync(ctx, anthropic, anthropic ? 529 : 503, "overloaded_error", "Overloaded");
                    break;
                case 4:
                    ctx.Abort();
                    break;
                case 5 when stream:
                    await Servers.StreamEventsAsync(ctx, anthropic, 3);
                    ctx.Abort();
                    break;
                case 5:
                    var whole = anthropic ? Wire.AnthropicResponse : Wire.OpenAIResponse;
                    ctx.Response.ContentType = "application/json";
                    ctx.Response.ContentLength = whole.Length;
                    await ctx.Response.Body.WriteAsync(whole.AsMemory(0, whole.Length / 2));
                    await ctx.Response.Body.FlushAsync();
                    ctx.Abort();
                    break;
                case 6:
                    await Task.Delay(3000, ctx.RequestAborted);
                    return false;
                case 7 when stream:
                    await Servers.StreamEventsAsync(ctx, anthropic, 3);
                    break;
                case 7:
                    ctx.Response.ContentType = "application/json";
                    await ctx.Response.Body.WriteAsync("{\"id\":\"chatcmpl-broken\",\"choices\":[{\"mess"u8.ToArray());
                    break;
                default: // a stream that falls silent for longer than the gateway's idle timeout, then ends
                    await Servers.StreamEventsAsync(ctx, anthropic, 2);
                    await Task.Delay(3000, ctx.RequestAborted);
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            // the gateway gave up on it first: that is the point
        }
        return true;
    }

    private static async Task ErrorAsync(HttpContext ctx, bool anthropic, int status, string type, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        var body = anthropic
            ? $$$"""{"type":"error","error":{"type":"{{{type}}}","message":"{{{message}}}"}}"""
            : $$$"""{"error":{"message":"{{{message}}}","type":"{{{type}}}","param":null,"code":null}}""";
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body));
    }
}
