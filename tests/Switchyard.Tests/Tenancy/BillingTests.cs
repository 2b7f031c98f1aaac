using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Dapper;
using Switchyard.Config;
using Switchyard.Tenancy.Pricing;
using Switchyard.Tests.Infrastructure;
using Switchyard.Tests.Storage;
using Xunit;

namespace Switchyard.Tests.Tenancy;

/// <summary>
/// The billing policy, row by row: cache reads and writes priced as such in streams and whole answers, on the byte
/// path and translated; a stream the client cut billed for what the upstream reported or, without a report, for what
/// was relayed; an upstream failure not billed (and its reservation given back).
/// </summary>
public sealed class BillingTests
{
    /// <summary>Prices per million tokens: input $1, output $2, cache read $0.10, cache write $1.25.</summary>
    private const string Pricing = "pricing: [{model: \"*\", input: 1, output: 2, cache_read: 0.1, cache_write: 1.25}]";

    private const string CachedStart = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":100,\"cache_creation_input_tokens\":500,\"cache_read_input_tokens\":1000,\"output_tokens\":1}}}\n\n";

    private static readonly string CachedStream = string.Concat(
        CachedStart,
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello from upstream!\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":50}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

    private const string CachedAnswer = """
        {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello from upstream!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":100,"cache_creation_input_tokens":500,"cache_read_input_tokens":1000,"output_tokens":50}}
        """;

    private static HttpRequestMessage Request(string client, bool stream)
    {
        var (path, body) = client == "anthropic"
            ? ("/v1/messages", $$"""{"model":"claude-sonnet-4-5","max_tokens":100,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""")
            : ("/v1/chat/completions", $$"""{"model":"claude-sonnet-4-5","max_tokens":100,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-team-a-key-1");
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        return request;
    }

    private static GatewayConfig Config(string upstreamType, string url, TestStore db, string limits = "{rpm: 1000}") => ConfigLoader.Parse($$"""
        tenants: [{name: team-a, keys: [sk-team-a-key-1], limits: {{limits}}}]
        providers: [{name: up, type: {{upstreamType}}, base_url: {{url}}{{(upstreamType == "openai" ? "/v1" : "")}}, keys: [sk-up]}]
        routes: [{model: "*", targets: [{provider: up}]}]
        {{Pricing}}
        """, "billing.yaml") with { Storage = db.Options };

    private sealed record Row(long Status, long InputTokens, long OutputTokens, long CachedTokens, long CacheWriteTokens, long? CostNanousd, string? PriceVersion, string Trail);

    private static async Task<List<Row>> RowsAsync(TestStore db)
    {
        await using var c = await db.Store.OpenConnectionAsync(default);
        return [.. await c.QueryAsync<Row>("SELECT status AS Status, input_tokens AS InputTokens, output_tokens AS OutputTokens, cached_tokens AS CachedTokens, "
            + "cache_write_tokens AS CacheWriteTokens, cost_nanousd AS CostNanousd, price_version AS PriceVersion, trail AS Trail FROM request_log ORDER BY id")];
    }

    [Theory]
    [InlineData("anthropic", true)]   // the byte path, usage sniffed from message_start and message_delta
    [InlineData("anthropic", false)]
    [InlineData("openai", true)]      // translated to OpenAI's stream
    [InlineData("openai", false)]
    public async Task Cache_reads_and_writes_are_priced_as_such_in_streams_and_whole_answers(string client, bool stream)
    {
        await using var fake = await FakeUpstream.StartAsync(stream ? FakeUpstream.Sse(CachedStream) : FakeUpstream.Json(CachedAnswer));
        await using var db = await TestStore.CreateAsync("sqlite", migrate: false);
        await using (var gw = await Gateway.StartAsync(Config("anthropic", fake.Url, db)))
        {
            using var response = await gw.Client.SendAsync(Request(client, stream));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsStringAsync();
        }
        var row = Assert.Single(await RowsAsync(db));
        // 100 uncached × $1 + 1000 read × $0.10 + 500 written × $1.25 + 50 out × $2, per million: $0.000925.
        Assert.Equal((1600L, 50L, 1000L, 500L, 925_000L, "config"), (row.InputTokens, row.OutputTokens, row.CachedTokens, row.CacheWriteTokens, row.CostNanousd!.Value, row.PriceVersion!));
        Assert.DoesNotContain("estimated", row.Trail, StringComparison.Ordinal);
    }

    /// <summary>An upstream that streams <paramref name="head"/> and then stays open until the client leaves.</summary>
    private static Func<Microsoft.AspNetCore.Http.HttpContext, RecordedRequest, Task> StreamsThenHangs(string head) => async (ctx, _) =>
    {
        ctx.Response.ContentType = "text/event-stream";
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(head), ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
    };

    private static async Task CutAfterAsync(Gateway gw, HttpRequestMessage request, string seen)
    {
        using var response = await gw.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        var text = new StringBuilder();
        while (!text.ToString().Contains(seen, StringComparison.Ordinal))
        {
            var n = await body.ReadAsync(buffer);
            Assert.True(n > 0, "the stream ended before the client cut it");
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        // leaving the using blocks cuts the connection
    }

    [Fact]
    public async Task A_stream_cut_by_the_client_before_any_usage_report_is_billed_for_the_estimated_input_and_what_was_relayed()
    {
        var head = string.Concat(Wire.OpenAI.TextStream.Split("\n\n")[..4].Select(e => e + "\n\n")); // role + three content chunks
        await using var fake = await FakeUpstream.StartAsync(StreamsThenHangs(head));
        await using var db = await TestStore.CreateAsync("sqlite", migrate: false);
        var request = Request("openai", stream: true);
        var bodyBytes = (await request.Content!.ReadAsByteArrayAsync()).Length;
        await using (var gw = await Gateway.StartAsync(Config("openai", fake.Url, db)))
        {
            await CutAfterAsync(gw, request, " upstream!");
            await WaitForRowsAsync(db, 1);
        }
        var row = Assert.Single(await RowsAsync(db));
        var input = Billing.EstimateInput(bodyBytes);
        Assert.Equal(input, row.InputTokens);
        Assert.Equal(2, row.OutputTokens); // four events relayed: about a token each, less the opening and closing ones
        Assert.Equal(PriceCard.ToNanos((input * 1m + 2 * 2m) / 1_000_000), row.CostNanousd);
        Assert.Contains("billed as estimated", row.Trail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_translated_stream_cut_after_the_upstream_reported_its_prompt_is_billed_for_that_prompt_and_the_text_relayed()
    {
        var head = CachedStart
            + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"0123456789abcdefghijklmnopqrstuvwxyz0123\"}}\n\n";
        await using var fake = await FakeUpstream.StartAsync(StreamsThenHangs(head));
        await using var db = await TestStore.CreateAsync("sqlite", migrate: false);
        await using (var gw = await Gateway.StartAsync(Config("anthropic", fake.Url, db)))
        {
            await CutAfterAsync(gw, Request("openai", stream: true), "wxyz0123");
            await WaitForRowsAsync(db, 1);
        }
        var row = Assert.Single(await RowsAsync(db));
        // The prompt as reported (100 + 1000 read + 500 written); 40 characters relayed ≈ 10 output tokens.
        Assert.Equal((1600L, 10L, 1000L, 500L), (row.InputTokens, row.OutputTokens, row.CachedTokens, row.CacheWriteTokens));
        Assert.Equal(PriceCard.ToNanos((100 * 1m + 1000 * 0.1m + 500 * 1.25m + 10 * 2m) / 1_000_000), row.CostNanousd);
    }

    [Fact]
    public async Task An_upstream_failure_is_not_billed_and_gives_its_reservation_back()
    {
        var fail = true;
        await using var fake = await FakeUpstream.StartAsync((ctx, req) => Volatile.Read(ref fail)
            ? FakeUpstream.Json("""{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}""", 400)(ctx, req)
            : FakeUpstream.Json(CachedAnswer)(ctx, req));
        await using var db = await TestStore.CreateAsync("sqlite", migrate: false);
        // A budget with room for one reservation only (100 output tokens at $2/M plus the prompt estimate).
        await using (var gw = await Gateway.StartAsync(Config("anthropic", fake.Url, db, "{budget_usd_per_day: 0.0003}")))
        {
            using (var failed = await gw.Client.SendAsync(Request("anthropic", stream: false)))
            {
                Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
            }
            Volatile.Write(ref fail, false);
            using var served = await gw.Client.SendAsync(Request("anthropic", stream: false)); // the failed request's reservation is free again
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        var rows = await RowsAsync(db);
        Assert.Equal((400L, 0L, 0L, (long?)null), (rows[0].Status, rows[0].InputTokens, rows[0].OutputTokens, rows[0].CostNanousd));
        Assert.Equal((200L, 925_000L), (rows[1].Status, rows[1].CostNanousd!.Value));
    }

    private static async Task WaitForRowsAsync(TestStore db, int count)
    {
        // The cut request's row is written when the gateway notices the client left: give it a moment, bounded.
        await using var c = await db.Store.OpenConnectionAsync(default);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM request_log") < count)
        {
            await Task.Delay(50);
        }
    }
}
