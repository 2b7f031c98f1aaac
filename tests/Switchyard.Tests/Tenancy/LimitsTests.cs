using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Tenancy;

/// <summary>Tenant limits are exact under concurrency: N racing requests against a limit of M serve exactly M.</summary>
public sealed class LimitsTests
{
    private static string Config(string limits, string extra = "") => $$"""
        {{extra}}
        tenants:
          - name: team-a
            keys: [sk-team-a-key-1]
            limits: {{limits}}
        providers: [{name: mock, type: mock}]
        routes: [{model: "*", targets: [{provider: mock}]}]
        """;

    private static HttpRequestMessage Chat(string client = "openai")
    {
        var (path, body) = client == "anthropic"
            ? ("/v1/messages", """{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""")
            : ("/v1/chat/completions", """{"model":"gpt-x","messages":[{"role":"user","content":"hi"}]}""");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-team-a-key-1");
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        return request;
    }

    private static async Task<List<HttpResponseMessage>> RaceAsync(Gateway gw, int n, string client = "openai")
    {
        using var start = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, n).Select(async _ =>
        {
            await start.WaitAsync();
            return await gw.Client.SendAsync(Chat(client));
        }).ToList();
        start.Release(n);
        return [.. await Task.WhenAll(tasks)];
    }

    [Fact]
    public async Task Sixty_four_racing_requests_against_an_rpm_of_50_serve_exactly_50_and_the_rest_get_a_429_with_retry_after()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:15Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var gw = await Gateway.StartAsync(Config("{rpm: 50}"), time);
        var responses = await RaceAsync(gw, 64);
        Assert.Equal(50, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(14, refused.Count);
        Assert.All(refused, r => Assert.Equal("45", r.Headers.GetValues("retry-after").Single()));
        var error = JsonNode.Parse(await refused[0].Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("The tenant 'team-a' reached its limit of 50 requests per minute; retry in 45 s.", error["message"]!.GetValue<string>());
        Assert.Equal("tenant_limit_exceeded", error["code"]!.GetValue<string>());

        time.Advance(TimeSpan.FromSeconds(45)); // the next minute
        using var next = await gw.Client.SendAsync(Chat());
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        responses.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task Requests_per_day_count_in_the_configured_time_zone_and_reset_at_its_midnight()
    {
        // 15:59 UTC is 23:59 in Shanghai: the day ends in a minute there.
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-01T15:59:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var gw = await Gateway.StartAsync(Config("{requests_per_day: 3}", "limits_time_zone: Asia/Shanghai"), time);
        var responses = await RaceAsync(gw, 8, "anthropic");
        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var refused = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Equal("60", refused.Headers.GetValues("retry-after").Single());
        var body = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal("rate_limit_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Contains("3 requests per day (Asia/Shanghai)", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        time.Advance(TimeSpan.FromMinutes(2));
        using var tomorrow = await gw.Client.SendAsync(Chat("anthropic"));
        Assert.Equal(HttpStatusCode.OK, tomorrow.StatusCode);
        responses.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task Concurrent_requests_beyond_the_limit_are_refused_at_once_and_a_finished_request_frees_its_slot()
    {
        var release = new TaskCompletionSource();
        var arrived = 0;
        await using var fake = await FakeUpstream.StartAsync(async (ctx, req) =>
        {
            Interlocked.Increment(ref arrived);
            await release.Task;
            await FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req);
        });
        await using var gw = await Gateway.StartAsync($$"""
            tenants:
              - {name: team-a, keys: [sk-team-a-key-1], limits: {concurrent: 8} }
            providers: [{name: up, type: openai, base_url: {{fake.Url}}/v1, keys: [sk-up]}]
            routes: [{model: "*", targets: [{provider: up}]}]
            """);
        var racing = RaceAsync(gw, 64);
        // The 56 refusals come back while 8 requests are held upstream.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref arrived) < 8 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        await Task.Delay(200); // any ninth would have arrived by now
        Assert.Equal(8, Volatile.Read(ref arrived));
        release.SetResult();
        var responses = await racing;
        Assert.Equal(8, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(56, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.Contains("8 concurrent requests", await responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests).Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var again = await RaceAsync(gw, 8); // every slot was given back
        Assert.All(again, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        responses.Concat(again).ToList().ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task Token_counts_are_free_and_other_tenants_are_not_affected()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var gw = await Gateway.StartAsync(Config("{rpm: 1}", "auth: {keys: [sk-other-key-1]}"), time);
        using (var first = await gw.Client.SendAsync(Chat()))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using (var second = await gw.Client.SendAsync(Chat()))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        }
        using var count = new HttpRequestMessage(HttpMethod.Post, "/v1/messages/count_tokens")
        {
            Content = new StringContent("""{"model":"claude-x","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        count.Headers.TryAddWithoutValidation("x-api-key", "sk-team-a-key-1");
        count.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        using (var counted = await gw.Client.SendAsync(count))
        {
            Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
        }
        var other = Chat();
        other.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-other-key-1");
        using var otherTenant = await gw.Client.SendAsync(other);
        Assert.Equal(HttpStatusCode.OK, otherTenant.StatusCode);
    }

    [Theory]
    [InlineData("{rpm: 0}", "", "tenants[0].limits.rpm: '0' is not a whole number ≥ 1.")]
    [InlineData("{rpn: 10}", "", "tenants[0].limits.rpn: unknown key 'rpn'")]
    [InlineData("{tpm: 0}", "", "tenants[0].limits.tpm: '0' is not a whole number ≥ 1.")]
    [InlineData("{budget_usd_per_day: -1}", "", "tenants[0].limits.budget_usd_per_day: '-1' is not an amount of US dollars")]
    [InlineData("{budget_usd_per_month: 5 dollars}", "", "tenants[0].limits.budget_usd_per_month: '5 dollars' is not an amount of US dollars")]
    [InlineData("{rpm: 5}", "limits_time_zone: Mars/Olympus", "limits_time_zone: 'Mars/Olympus' is not a time zone this machine knows")]
    public void Limit_mistakes_are_named(string limits, string extra, string message)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Config(limits, extra), "l.yaml"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
