using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Config;
using Switchyard.Storage;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Storage;

/// <summary>
/// <c>/admin/v1/usage</c> sums the rollups (never the log) and agrees with the log to the token and the nano-dollar;
/// <c>/admin/v1/logs</c> pages newest first with a cursor and filters; both on SQLite and PostgreSQL.
/// </summary>
public sealed class UsageAndLogsTests
{
    public static TheoryData<string> Dialects => TestStore.Dialects;

    private const string Yaml = """
        tenants:
          - {name: team-a, keys: [sk-team-a-key-1]}
          - {name: team-b, keys: [sk-team-b-key-1], models: ["gpt-*"]}
        providers: [{name: mock, type: mock}]
        routes: [{model: "*", targets: [{provider: mock}]}]
        pricing: [{model: "*", input: 1000, output: 2000}]
        limits_time_zone: Asia/Shanghai
        """;

    private static HttpRequestMessage Chat(string model, string key, string? user = null)
    {
        var body = $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]{{(user is null ? "" : $",\"user\":\"{user}\"")}}}""";
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new System.Net.Http.StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    private static async Task SendAsync(Gateway gw, string model, string key, string? user = null)
    {
        using var response = await gw.Client.SendAsync(Chat(model, key, user));
        await response.Content.ReadAsStringAsync();
    }

    private static async Task WaitForRowsAsync(Gateway gw, long rows)
    {
        var log = gw.Services.GetRequiredService<StoredRequestLog>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (log.Written < rows)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the request log");
            await Task.Delay(25);
        }
    }

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task Usage_is_summed_from_the_rollups_by_any_dimension_and_day_in_the_limits_time_zone(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        // 15:58 UTC is 23:58 in Shanghai: the requests below fall on two of its days.
        var time = new ManualTimeProvider(At("2026-11-30T15:58:00Z"));
        await using var gw = await Gateway.StartAsync(ConfigLoader.Parse(Yaml, "u.yaml") with { Storage = db.Options }, time);
        await SendAsync(gw, "gpt-4o", "sk-team-a-key-1", "alice");
        await SendAsync(gw, "gpt-4o", "sk-team-a-key-1", "bob");
        await SendAsync(gw, "claude-x", "sk-team-b-key-1"); // 403: team-b may not use it
        time.Advance(TimeSpan.FromMinutes(5));               // Dec 1st in Shanghai
        await SendAsync(gw, "claude-x", "sk-team-a-key-1", "alice");
        await SendAsync(gw, "gpt-4o", "sk-team-b-key-1");
        await WaitForRowsAsync(gw, 5);

        var byModel = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/usage?group_by=tenant,model&from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z"))!;
        var lines = byModel["data"]!.AsArray().Select(l => (l!["tenant"]!.GetValue<string>(), l["model"]!.GetValue<string>(), l["requests"]!.GetValue<long>(), l["errors"]!.GetValue<long>())).ToList();
        Assert.Equal([("team-a", "gpt-4o", 2L, 0L), ("team-a", "claude-x", 1L, 0L), ("team-b", "gpt-4o", 1L, 0L), ("team-b", "claude-x", 1L, 1L)],
            lines.OrderBy(l => l.Item1, StringComparer.Ordinal).ThenByDescending(l => l.Item2, StringComparer.Ordinal));
        Assert.Equal(["tenant", "model"], byModel["group_by"]!.AsArray().Select(g => g!.GetValue<string>()));

        var byDay = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/usage?tenant=team-a&group_by=day&from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z"))!["data"]!.AsArray();
        Assert.Equal([("2026-11-30", 2L), ("2026-12-01", 1L)], byDay.Select(l => (l!["day"]!.GetValue<string>(), l["requests"]!.GetValue<long>())));
        var byUser = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/usage?tenant=team-a&group_by=user&from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z"))!["data"]!.AsArray();
        Assert.Equal([("alice", 2L), ("bob", 1L)], byUser.Select(l => (l!["user"]!.GetValue<string>(), l["requests"]!.GetValue<long>())).OrderBy(u => u.Item1, StringComparer.Ordinal));

        // The totals agree with the log itself, token for token and to the nano-dollar.
        var total = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/usage?from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z"))!["data"]![0]!;
        await using var c = await db.Store.OpenConnectionAsync(default);
        var log = await c.QuerySingleAsync<(long Requests, long Input, long Output, long Cost)>(
            "SELECT COUNT(*), SUM(input_tokens), SUM(output_tokens), COALESCE(SUM(cost_nanousd), 0) FROM request_log");
        Assert.Equal((log.Requests, log.Input, log.Output), (total["requests"]!.GetValue<long>(), total["input_tokens"]!.GetValue<long>(), total["output_tokens"]!.GetValue<long>()));
        Assert.Equal(log.Cost / 1_000_000_000m, total["cost_usd"]!.GetValue<decimal>());
        Assert.True(log.Cost > 0);

        // It reads the rollups, not the log: with the log emptied the answer stands.
        await c.ExecuteAsync("DELETE FROM request_log");
        var again = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/usage?from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z"))!["data"]![0]!;
        Assert.Equal(log.Requests, again["requests"]!.GetValue<long>());
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task A_range_that_cuts_days_counts_the_minutes_inside_it_only(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var time = new ManualTimeProvider(At("2026-11-28T08:00:00Z"));
        await using var gw = await Gateway.StartAsync(ConfigLoader.Parse(Yaml, "u.yaml") with { Storage = db.Options }, time);
        foreach (var minutes in new[] { 0, 24 * 60, 30, 60, 23 * 60 + 40 }) // Nov 28 08:00, Nov 29 08:00, 08:30, 09:30, Nov 30 09:10
        {
            time.Advance(TimeSpan.FromMinutes(minutes));
            await SendAsync(gw, "gpt-4o", "sk-team-a-key-1");
        }
        await WaitForRowsAsync(gw, 5);
        async Task<long> RequestsAsync(string from, string to)
        {
            var data = JsonNode.Parse(await gw.Client.GetStringAsync($"/admin/v1/usage?from={from}&to={to}"))!["data"]!.AsArray();
            return data.Count == 0 ? 0 : data[0]!["requests"]!.GetValue<long>();
        }
        Assert.Equal(5, await RequestsAsync("2026-11-28T00:00:00Z", "2026-12-01T00:00:00Z"));
        // Ragged ends around a whole Shanghai day (Nov 29, 16:00Z to 16:00Z): minutes, then the day's rollup, then minutes.
        Assert.Equal(4, await RequestsAsync("2026-11-28T08:15:00Z", "2026-11-30T09:15:00Z"));
        Assert.Equal(3, await RequestsAsync("2026-11-29T08:15:00Z", "2026-11-30T09:15:00Z"));
        Assert.Equal(1, await RequestsAsync("2026-11-29T08:15:00Z", "2026-11-29T09:00:00Z"));  // inside one day
        Assert.Equal(0, await RequestsAsync("2026-11-29T08:31:00Z", "2026-11-29T09:30:00Z"));  // [from, to): 09:30 is not in it
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task The_log_pages_newest_first_with_a_cursor_and_filters(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        await using var gw = await Gateway.StartAsync(ConfigLoader.Parse(Yaml, "u.yaml") with { Storage = db.Options });
        for (var i = 0; i < 110; i++)
        {
            // Even i: team-a; odd i: team-b, which may not use claude-x (i = 5, 15, …, 105 are its 403s).
            await SendAsync(gw, i % 5 == 0 ? "claude-x" : "gpt-4o", i % 2 == 0 ? "sk-team-a-key-1" : "sk-team-b-key-1", $"u{i}");
        }
        await WaitForRowsAsync(gw, 110);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = JsonNode.Parse(await gw.Client.GetStringAsync($"/admin/v1/logs?limit=50{(cursor is null ? "" : "&cursor=" + cursor)}"))!;
            seen.AddRange(page["data"]!.AsArray().Select(r => r!["user"]!.GetValue<string>()));
            cursor = page["next_cursor"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null);
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 110).Reverse().Select(i => $"u{i}"), seen); // newest first, each once

        var refused = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/logs?status=4xx"))!["data"]!.AsArray();
        Assert.Equal(Enumerable.Range(0, 11).Reverse().Select(k => $"u{10 * k + 5}"), refused.Select(r => r!["user"]!.GetValue<string>()));
        Assert.All(refused, r => Assert.Equal((403, "team-b"), (r!["status"]!.GetValue<int>(), r["tenant"]!.GetValue<string>())));
        Assert.Equal(11, JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/logs?status=403"))!["data"]!.AsArray().Count);
        var teamB = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/logs?tenant=team-b&limit=1000"))!["data"]!.AsArray();
        Assert.Equal(55, teamB.Count);
        var row = teamB[0]!;
        Assert.Equal(("team-b", "gpt-4o", 200, "openai", "u109"), (row["tenant"]!.GetValue<string>(), row["model"]!.GetValue<string>(), row["status"]!.GetValue<int>(),
            row["protocol"]!.GetValue<string>(), row["user"]!.GetValue<string>()));
        Assert.True(row["cost_usd"]!.GetValue<decimal>() > 0);
        Assert.Equal("config", row["price_version"]!.GetValue<string>());
        Assert.NotEmpty(row["trail"]!.AsArray());
        var claude = JsonNode.Parse(await gw.Client.GetStringAsync("/admin/v1/logs?model=claude-x&user=u10"))!["data"]!.AsArray();
        Assert.Equal("u10", Assert.Single(claude)!["user"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/admin/v1/usage?group_by=color", "group_by")]
    [InlineData("/admin/v1/usage?from=yesterday", "from")]
    [InlineData("/admin/v1/usage?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "from")]
    [InlineData("/admin/v1/logs?status=teapot", "status")]
    [InlineData("/admin/v1/logs?limit=0", "limit")]
    [InlineData("/admin/v1/logs?cursor=abc", "cursor")]
    public async Task Bad_query_parameters_are_named(string url, string param)
    {
        await using var gw = await Gateway.StartAsync(Gateway.AnyModelToMock);
        using var response = await gw.Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(param, error["param"]!.GetValue<string>());
        Assert.Contains($"'{param}'", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
