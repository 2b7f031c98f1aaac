using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.Faults;

/// <summary>
/// What a faulty upstream or client does to one gateway: each case answers in the client's own protocol with the
/// right status (or in-stream error once the stream began) and leaves nothing behind (<see cref="FaultRig.AssertNothingLeftAsync"/>).
/// </summary>
public sealed class FaultSuiteTests(ITestOutputHelper output)
{
    private static readonly string OpenAIFirstEvents = string.Join("\n\n", Wire.OpenAI.TextStream.Split("\n\n").Take(2)) + "\n\n";
    private static readonly string AnthropicFirstEvents = string.Join("\n\n", Wire.Anthropic.TextStream.Split("\n\n").Take(4)) + "\n\n";

    [Theory]
    [InlineData("anthropic", false)]
    [InlineData("gemini", true)]
    [InlineData("responses", false)]
    public async Task Connection_refused_is_a_503_naming_the_provider(string client, bool stream)
    {
        await using var rig = await FaultRig.StartAsync("openai", FakeUpstream.Json(Wire.OpenAI.TextResponse), baseUrl: $"http://127.0.0.1:{LoopbackPort.Free()}/v1");
        var view = await rig.ViewAsync(client, stream);
        var message = FaultRig.AssertErrorShape(client, view.Status, view.ErrorBody, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("'faulty' could not be reached", message, StringComparison.Ordinal);
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("openai", true)]
    [InlineData("anthropic", false)]
    public async Task Connection_reset_before_the_answer_is_a_503_not_a_hang(string client, bool stream)
    {
        await using var rig = await FaultRig.StartAsync("anthropic", (ctx, _) =>
        {
            ctx.Abort(); // RST instead of an answer
            return Task.CompletedTask;
        });
        var view = await rig.ViewAsync(client, stream);
        var message = FaultRig.AssertErrorShape(client, view.Status, view.ErrorBody, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("'faulty'", message, StringComparison.Ordinal);
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("gemini")]
    [InlineData("responses")]
    public async Task A_connection_reset_mid_stream_ends_in_the_clients_in_stream_error(string client)
    {
        // The reset comes once the client has the response's head (the gateway read the first events): a reset any
        // earlier may discard them unread, and the case would be a reset before the answer.
        var clientHasHead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var rig = await FaultRig.StartAsync("anthropic", async (ctx, req) =>
        {
            await FakeUpstream.Sse(AnthropicFirstEvents)(ctx, req);
            await clientHasHead.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(100);
            ctx.Abort();
        });
        using (var http = rig.NewClient())
        {
            using var resp = await FaultRig.SendAsync(http, FaultRig.Request(client, stream: true));
            clientHasHead.SetResult();
            var view = await ClientView.ReadAsync(resp, client);
            Assert.Equal(HttpStatusCode.OK, view.Status);
            Assert.Equal("Hello", view.Text);
            Assert.NotNull(view.ErrorBody);
        }
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("gemini")]
    [InlineData("openai")]
    public async Task Slow_headers_are_a_504_and_the_upstream_request_is_cancelled(string client)
    {
        await using var rig = await FaultRig.StartAsync("openai", async (ctx, req) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
            await FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req);
        }, providerSettings: "first_byte_timeout: 300ms");
        var clock = Stopwatch.StartNew();
        var view = await rig.ViewAsync(client, stream: false);
        var message = FaultRig.AssertErrorShape(client, view.Status, view.ErrorBody, HttpStatusCode.GatewayTimeout);
        Assert.Contains("no response within 0.3s", message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"answered after {clock.Elapsed}");
        await rig.AssertNothingLeftAsync(); // the upstream handler saw its request aborted
    }

