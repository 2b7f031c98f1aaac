using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.E2E;

/// <summary>
/// SIGTERM with streams running: readiness answers 503 at once while requests are still taken for the drain delay,
/// then new connections are refused; a stream that ends before the shutdown timeout ends whole, one that does not is
/// ended just before the timeout with its protocol's error event; every request's row is in the store; the process exits 0.
/// </summary>
public sealed class DrainTests(ITestOutputHelper output)
{
    private const int ShortStreamEvents = 30; // 100 ms apart: it ends about 3 s after it starts, within the 6 s timeout

    [Fact]
    public async Task SIGTERM_drains_readiness_first_then_the_listener_then_running_streams_within_the_shutdown_timeout()
    {
        await using var upstream = await FakeUpstream.StartAsync(async (ctx, req) =>
        {
            if (req.Json["stream"]?.GetValue<bool>() != true)
            {
                await FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req);
                return;
            }
            ctx.Response.ContentType = "text/event-stream";
            var events = req.Json["model"]!.GetValue<string>() == "long" ? int.MaxValue : ShortStreamEvents;
            try
            {
                for (var i = 0; i < events; i++)
                {
                    await ctx.Response.WriteAsync(Chunk($"part{i} "), ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                    await Task.Delay(100, ctx.RequestAborted);
                }
                await ctx.Response.WriteAsync(Chunk(null) + Usage + "data: [DONE]\n\n", ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // the gateway cut this stream
            }
        });
        var dir = Directory.CreateTempSubdirectory("sy-drain").FullName;
        var db = Path.Combine(dir, "switchyard.db");
        var config = Path.Combine(dir, "switchyard.yaml");
        await File.WriteAllTextAsync(config, $$"""
            server: {request_log: off, drain_delay: 2s, shutdown_timeout: 6s}
            storage: {provider: sqlite, path: "{{db}}"}
            providers: [{name: up, type: openai, base_url: "{{upstream.Url}}/v1", keys: [sk-upstream-drain]}]
            routes:
              - {model: short, targets: [{provider: up, model: short}]}
              - {model: long, targets: [{provider: up, model: long}]}
            """);
        await using (var gateway = await GatewayProcess.StartAsync(config, dir))
        {
            using var streams = new HttpClient { BaseAddress = new Uri(gateway.Url), Timeout = TimeSpan.FromMinutes(1) };
            var shortStream = await StartStreamAsync(streams, "short");
            var longStream = await StartStreamAsync(streams, "long");
            var shortRead = ReadToEndAsync(shortStream);
            var longRead = ReadToEndAsync(longStream);

            var clock = Stopwatch.StartNew();
            var sigtermAt = Stopwatch.GetTimestamp();
            await gateway.SignalAsync("TERM");

            // During the drain delay: not ready, yet still serving (a load balancer is told before anything is refused).
            using (var fresh = NewConnection(gateway.Url))
            {
                using var ready = await fresh.GetAsync("/health/ready");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Equal("draining", JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
                using var served = await fresh.PostAsync("/v1/chat/completions", Json("""{"model":"short","messages":[{"role":"user","content":"hi"}]}"""));
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the checks inside the drain delay took {clock.Elapsed}");

            // Then the listener closes: a new connection is refused.
            TimeSpan? refusedAt = null;
            while (refusedAt is null && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                using var fresh = NewConnection(gateway.Url);
                try
                {
                    using var probe = await fresh.GetAsync("/health");
                    await Task.Delay(100);
                }
                catch (HttpRequestException)
                {
                    refusedAt = clock.Elapsed;
                }
            }
            output.WriteLine($"new connections refused {refusedAt?.TotalSeconds:0.0} s after SIGTERM");
            Assert.NotNull(refusedAt);
            Assert.True(refusedAt >= TimeSpan.FromSeconds(1.5), $"refused {refusedAt} after SIGTERM, before the 2 s drain delay");

            // The short stream ends whole; the endless one is ended a second before the shutdown timeout (6 s)…
            var (shortText, _) = await shortRead.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("data: [DONE]", shortText, StringComparison.Ordinal);
            Assert.Contains($"part{ShortStreamEvents - 1} ", shortText, StringComparison.Ordinal);
            var (longText, longEndedAt) = await longRead.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.DoesNotContain("[DONE]", longText, StringComparison.Ordinal);
            // … with its protocol's error event (a second before the timeout), not a cut connection.
            Assert.Contains("The gateway is shutting down", longText, StringComparison.Ordinal);
            var cutAfter = Stopwatch.GetElapsedTime(sigtermAt, longEndedAt);
            output.WriteLine($"the endless stream was cut {cutAfter.TotalSeconds:0.0} s after SIGTERM");
            Assert.InRange(cutAfter, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(7));

            var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"exit code {exitCode}: {gateway.Output}");
            output.WriteLine(gateway.Output);
        }

        // Every request has its row: the two streams (the cut one too) and the one served while draining.
        SqliteConnection.ClearAllPools();
        await using (var c = new SqliteConnection($"Data Source={db}"))
        {
            var rows = (await c.QueryAsync<(string Model, long Status)>("SELECT model, status FROM request_log ORDER BY ts")).ToList();
            output.WriteLine(string.Join(", ", rows));
            Assert.Equal(3, rows.Count);
            Assert.Equal(2, rows.Count(r => r.Model == "short" && r.Status == 200));
            Assert.Single(rows, r => r.Model == "long");
        }
        SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }

    private static async Task<HttpResponseMessage> StartStreamAsync(HttpClient http, string model)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json($$"""{"model":"{{model}}","stream":true,"messages":[{"role":"user","content":"hi"}]}""") };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    /// <summary>The stream's text and when it ended, as a <see cref="Stopwatch"/> timestamp (an error reading it is its end too: the connection was cut).</summary>
    private static async Task<(string Text, long EndedAt)> ReadToEndAsync(HttpResponseMessage response)
    {
        var text = new StringBuilder();
        var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
        }
        return (text.ToString(), Stopwatch.GetTimestamp());
    }

    private static HttpClient NewConnection(string url) => new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string Chunk(string? text) => "data: {\"id\":\"chatcmpl-drain\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":"
        + (text is null ? "{},\"finish_reason\":\"stop\"" : $"{{\"content\":\"{text}\"}},\"finish_reason\":null") + "}]}\n\n";

    private const string Usage = "data: {\"id\":\"chatcmpl-drain\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":30,\"total_tokens\":33}}\n\n";
}
