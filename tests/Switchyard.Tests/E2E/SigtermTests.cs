using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Switchyard.Tests.Infrastructure;
using Switchyard.Tests.Storage;
using Xunit;

namespace Switchyard.Tests.E2E;

/// <summary>The real process, stopped by SIGTERM right after 10,000 requests: it exits cleanly and the store has 10,000 rows.</summary>
public sealed class SigtermTests
{
    private const int Requests = 10_000;

    [Theory]
    [MemberData(nameof(TestStore.Dialects), MemberType = typeof(TestStore))]
    public async Task Ten_thousand_requests_then_SIGTERM_leave_ten_thousand_rows(string dialect)
    {
        await using var db = await TestStore.CreateAsync(dialect, migrate: false);
        var dir = Directory.CreateTempSubdirectory("sy-term").FullName;
        var storage = dialect == "sqlite"
            ? $"{{provider: sqlite, path: \"{db.Options.Path}\"}}"
            : $"{{provider: postgres, connection: \"{db.Options.Connection}\"}}";
        var config = Path.Combine(dir, "switchyard.yaml");
        await File.WriteAllTextAsync(config, $$"""
            server: {request_log: off}
            storage: {{storage}}
            tenants: [{name: team-a, keys: [sk-team-a-key-1]}]
            providers: [{name: mock, type: mock}]
            routes: [{model: "*", targets: [{provider: mock}]}]
            """);
        await using (var gateway = await GatewayProcess.StartAsync(config, dir))
        {
            using var http = new HttpClient { BaseAddress = new Uri(gateway.Url) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-team-a-key-1");
            var next = 0;
            var ok = 0;
            await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= Requests)
                {
                    using var content = new StringContent("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync("/v1/chat/completions", content);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref ok);
                    }
                }
            }));
            Assert.Equal(Requests, ok);

            await gateway.SignalAsync("TERM"); // at once, while the last rows may still be queued
            var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exitCode == 0, $"exit code {exitCode}: {gateway.Output}");
        }
        await using (var c = await db.Store.OpenConnectionAsync(default))
        {
            Assert.Equal(Requests, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM request_log WHERE status = 200 AND tenant = 'team-a'"));
            Assert.Equal(Requests, await c.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(requests), 0) FROM usage_day"));
        }
        Assert.False(Directory.EnumerateFiles(dir, "*.spill.jsonl", SearchOption.AllDirectories).Any(), "rows were left in a spill file");
        Directory.Delete(dir, recursive: true);
    }
}