    [Theory]
    [InlineData("responses")]
    [InlineData("anthropic")]
    public async Task A_whole_answer_whose_body_stalls_is_a_504(string client)
    {
        await using var rig = await FaultRig.StartAsync("openai", async (ctx, _) =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(Wire.OpenAI.TextResponse[..40], ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
        }, providerSettings: "idle_timeout: 400ms");
        var view = await rig.ViewAsync(client, stream: false);
        var message = FaultRig.AssertErrorShape(client, view.Status, view.ErrorBody, HttpStatusCode.GatewayTimeout);
        Assert.Contains("did not arrive within 0.4s", message, StringComparison.Ordinal);
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("anthropic", "openai")]
    [InlineData("openai", "openai")]
    [InlineData("gemini", "anthropic")]
    public async Task A_stream_that_stalls_ends_in_a_timeout_error_in_the_clients_protocol(string client, string upstream)
    {
        await using var rig = await FaultRig.StartAsync(upstream, async (ctx, req) =>
        {
            await FakeUpstream.Sse(upstream == "openai" ? OpenAIFirstEvents : AnthropicFirstEvents)(ctx, req);
            await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
        }, providerSettings: "idle_timeout: 400ms");
        var view = await rig.ViewAsync(client, stream: true);
        Assert.Equal(HttpStatusCode.OK, view.Status);
        Assert.StartsWith("Hello", view.Text, StringComparison.Ordinal);
        if (client == upstream)
        {
            // The byte path: the upstream's bytes as they came, then the client's own error event.
            Assert.Contains("sent nothing for 0.4s", string.Join("\n\n", view.RawEvents), StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("sent nothing for 0.4s", view.ErrorBody!.ToJsonString(), StringComparison.Ordinal);
        }
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("anthropic")]
    [InlineData("responses")]
    public async Task A_stream_event_that_is_not_JSON_ends_in_an_in_stream_error(string client)
    {
        var broken = OpenAIFirstEvents + "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"wor\n\n"
            + string.Join("\n\n", Wire.OpenAI.TextStream.Split("\n\n").Skip(2));
        await using var rig = await FaultRig.StartAsync("openai", FakeUpstream.Sse(broken));
        var view = await rig.ViewAsync(client, stream: true);
        Assert.Equal(HttpStatusCode.OK, view.Status);
        Assert.Equal("Hello", view.Text);
        Assert.Contains("malformed", view.ErrorBody!.ToJsonString(), StringComparison.Ordinal);
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("openai", "anthropic")]
    [InlineData("anthropic", "anthropic")]
    public async Task A_truncated_stream_ends_in_an_in_stream_error(string client, string upstream)
    {
        await using var rig = await FaultRig.StartAsync(upstream, FakeUpstream.Sse(AnthropicFirstEvents)); // no message_stop: the body just ends
        var view = await rig.ViewAsync(client, stream: true);
        Assert.Equal(HttpStatusCode.OK, view.Status);
        Assert.Equal("Hello", view.Text);
        Assert.NotNull(view.ErrorBody);
        Assert.Contains("upstream", view.ErrorBody.ToJsonString(), StringComparison.Ordinal);
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("openai", "anthropic")]
    [InlineData("anthropic", "anthropic")]
    [InlineData("gemini", "openai")]
    public async Task Invalid_JSON_with_a_200_is_a_502_in_the_clients_protocol(string client, string upstream)
    {
        await using var rig = await FaultRig.StartAsync(upstream, FakeUpstream.Json("{\"id\":\"msg_01\",\"type\":\"message\",\"content\":[{\"type\":\"te"));
        var view = await rig.ViewAsync(client, stream: false);
        var message = FaultRig.AssertErrorShape(client, view.Status, view.ErrorBody, HttpStatusCode.BadGateway);
        Assert.Contains("'faulty'", message, StringComparison.Ordinal);
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("openai", "openai")]
    [InlineData("anthropic", "openai")]
    public async Task An_answer_larger_than_64_MB_is_cut_and_a_502(string client, string upstream)
    {
        await using var rig = await FaultRig.StartAsync(upstream, async (ctx, _) =>
        {
            ctx.Response.ContentType = "application/json"; // chunked: the length is only known by reading
            await ctx.Response.WriteAsync("{\"id\":\"chatcmpl-big\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"", ctx.RequestAborted);
            var block = Encoding.ASCII.GetBytes(new string('a', 1024 * 1024));
            for (var i = 0; i < 80; i++)
            {
                await ctx.Response.Body.WriteAsync(block, ctx.RequestAborted);
            }
            await ctx.Response.WriteAsync("\"}}]}", ctx.RequestAborted);
        });
        var view = await rig.ViewAsync(client, stream: false);
        var message = FaultRig.AssertErrorShape(client, view.Status, view.ErrorBody, HttpStatusCode.BadGateway);
        Assert.Contains("larger than 64 MB", message, StringComparison.Ordinal);
        await rig.AssertNothingLeftAsync(); // the upstream's handler saw its request aborted at the cap
    }

    [Theory]
    [InlineData("anthropic", true)]
    [InlineData("gemini", false)]
    public async Task A_translated_stream_event_larger_than_16_MB_cuts_the_stream(string client, bool afterFirstEvents)
    {
        await using var rig = await FaultRig.StartAsync("openai", async (ctx, req) =>
        {
            if (afterFirstEvents)
            {
                await FakeUpstream.Sse(OpenAIFirstEvents)(ctx, req);
            }
            else
            {
                ctx.Response.ContentType = "text/event-stream";
            }
            await ctx.Response.WriteAsync("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"", ctx.RequestAborted);
            var block = Encoding.ASCII.GetBytes(new string('a', 1024 * 1024));
            for (var i = 0; i < 64; i++)
            {
                await ctx.Response.Body.WriteAsync(block, ctx.RequestAborted); // one event that never ends
            }
        });
        var view = await rig.ViewAsync(client, stream: true);
        if (afterFirstEvents)
        {
            Assert.Equal(HttpStatusCode.OK, view.Status);
            Assert.Equal("Hello", view.Text);
            Assert.Contains("larger than 16 MB", view.ErrorBody!.ToJsonString(), StringComparison.Ordinal);
        }
        else
        {
            var message = FaultRig.AssertErrorShape(client, view.Status, view.ErrorBody, HttpStatusCode.BadGateway);
            Assert.Contains("larger than 16 MB", message, StringComparison.Ordinal);
        }
        await rig.AssertNothingLeftAsync();
    }

    [Fact]
    public async Task A_529_storm_is_answered_as_overloaded_then_the_provider_rests_and_upstream_calls_do_not_multiply()
    {
        const string overloaded = """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""";
        await using var rig = await FaultRig.StartAsync("anthropic", FakeUpstream.Json(overloaded, 529), keys: 3);
        for (var i = 0; i < 5; i++)
        {
            var view = await rig.ViewAsync("anthropic", stream: i % 2 == 1);
            output.WriteLine($"request {i}: {(int)view.Status} {view.ErrorBody?.ToJsonString()}");
            Assert.Equal("error", view.ErrorBody!["type"]!.GetValue<string>());
            if (i < 3)
            {
                // Overloaded is the provider's state, not a key's: the answer is the provider's own, not a retry on its other keys.
                Assert.Equal(529, (int)view.Status);
                Assert.Equal("overloaded_error", view.ErrorBody["error"]!["type"]!.GetValue<string>());
            }
            else
            {
                // After max_failures (3) in a row the provider cools down and is not called at all.
                Assert.Equal(HttpStatusCode.ServiceUnavailable, view.Status);
                Assert.Contains("cooling down", view.ErrorBody["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            }
        }
        Assert.Equal(3, rig.Faulty.Requests.Count);
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("openai", "openai")]
    [InlineData("anthropic", "openai")]
    [InlineData("gemini", "anthropic")]
    public async Task A_client_that_disconnects_mid_stream_cancels_the_upstream_request_within_a_second(string client, string upstream)
    {
        var aborted = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstEvents = upstream == "openai" ? OpenAIFirstEvents : AnthropicFirstEvents;
        var more = upstream == "openai"
            ? "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" more\"},\"finish_reason\":null}]}\n\n"
            : "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" more\"}}\n\n";
        await using var rig = await FaultRig.StartAsync(upstream, async (ctx, req) =>
        {
            ctx.RequestAborted.Register(() => aborted.TrySetResult(Stopwatch.GetTimestamp()));
            await FakeUpstream.Sse(firstEvents)(ctx, req);
            try
            {
                while (true)
                {
                    await ctx.Response.WriteAsync(more, ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                    await Task.Delay(50, ctx.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        long leftAt;
        using (var http = rig.NewClient())
        {
            var resp = await FaultRig.SendAsync(http, FaultRig.Request(client, stream: true));
            var body = await resp.Content.ReadAsStreamAsync();
            var buffer = new byte[4096];
            Assert.True(await body.ReadAsync(buffer) > 0);
            leftAt = Stopwatch.GetTimestamp();
            resp.Dispose(); // the client goes away mid-stream
        }
        var abortedAt = await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var after = Stopwatch.GetElapsedTime(leftAt, abortedAt);
        output.WriteLine($"upstream request cancelled {after.TotalMilliseconds:0} ms after the client left");
        Assert.True(after < TimeSpan.FromSeconds(1), $"the upstream request was cancelled {after.TotalMilliseconds:0} ms after the client left");
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("openai", "openai")]
    [InlineData("anthropic", "openai")]
    public async Task A_slow_reader_holds_the_upstream_back_and_the_gateway_buffers_little(string client, string upstream)
    {
        const int events = 32 * 1024; // 4 KB each: 128 MB the upstream would send if nothing held it back
        var content = new string('x', 4000);
        var chunk = Encoding.UTF8.GetBytes("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}\n\n");
        var end = Encoding.UTF8.GetBytes("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        long written = 0;
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var rig = await FaultRig.StartAsync(upstream, async (ctx, _) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            for (var i = 0; i < events; i++)
            {
                await ctx.Response.Body.WriteAsync(chunk, ctx.RequestAborted);
                Interlocked.Add(ref written, chunk.Length);
            }
            await ctx.Response.Body.WriteAsync(end, ctx.RequestAborted);
            finished.TrySetResult();
        });
        using (var http = rig.NewClient())
        {
            using var resp = await FaultRig.SendAsync(http, FaultRig.Request(client, stream: true));
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            var body = await resp.Content.ReadAsStreamAsync();
            // The client reads nothing for a while: the upstream must be stopped by the full pipes, not read into memory.
            long before;
            var settled = 0L;
            do
            {
                before = Interlocked.Read(ref written);
                await Task.Delay(500);
                settled = Interlocked.Read(ref written);
            }
            while (settled != before);
            var total = (long)events * chunk.Length;
            output.WriteLine($"while the client read nothing the upstream could send {settled / 1024} KB of {total / 1024} KB ({client} client, {upstream} upstream)");
            Assert.False(finished.Task.IsCompleted, "the whole stream went into the gateway while the client read nothing");
            // Sockets' buffers on both hops (loopback auto-tunes to a few MB each) plus the gateway's small pipes.
            Assert.True(settled < 32L * 1024 * 1024, $"{settled / 1024} KB went out of the upstream while the client read nothing");

            // Then the client reads it all: nothing was lost to the back-pressure.
            var received = 0L;
            var buffer = new byte[64 * 1024];
            int n;
            var tail = new StringBuilder();
            while ((n = await body.ReadAsync(buffer)) > 0)
            {
                received += n;
                tail.Append(Encoding.UTF8.GetString(buffer, 0, n));
                if (tail.Length > 8192)
                {
                    tail.Remove(0, tail.Length - 8192);
                }
            }
            await finished.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(received > (long)events * content.Length, $"received {received} bytes");
            Assert.Contains(client == "openai" ? "[DONE]" : "message_stop", tail.ToString(), StringComparison.Ordinal);
        }
        await rig.AssertNothingLeftAsync();
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task Oversized_and_malformed_request_bodies_are_refused_in_the_clients_protocol(string client)
    {
        await using var rig = await FaultRig.StartAsync("openai", FakeUpstream.Scripted("openai"), serverSettings: "server: {max_request_body: 64KB}");
        using (var http = rig.NewClient())
        {
            var big = Dispatch.ProtocolMatrixTests.ClientRequest(client, stream: false, tools: false).Replace("Be brief.", new string('x', 100 * 1024), StringComparison.Ordinal);
            using (var resp = await FaultRig.SendAsync(http, FaultRig.Request(client, stream: false, body: big)))
            {
                var view = await ClientView.ReadAsync(resp, client);
                // Google answers a payload over its limit with 400 INVALID_ARGUMENT; the others with 413.
                var message = FaultRig.AssertErrorShape(client, view.Status, view.ErrorBody, client == "gemini" ? HttpStatusCode.BadRequest : HttpStatusCode.RequestEntityTooLarge);
                Assert.Contains("65536 bytes", message, StringComparison.Ordinal);
            }
            using (var resp = await FaultRig.SendAsync(http, FaultRig.Request(client, stream: false, body: "{\"model\":\"m\",\"messages\":[{\"role\":")))
            {
                var view = await ClientView.ReadAsync(resp, client);
                FaultRig.AssertErrorShape(client, view.Status, view.ErrorBody, HttpStatusCode.BadRequest);
            }
        }
        Assert.Empty(rig.Faulty.Requests);
        await rig.AssertNothingLeftAsync();
    }
}
