using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Npgsql;
using Switchyard.Config;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Storage;

/// <summary>
/// The monthly partitioning of docs/scaling.md (<c>deploy/postgres/partition-request-log.sql</c>, as shipped, through
/// psql) on a migrated database with rows in it: the rows stay, the gateway keeps writing and reading the log, the
/// month's partition takes the new rows, next month's exists, and the hourly retention still deletes old rows.
/// </summary>
public sealed class PartitionedLogTests
{
    [Fact]
    public async Task The_sample_partitioning_keeps_the_rows_and_the_gateway_writes_and_reads_the_partitioned_log()
    {
        var script = Path.Combine(E2E.ReadmeDemoTests.RepositoryRoot(), "deploy", "postgres", "partition-request-log.sql");
        var doc = await File.ReadAllTextAsync(Path.Combine(E2E.ReadmeDemoTests.RepositoryRoot(), "docs", "scaling.md"));
        Assert.Contains((await File.ReadAllTextAsync(script)).Trim(), doc, StringComparison.Ordinal); // the page shows the tested file

        await using var db = await TestStore.CreateAsync("postgres");
        const string yaml = """
            tenants: [{name: team-a, keys: [sk-team-a-partition-1]}]
            providers: [{name: mock, type: mock}]
            routes: [{model: "*", targets: [{provider: mock}]}]
            """;
        // Retention long enough to keep the year-old row until the last step checks that it deletes it.
        var config = ConfigLoader.Parse(yaml, "partition.yaml") with { Storage = db.Options with { LogRetentionDays = 400 } };
        await SendAsync(config, 5);
        await using (var c = new NpgsqlConnection(db.Options.Connection))
        {
            // A row from a year ago: it lands in the default partition (which retention empties, below).
            await c.ExecuteAsync("INSERT INTO request_log (ts, request_id, protocol, model, status, attempts, latency_ms, input_tokens, output_tokens, trail) "
                + "VALUES (@ts, 'req_old', 'openai', 'gpt-4o', 200, 1, 1, 1, 1, '[]')", new { ts = DateTimeOffset.UtcNow.AddDays(-365).ToUnixTimeMilliseconds() });
        }

        var cs = new NpgsqlConnectionStringBuilder(db.Options.Connection);
        var psi = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-h", cs.Host!, "-p", cs.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", cs.Username!, "-d", cs.Database!, "-v", "ON_ERROR_STOP=1", "-f", script })
        {
            psi.ArgumentList.Add(a);
        }
        using (var psql = Process.Start(psi)!)
        {
            var error = psql.StandardError.ReadToEndAsync();
            _ = await psql.StandardOutput.ReadToEndAsync();
            await psql.WaitForExitAsync();
            Assert.True(psql.ExitCode == 0, await error);
        }

        NpgsqlConnection.ClearAllPools();
        await SendAsync(config, 7); // a restart on the partitioned table: migrations, COPY of new rows, reads
        await using (var c = new NpgsqlConnection(db.Options.Connection))
        {
            Assert.Equal("p", await c.ExecuteScalarAsync<string>("SELECT relkind::text FROM pg_class WHERE relname = 'request_log'"));
            Assert.Equal(12, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM request_log WHERE tenant = 'team-a'"));
            var month = $"request_log_{DateTime.UtcNow:yyyy_MM}";
            var next = $"request_log_{DateTime.UtcNow.AddMonths(1):yyyy_MM}";
            Assert.Equal(12, await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {month}"));
            Assert.True(await c.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = @next)", new { next }));
            Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM request_log_default"));
            // Ids still come from the one sequence, in insertion order.
            var rows = (await c.QueryAsync<(long Id, string? Tenant, string Model)>("SELECT id, tenant, model FROM request_log")).ToList();
            Assert.True(rows.Count == rows.Select(r => r.Id).Distinct().Count(), string.Join(", ", rows));
            // The function is idempotent (a monthly cron may run it twice).
            await c.ExecuteAsync("SELECT request_log_add_month(); SELECT request_log_add_month(now() + interval '1 month')");
        }

        // The hourly retention (it runs with the first batch) deletes across the partitions: the year-old row goes.
        NpgsqlConnection.ClearAllPools();
        await SendAsync(config with { Storage = db.Options }, 1);
        await using (var c = new NpgsqlConnection(db.Options.Connection))
        {
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM request_log_default"));
            Assert.Equal(13, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM request_log"));
        }
    }

    /// <summary>Starts a gateway on the store, sends <paramref name="requests"/> requests and stops it (its rows flushed).</summary>
    private static async Task SendAsync(GatewayConfig config, int requests)
    {
        await using var gw = await Gateway.StartAsync(config);
        using var http = new HttpClient { BaseAddress = new Uri(gw.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-team-a-partition-1");
        for (var i = 0; i < requests; i++)
        {
            using var resp = await http.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        }
        // The log reads through the admin API (paged by id, filtered by tenant: the partitioned table's indexes).
        using var logs = await http.GetAsync("/admin/v1/logs?tenant=team-a&limit=100");
        Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
    }
}
