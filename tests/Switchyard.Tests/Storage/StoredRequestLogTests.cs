using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Config;
using Switchyard.Storage;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Storage;

/// <summary>The request log in the store loses nothing: every request has its row, shutdown flushes, a failing store spills and catches up.</summary>
public sealed class StoredRequestLogTests
{
    public static Xunit.TheoryData<string> Dialects => TestStore.Dialects;

    private const string Yaml = """
        tenants: [{name: team-a, keys: [sk-team-a-key-1], models: ["gpt-*"]}]
        providers: [{name: mock, type: mock}]
        routes: [{model: "gpt-*", targets: [{provider: mock}]}, {model: "claude-*", targets: [{provider: mock}]}]
        """;

    private static HttpRequestMessage Chat(string model, string? key = "sk-team-a-key-1", string body = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(body.Length > 0 ? body : $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return request;
    }

    private static async Task<long> CountAsync(Store store, string where = "1 = 1")
    {
        await using var c = await store.OpenConnectionAsync(default);
        return await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM request_log WHERE {where}");
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task Every_request_has_its_row_also_those_refused_before_dispatch(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        await using (var gw = await Gateway.StartAsync(ConfigLoader.Parse(Yaml, "l.yaml") with { Storage = db.Options }))
        {
            (await gw.Client.SendAsync(Chat("gpt-4o"))).Dispose();                       // 200
            (await gw.Client.SendAsync(Chat("gpt-4o", key: "sk-wrong-key-1"))).Dispose(); // 401
            (await gw.Client.SendAsync(Chat("claude-x"))).Dispose();                     // 403: not the tenant's model
            (await gw.Client.SendAsync(Chat("gpt-4o", body: "{\"model\":"))).Dispose();  // 400: bad body
        }
        await using var c = await db.Store.OpenConnectionAsync(default);
        var rows = (await c.QueryAsync<(long Status, string? Tenant, string Model, string? Error)>(
            "SELECT status, tenant, model, error FROM request_log ORDER BY id")).ToList();
        Assert.Equal([200L, 401L, 403L, 400L], rows.Select(r => r.Status));
        Assert.Equal(["team-a", null, "team-a", "team-a"], rows.Select(r => r.Tenant));
        Assert.Equal("gpt-4o", rows[0].Model);
        Assert.Null(rows[0].Error);
        Assert.Contains("may not use the model 'claude-x'", rows[2].Error, StringComparison.Ordinal);
        var text = string.Join("|", await c.QueryAsync<string>("SELECT COALESCE(tenant_key, '') || COALESCE(error, '') || trail FROM request_log"));
        Assert.DoesNotContain("sk-team-a-key-1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-wrong-key-1", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task Ten_thousand_requests_then_shutdown_leave_ten_thousand_rows(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        const int Requests = 10_000;
        await using (var gw = await Gateway.StartAsync(ConfigLoader.Parse(Yaml, "l.yaml") with { Storage = db.Options }))
        {
            var next = 0;
            var workers = Enumerable.Range(0, 32).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= Requests)
                {
                    using var response = await gw.Client.SendAsync(Chat("gpt-4o"));
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }
            });
            await Task.WhenAll(workers);
        } // disposing stops the host as SIGTERM does: the writer drains before it returns
        Assert.Equal(Requests, await CountAsync(db.Store));
        Assert.Equal(Requests, await CountAsync(db.Store, "status = 200 AND tenant = 'team-a' AND input_tokens > 0"));
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task While_the_store_refuses_writes_rows_spill_to_a_file_and_are_loaded_when_it_takes_them_again(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect);
        await using var gw = await Gateway.StartAsync(ConfigLoader.Parse(Yaml, "l.yaml") with { Storage = db.Options });
        var log = gw.Services.GetRequiredService<StoredRequestLog>();
        async Task RunSqlAsync(string sql)
        {
            await using var c = await db.Store.OpenConnectionAsync(default);
            await c.ExecuteAsync(sql);
        }

        await RunSqlAsync("ALTER TABLE request_log RENAME TO request_log_away"); // the store refuses every insert now
        for (var i = 0; i < 50; i++)
        {
            using var response = await gw.Client.SendAsync(Chat("gpt-4o"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // no request fails because of it
        }
        await WaitUntilAsync(() => log.Spilled >= 50);
        Assert.True(File.Exists(db.Options.SpillPath));
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // down for longer than one retry, and no request comes: the writer keeps retrying

        await RunSqlAsync("ALTER TABLE request_log_away RENAME TO request_log"); // back
        await WaitUntilAsync(() => log.Replayed >= 50, TimeSpan.FromSeconds(20));
        Assert.Equal(50, await CountAsync(db.Store));
        Assert.False(File.Exists(db.Options.SpillPath));
        using (var after = await gw.Client.SendAsync(Chat("gpt-4o")))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }
        await WaitUntilAsync(() => log.Written >= 51);
        Assert.Equal(51, await CountAsync(db.Store));

        // The detour is counted where operators look.
        var metrics = await gw.Client.GetStringAsync("/metrics");
        double Rows(string outcome) => double.Parse(metrics.Split('\n').Single(l => l.StartsWith("switchyard_request_log_rows_total{", StringComparison.Ordinal)
            && l.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Rows("spilled") >= 50 && Rows("replayed") >= 50 && Rows("written") >= 51, metrics);
        Assert.Contains("switchyard_request_log_queue", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_still_spilled_at_shutdown_are_loaded_at_the_next_start()
    {
        await using var db = await TestStore.CreateAsync("sqlite");
        var config = ConfigLoader.Parse(Yaml, "l.yaml") with { Storage = db.Options };
        await using (var c = await db.Store.OpenConnectionAsync(default))
        {
            await c.ExecuteAsync("ALTER TABLE request_log RENAME TO request_log_away");
        }
        await using (var gw = await Gateway.StartAsync(config))
        {
            for (var i = 0; i < 20; i++)
            {
                (await gw.Client.SendAsync(Chat("gpt-4o"))).Dispose();
            }
        }
        Assert.Equal(20, File.ReadAllLines(db.Options.SpillPath).Length);
        await using (var c = await db.Store.OpenConnectionAsync(default))
        {
            await c.ExecuteAsync("ALTER TABLE request_log_away RENAME TO request_log");
        }
        await using (var gw = await Gateway.StartAsync(config))
        {
            await WaitUntilAsync(() => gw.Services.GetRequiredService<StoredRequestLog>().Replayed >= 20);
        }
        Assert.Equal(20, await CountAsync(db.Store));
        Assert.False(File.Exists(db.Options.SpillPath));
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task Rows_older_than_the_retention_are_deleted(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-10-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var config = ConfigLoader.Parse(Yaml, "l.yaml") with { Storage = db.Options with { LogRetentionDays = 30 } };
        await using var gw = await Gateway.StartAsync(config, time);
        var log = gw.Services.GetRequiredService<StoredRequestLog>();
        for (var i = 0; i < 3; i++)
        {
            (await gw.Client.SendAsync(Chat("gpt-4o"))).Dispose();
        }
        await WaitUntilAsync(() => log.Written >= 3);
        time.Advance(TimeSpan.FromDays(31));
        (await gw.Client.SendAsync(Chat("gpt-4o"))).Dispose();
        await WaitUntilAsync(() => log.Written >= 4);
        await WaitUntilAsync(() => CountAsync(db.Store).GetAwaiter().GetResult() == 1); // the three old rows are gone
        Assert.Equal(1, await CountAsync(db.Store, $"ts >= {time.GetUtcNow().AddMinutes(-1).ToUnixTimeMilliseconds()}"));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the request log");
            await Task.Delay(25);
        }
    }
}
