using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Switchyard.Config;
using Switchyard.Storage;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Storage;

/// <summary>
/// A PostgreSQL server of its own (started by scripts/test-postgres.sh) is stopped for 30 seconds while clients keep
/// sending, with static and virtual keys: no request fails because of it, and every row reaches the store afterwards.
/// </summary>
public sealed class StoreOutageTests
{
    [Fact]
    public async Task PostgreSQL_stopped_for_30_seconds_under_load_fails_no_request_and_the_rows_catch_up()
    {
        await using var server = await PostgresServer.StartAsync();
        var connection = server.Connection;
        var spill = Path.Combine(Path.GetTempPath(), $"sy-outage-{Guid.NewGuid():N}", "request-log.spill.jsonl");
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var config = ConfigLoader.Parse("""
            tenants: [{name: team-a, keys: [sk-team-a-key-1]}]
            providers: [{name: mock, type: mock}]
            routes: [{model: "*", targets: [{provider: mock}]}]
            """, "outage.yaml") with { Storage = StorageOptions.Postgres(connection) with { SpillPath = spill } };
        await using var gw = await Gateway.StartAsync(config, time);
        using var created = await gw.PostJsonAsync("/admin/v1/tenants/team-a/keys", "{}");
        var virtualKey = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();

        var sent = 0;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(async worker =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(gw.Url) };
            while (clock.Elapsed < TimeSpan.FromSeconds(40))
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
                {
                    Content = new StringContent("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", worker % 2 == 0 ? "sk-team-a-key-1" : virtualKey);
                using var response = await http.SendAsync(request);
                Interlocked.Increment(ref sent);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{(int)response.StatusCode} at {clock.Elapsed.TotalSeconds:0.0}s: {await response.Content.ReadAsStringAsync()}");
                }
                await Task.Delay(20);
            }
        }));

        await Task.Delay(TimeSpan.FromSeconds(3));
        await server.PauseAsync();
        var down = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromMinutes(2)); // the virtual key's cached lookup goes stale while the store is down
        await Task.Delay(TimeSpan.FromSeconds(28));
        await server.ResumeAsync();
        Assert.True(clock.Elapsed - down >= TimeSpan.FromSeconds(30));
        await load;

        Assert.Empty(failures);
        var log = gw.Services.GetRequiredService<StoredRequestLog>();
        Assert.True(log.Spilled > 0, "the outage spilled no rows: it was not one");
        await using var c = new NpgsqlConnection(connection + ";Pooling=false"); // pooled connections of before the outage are dead
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long rows;
        while ((rows = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM request_log WHERE status = 200")) < sent && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        Assert.Equal(sent, rows + 0L);
        Assert.Equal(sent, await c.ExecuteScalarAsync<long>("SELECT SUM(requests) FROM usage_minute"));
        Assert.False(File.Exists(spill));
    }
}
