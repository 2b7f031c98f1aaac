using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Switchyard.Config;
using Switchyard.Tenancy.Pricing;
using Switchyard.Tests.Infrastructure;
using Switchyard.Tests.Storage;
using Xunit;

namespace Switchyard.Tests.Tenancy;

/// <summary>
/// Token limits and USD budgets reserve the request's estimated maximum before the call and settle to the upstream's
/// real usage after it, exactly under concurrency; keys and end users have limits of their own.
/// </summary>
public sealed class TokenLimitsAndBudgetsTests
{
    public static TheoryData<string> Dialects => TestStore.Dialects;

    private const string Body = """{"model":"gpt-x","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}""";

    /// <summary>What <see cref="Body"/> reserves: the input estimated from its size plus its max_tokens.</summary>
    private static readonly long Reserved = Billing.EstimateInput(Encoding.UTF8.GetByteCount(Body)) + 100;

    private static HttpRequestMessage Chat(string body = Body, string key = "sk-team-a-key-1", string path = "/v1/chat/completions")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        return request;
    }

    private static string OpenAIAnswer(int prompt, int completion) =>
        Wire.OpenAI.TextResponse.Replace("\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29", $"\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},\"total_tokens\":{prompt + completion}", StringComparison.Ordinal);

    /// <summary>An upstream that holds every request until released, so that all racing requests are admitted or refused first.</summary>
    private sealed class HeldUpstream
    {
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Arrived;

        public Func<Microsoft.AspNetCore.Http.HttpContext, RecordedRequest, Task> Answer(string body) => async (ctx, req) =>
        {
            Interlocked.Increment(ref Arrived);
            await Release.Task;
            await FakeUpstream.Json(body)(ctx, req);
        };

        /// <summary>
        /// Races <paramref name="n"/> requests: exactly <paramref name="admitted"/> must reach the upstream (checked
        /// while they are held), then they are let go. Returns every response and the refused ones.
        /// </summary>
        public async Task<(List<HttpResponseMessage> All, List<HttpResponseMessage> Refused)> RaceAsync(Gateway gw, int n, int admitted)
        {
            var racing = TokenLimitsAndBudgetsTests.RaceAsync(gw, n, () => Chat());
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (Volatile.Read(ref Arrived) < admitted && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
            await Task.Delay(200); // one more would have arrived by now
            Assert.Equal(admitted, Volatile.Read(ref Arrived));
            Release.SetResult();
            var responses = await racing;
            Assert.Equal(admitted, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
            var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.Equal(n - admitted, refused.Count);
            return (responses, refused);
        }
    }

    private static async Task<List<HttpResponseMessage>> RaceAsync(Gateway gw, int n, Func<HttpRequestMessage> request)
    {
        using var start = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, n).Select(async _ =>
        {
            await start.WaitAsync();
            return await gw.Client.SendAsync(request());
        }).ToList();
        start.Release(n);
        return [.. await Task.WhenAll(tasks)];
    }

    private static string Tenant(string limits, string url, string extra = "") => $$"""
        tenants:
          - {name: team-a, keys: [sk-team-a-key-1], limits: {{limits}} }
        providers: [{name: up, type: openai, base_url: {{url}}/v1, keys: [sk-up]}]
        routes: [{model: "*", targets: [{provider: up, model: gpt-x-up}]}]
        {{extra}}
        """;

    [Fact]
    public async Task Sixty_four_racing_requests_against_a_daily_token_limit_of_fifty_reservations_serve_exactly_fifty_then_usage_settles_to_what_was_reported()
    {
        var upstream = new HeldUpstream();
        var used = (int)Reserved - 10; // each answer reports 10 tokens fewer than were reserved
        await using var fake = await FakeUpstream.StartAsync(upstream.Answer(OpenAIAnswer(used - 5, 5)));
        await using var gw = await Gateway.StartAsync(Tenant($"{{tokens_per_day: {50 * Reserved}}}", fake.Url));

        var (responses, refused) = await upstream.RaceAsync(gw, 64, admitted: 50);
        var message = JsonNode.Parse(await refused[0].Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>();
        Assert.Equal($"The tenant 'team-a' reached its limit of {50 * Reserved} tokens per day (UTC) (this request may use up to {Reserved} tokens); retry in "
            + message.Split("retry in ")[1], message);

        // Settled: 50 × (reserved − 10) are used, so 500 tokens are left — room for exactly as many more as fit.
        var more = 0;
        while (more < 20)
        {
            using var next = await gw.Client.SendAsync(Chat());
            if (next.StatusCode != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, next.StatusCode);
                break;
            }
            more++;
        }
        Assert.Equal((500 - Reserved) / used + 1, more);
        responses.ForEach(r => r.Dispose());
    }

    public static TheoryData<string, string> Streams => new()
    {
        // The byte path (OpenAI to OpenAI, the usage chunk at the end) and a translation (OpenAI client, Anthropic upstream).
        { "openai", Wire.OpenAI.TextStream.Replace("\"completion_tokens\":10,\"total_tokens\":29", "\"completion_tokens\":5000,\"total_tokens\":5019", StringComparison.Ordinal) },
        { "anthropic", Wire.Anthropic.TextStream.Replace("\"usage\":{\"output_tokens\":15}", "\"usage\":{\"output_tokens\":5000}", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task A_stream_that_crosses_the_token_limit_finishes_and_the_next_request_is_refused(string upstreamType, string stream)
    {
        await using var fake = await FakeUpstream.StartAsync(FakeUpstream.Sse(stream));
        await using var gw = await Gateway.StartAsync($$"""
            tenants:
              - {name: team-a, keys: [sk-team-a-key-1], limits: {tpm: 1000, tokens_per_day: 3000} }
            providers: [{name: up, type: {{upstreamType}}, base_url: {{fake.Url}}{{(upstreamType == "openai" ? "/v1" : "")}}, keys: [sk-up]}]
            routes: [{model: "*", targets: [{provider: up}]}]
            """);
        const string streaming = """{"model":"m","stream":true,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";
        using (var first = await gw.Client.SendAsync(Chat(streaming)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var text = await first.Content.ReadAsStringAsync();
            Assert.Contains(" upstream!", text, StringComparison.Ordinal);
            Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal); // finished, although it used 5000+ tokens
        }
        using var second = await gw.Client.SendAsync(Chat(streaming));
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Contains("1000 tokens per minute", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task Sixty_four_racing_requests_against_a_budget_of_fifty_reservations_serve_exactly_fifty_and_each_row_carries_its_exact_cost(string dialect)
    {
        // $1000 per million input tokens and $2000 per million output: a token costs $0.001 in, $0.002 out.
        var reservedCost = Billing.EstimateInput(Encoding.UTF8.GetByteCount(Body)) * 0.001m + 100 * 0.002m;
        var upstream = new HeldUpstream();
        await using var fake = await FakeUpstream.StartAsync(upstream.Answer(OpenAIAnswer(10, 20)));
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var config = ConfigLoader.Parse(Tenant($"{{budget_usd_per_day: {50 * reservedCost}, budget_usd_per_month: 1000}}", fake.Url,
            "pricing: [{model: gpt-x-up, input: 1000, output: 2000}]"), "b.yaml") with { Storage = db.Options };
        await using (var gw = await Gateway.StartAsync(config))
        {
            var (responses, refused) = await upstream.RaceAsync(gw, 64, admitted: 50);
            var error = JsonNode.Parse(await refused[0].Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("budget_exceeded", error["code"]!.GetValue<string>());
            Assert.Contains($"a budget of ${50 * reservedCost} per day (UTC) (this request may cost up to ${reservedCost:0.######})", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
            responses.ForEach(r => r.Dispose());
        }
        await using var c = await db.Store.OpenConnectionAsync(default);
        var rows = (await c.QueryAsync<(long? Cost, string? Version, long Input, long Output)>(
            "SELECT cost_nanousd, price_version, input_tokens, output_tokens FROM request_log WHERE status = 200")).ToList();
        Assert.Equal(50, rows.Count);
        Assert.All(rows, r => Assert.Equal((50_000_000L, "config", 10L, 20L), (r.Cost!.Value, r.Version!, r.Input, r.Output))); // 10 × $0.001 + 20 × $0.002
        Assert.Equal(2_500_000_000L, await c.ExecuteScalarAsync<long>("SELECT SUM(cost_nanousd) FROM request_log"));
        Assert.Equal(0L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM request_log WHERE status = 429 AND cost_nanousd IS NOT NULL"));
    }

    [Fact]
    public async Task A_virtual_key_has_limits_of_its_own_beside_its_tenants()
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock);
        (await gw.PostJsonAsync("/admin/v1/tenants", """{"name":"team-k","limits":{"rpm":100},"user_limits":{"requests_per_day":50}}""")).Dispose();
        using var bad = await gw.PostJsonAsync("/admin/v1/tenants/team-k/keys", """{"limits":{"rpn":2}}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("unknown field 'rpn'", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var zero = await gw.PostJsonAsync("/admin/v1/tenants/team-k/keys", """{"limits":{"rpm":0}}""");
        Assert.Contains("'limits.rpm' must be at least 1", await zero.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var created = await gw.PostJsonAsync("/admin/v1/tenants/team-k/keys", """{"name":"ci","limits":{"rpm":2,"budget_usd_per_day":1.5}}""");
        var key = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal(2, key["limits"]!["rpm"]!.GetValue<int>());
        using var other = await gw.PostJsonAsync("/admin/v1/tenants/team-k/keys", "{}");
        var otherKey = JsonNode.Parse(await other.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();

        var chat = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";
        for (var i = 0; i < 2; i++)
        {
            using var ok = await gw.Client.SendAsync(Chat(chat, key["key"]!.GetValue<string>()));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using var third = await gw.Client.SendAsync(Chat(chat, key["key"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains($"The key {key["prefix"]!.GetValue<string>()} reached its limit of 2 requests per minute", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var sibling = await gw.Client.SendAsync(Chat(chat, otherKey));
        Assert.Equal(HttpStatusCode.OK, sibling.StatusCode);

        var listed = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/tenants/team-k/keys"))!["data"]!.AsArray();
        Assert.Equal(1.5m, listed.Single(k => k!["name"]?.GetValue<string>() == "ci")!["limits"]!["budget_usd_per_day"]!.GetValue<decimal>());
        var tenant = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/tenants/team-k"))!;
        Assert.Equal((100, 50), (tenant["limits"]!["rpm"]!.GetValue<int>(), tenant["user_limits"]!["requests_per_day"]!.GetValue<int>()));
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task End_users_named_by_user_metadata_or_header_have_their_own_limits_and_are_recorded(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var config = ConfigLoader.Parse("""
            tenants:
              - {name: team-a, keys: [sk-team-a-key-1], user_limits: {requests_per_day: 1}}
            providers: [{name: mock, type: mock}]
            routes: [{model: "*", targets: [{provider: mock}]}]
            """, "u.yaml") with { Storage = db.Options };
        await using (var gw = await Gateway.StartAsync(config))
        {
            const string alice = """{"model":"gpt-x","user":"alice","messages":[{"role":"user","content":"hi"}]}""";
            const string carol = """{"model":"claude-x","max_tokens":5,"metadata":{"user_id":"carol"},"messages":[{"role":"user","content":"hi"}]}""";
            using (var first = await gw.Client.SendAsync(Chat(alice)))
            {
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            }
            using (var again = await gw.Client.SendAsync(Chat(alice)))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
                Assert.Contains("The end user 'alice' of the tenant 'team-a' reached its limit of 1 requests per day", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
            var bob = Chat(alice);
            bob.Headers.TryAddWithoutValidation("x-switchyard-user", "bob"); // the header names the user, over the body
            using (var asBob = await gw.Client.SendAsync(bob))
            {
                Assert.Equal(HttpStatusCode.OK, asBob.StatusCode);
            }
            using (var asCarol = await gw.Client.SendAsync(Chat(carol, path: "/v1/messages")))
            {
                Assert.Equal(HttpStatusCode.OK, asCarol.StatusCode);
            }
            using var carolAgain = await gw.Client.SendAsync(Chat(carol, path: "/v1/messages"));
            Assert.Equal(HttpStatusCode.TooManyRequests, carolAgain.StatusCode);
            Assert.Equal("rate_limit_error", JsonNode.Parse(await carolAgain.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
            using var anonymous = await gw.Client.SendAsync(Chat("""{"model":"gpt-x","messages":[{"role":"user","content":"hi"}]}"""));
            Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode); // no end user: only the tenant's limits apply
        }
        await using var c = await db.Store.OpenConnectionAsync(default);
        var rows = (await c.QueryAsync<(string? User, long Status)>("SELECT end_user, status FROM request_log ORDER BY id")).ToList();
        Assert.Equal([("alice", 200L), ("alice", 429L), ("bob", 200L), ("carol", 200L), ("carol", 429L), (null, 200L)], rows);
    }
}
