using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.Cluster;

/// <summary>
/// Three gateway processes in cluster mode on a PostgreSQL server and a redis-server of the test's own, each serving
/// its own tenant's clients, through what operations do to them: PostgreSQL stopped for 30 s, Redis restarted, one
/// instance killed with <c>kill -9</c> and one stopped with SIGTERM while PostgreSQL is down, both started again after.
/// No client request fails because of PostgreSQL or Redis; every row the killed instance had acknowledged (written or
/// spilled) and every row of the stopped one reaches PostgreSQL — the spill files replayed at the next start.
/// </summary>
public sealed partial class ClusterProcessTests(ITestOutputHelper output)
{
    private static readonly string[] Names = ["a", "b", "c"];

    [Fact]
    public async Task Kill_9_and_SIGTERM_during_a_PostgreSQL_outage_and_a_Redis_restart_lose_no_acknowledged_row_and_fail_no_request()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        var root = Directory.CreateTempSubdirectory("sy-cluster-proc").FullName;
        var configs = Names.ToDictionary(n => n, n => WriteConfig(root, n, postgres.Connection, redis.Configuration));
        var instances = new GatewayProcess?[3];
        await Task.WhenAll(Names.Select(async (n, i) => instances[i] = await GatewayProcess.StartAsync(configs[n], Path.Combine(root, n))));
        var load = new Load(instances.Select(g => g!.Url).ToArray());
        try
        {
            var clock = Stopwatch.StartNew();
            var traffic = load.RunAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));

            await postgres.PauseAsync();
            var pgDown = clock.Elapsed;
            output.WriteLine($"{pgDown.TotalSeconds:0.0}s PostgreSQL stopped");
            await Task.Delay(TimeSpan.FromSeconds(2));

            await redis.StopAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s Redis stopped");
            await Task.Delay(TimeSpan.FromSeconds(1));
            await redis.StartAgainAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s Redis started again");
            await Task.Delay(TimeSpan.FromSeconds(2));

            // kill -9 of b: what it acknowledged (rows written to PostgreSQL, or appended to its spill file) just before.
            var acknowledged = await AcknowledgedRowsAsync(instances[1]!.Url);
            load.Stop(1);
            await instances[1]!.SignalAsync("KILL");
            await instances[1]!.WaitForExitAsync(TimeSpan.FromSeconds(10));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s b killed, having acknowledged {acknowledged} rows");

            // SIGTERM of c: everything it answered is logged (spilled, PostgreSQL being down) before it exits.
            load.Stop(2);
            await instances[2]!.SignalAsync("TERM");
            Assert.Equal(0, await instances[2]!.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s c stopped by SIGTERM");

            var sinceDown = clock.Elapsed - pgDown;
            await Task.Delay(TimeSpan.FromSeconds(30) - sinceDown);
            await postgres.ResumeAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s PostgreSQL started again, {(clock.Elapsed - pgDown).TotalSeconds:0.0}s after it stopped");
            await Task.Delay(TimeSpan.FromSeconds(2));
            load.Stop(0);
            await traffic;

            // b and c start again (same instance names, same working directories): they load their spill files.
            await instances[1]!.DisposeAsync();
            await instances[2]!.DisposeAsync();
            instances[1] = await GatewayProcess.StartAsync(configs["b"], Path.Combine(root, "b"));
            instances[2] = await GatewayProcess.StartAsync(configs["c"], Path.Combine(root, "c"));

            output.WriteLine(load.Describe());
            Assert.Empty(load.Failures);
            Assert.True(load.Answered[0] > 100 && load.Answered[1] > 20 && load.Answered[2] > 20, load.Describe());

            await using var c = new NpgsqlConnection(postgres.Connection + ";Pooling=false");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            Dictionary<string, long> rows;
            while (true)
            {
                rows = (await c.QueryAsync<(string Tenant, long Rows)>("SELECT tenant, COUNT(*) FROM request_log GROUP BY tenant")).ToDictionary(r => r.Tenant, r => r.Rows);
                var complete = rows.GetValueOrDefault("t-a") == load.Answered[0] && rows.GetValueOrDefault("t-c") == load.Answered[2]
                    && rows.GetValueOrDefault("t-b") >= acknowledged && !SpillFiles(root).Any();
                if (complete || DateTime.UtcNow > deadline)
                {
                    break;
                }
                await Task.Delay(250);
            }
            output.WriteLine($"rows: {string.Join(", ", rows.OrderBy(r => r.Key).Select(r => $"{r.Key} {r.Value}"))}");
            Assert.Equal(load.Answered[0], rows.GetValueOrDefault("t-a")); // up throughout: every answered request
            Assert.Equal(load.Answered[2], rows.GetValueOrDefault("t-c")); // SIGTERM loses nothing
            Assert.InRange(rows.GetValueOrDefault("t-b"), acknowledged, load.Answered[1]); // kill -9 loses nothing it had acknowledged
            Assert.Empty(SpillFiles(root));
        }
        finally
        {
            foreach (var instance in instances)
            {
                if (instance is not null)
                {
                    await instance.DisposeAsync();
                }
            }
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static IEnumerable<string> SpillFiles(string root) => Directory.EnumerateFiles(root, "*.spill.jsonl", SearchOption.AllDirectories);

    private static string WriteConfig(string root, string name, string connection, string redis)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        var path = Path.Combine(dir, "switchyard.yaml");
        // A daily limit no test reaches: it puts Redis on every request's path (the admission script).
        File.WriteAllText(path, $$"""
            server: {request_log: off, shutdown_timeout: 10s}
            storage: {provider: postgres, connection: "{{connection}}"}
            cluster: {redis: "{{redis}}", instance: gw-{{name}}}
            tenants:
            {{string.Join("\n", Names.Select(n => $"  - {{name: t-{n}, keys: [{Key(n)}], limits: {{requests_per_day: 1000000, rpm: 100000}}}}"))}}
            providers: [{name: mock, type: mock}]
            routes: [{model: "*", targets: [{provider: mock}]}]
            """);
        return path;
    }

    private static string Key(string instance) => $"sk-cluster-proc-{instance}-0123456789";

    /// <summary>Rows the instance's request log wrote to the store or appended to its spill file (its /metrics).</summary>
    private static async Task<long> AcknowledgedRowsAsync(string url)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var text = await http.GetStringAsync("/metrics");
        long Count(string outcome) => RowsCounter().Matches(text).Where(m => m.Groups["outcome"].Value == outcome)
            .Sum(m => long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture));
        return Count("written") + Count("spilled") - Count("replayed"); // replayed rows were counted once when spilled
    }

    [GeneratedRegex("""^switchyard_request_log_rows_total\{[^}]*outcome="(?<outcome>\w+)"[^}]*\} (?<n>\d+)""", RegexOptions.Multiline)]
    private static partial Regex RowsCounter();

    /// <summary>Two clients per instance, each instance's with its own tenant's key, sending until told to stop.</summary>
    private sealed class Load(string[] urls)
    {
        private readonly CancellationTokenSource[] _stop = [.. urls.Select(_ => new CancellationTokenSource())];
        private readonly long[] _answered = new long[urls.Length];

        public ConcurrentQueue<string> Failures { get; } = new();
        public long[] Answered => [.. Enumerable.Range(0, _answered.Length).Select(i => Interlocked.Read(ref _answered[i]))];

        public void Stop(int instance) => _stop[instance].Cancel();

        public Task RunAsync() => Task.WhenAll(urls.SelectMany((url, i) => Enumerable.Range(0, 2).Select(_ => Task.Run(() => ClientAsync(url, i)))));

        private async Task ClientAsync(string url, int instance)
        {
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(20) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key(Names[instance]));
            var stop = _stop[instance].Token;
            while (!stop.IsCancellationRequested)
            {
                using var content = new StringContent("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
                try
                {
                    using var response = await http.PostAsync("/v1/chat/completions", content, CancellationToken.None);
                    Interlocked.Increment(ref _answered[instance]);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Failures.Enqueue($"{Names[instance]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                    }
                }
                catch (HttpRequestException) when (stop.IsCancellationRequested)
                {
                    // the instance was killed or is stopping: its clients stop with it
                }
                await Task.Delay(25, CancellationToken.None);
            }
        }

        public string Describe() => $"answered a {Answered[0]}, b {Answered[1]}, c {Answered[2]}; failures {Failures.Count}: {string.Join(" | ", Failures.Take(5))}";
    }
}
