using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Switchyard.Bench;

/// <summary>
/// What cluster mode runs on, for the bench: a throwaway PostgreSQL (scripts/test-postgres.sh) and redis-server on
/// loopback ports, and the readings that size a deployment: Redis commands and bytes per request, PostgreSQL
/// transactions and rows per request, and the COPY throughput of the request log.
/// </summary>
internal sealed class ClusterStack : IDisposable
{
    private readonly string _repo;
    private readonly string _pgDir;
    private readonly Child _redis;

    private ClusterStack(string repo, string pgDir, string connection, int pgPort, Child redis, int redisPort)
    {
        _repo = repo;
        _pgDir = pgDir;
        Connection = connection;
        PgPort = pgPort;
        _redis = redis;
        RedisPort = redisPort;
    }

    public string Connection { get; }
    public int PgPort { get; }
    public int RedisPort { get; }

    public static async Task<ClusterStack?> StartAsync(string repo, string work)
    {
        if (!File.Exists("/usr/bin/redis-server") || !File.Exists("/usr/bin/redis-cli"))
        {
            Console.WriteLine("redis-server not found: the cluster-mode run is skipped (apt-get install redis-server)");
            return null;
        }
        var (code, output) = await RunAsync("bash", [Path.Combine(repo, "scripts", "test-postgres.sh")]);
        if (code != 0)
        {
            Console.WriteLine($"PostgreSQL did not start: the cluster-mode run is skipped ({output.Trim()})");
            return null;
        }
        var line = output.Trim().Split('\n')[^1];
        var pgDir = line[..line.IndexOf(' ', StringComparison.Ordinal)];
        var connection = line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..];
        var pgPort = int.Parse(connection.Split(';').First(p => p.StartsWith("Port=", StringComparison.Ordinal))[5..], CultureInfo.InvariantCulture);
        var redisPort = Net.FreePort();
        var redis = Child.Start("/usr/bin/redis-server", ["--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            Path.Combine(work, "redis.log"));
        await Net.WaitForPortAsync(redisPort, TimeSpan.FromSeconds(15), redis);
        return new ClusterStack(repo, pgDir, connection, pgPort, redis, redisPort);
    }

    /// <summary>Redis's own counters: commands processed (those the scripts run included), script calls (round trips), bytes in and out.</summary>
    public async Task<(long Commands, long Scripts, long BytesIn, long BytesOut)> RedisStatsAsync()
    {
        var (_, info) = await RunAsync("/usr/bin/redis-cli", ["-p", RedisPort.ToString(CultureInfo.InvariantCulture), "INFO", "all"]);
        var lines = info.Split('\n');
        long Field(string name) => long.Parse(lines.First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
        long Calls(string command) => lines.FirstOrDefault(l => l.StartsWith($"cmdstat_{command}:calls=", StringComparison.Ordinal)) is { } l
            ? long.Parse(l[$"cmdstat_{command}:calls=".Length..l.IndexOf(',', StringComparison.Ordinal)], CultureInfo.InvariantCulture)
            : 0;
        // INFO itself is counted: one command and its own bytes, the same in every reading.
        return (Field("total_commands_processed"), Calls("evalsha") + Calls("eval"), Field("total_net_input_bytes"), Field("total_net_output_bytes"));
    }

    /// <summary>PostgreSQL's counters for the database: commits, rows inserted, rows updated.</summary>
    public async Task<(long Commits, long Inserted, long Updated)> PgStatsAsync()
    {
        var (_, text) = await PsqlAsync("SELECT pg_stat_force_next_flush(); SELECT xact_commit, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = current_database()");
        var fields = text.Trim().Split('\n')[^1].Split('|').Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        return (fields[0], fields[1], fields[2]);
    }

    /// <summary>Rows a second that <c>COPY … FROM STDIN</c> puts into request_log (with its indexes), for <paramref name="rows"/> rows.</summary>
    public async Task<double> CopyRowsPerSecondAsync(string work, int rows)
    {
        var csv = Path.Combine(work, "copy.csv");
        var sb = new StringBuilder(rows * 120);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < rows; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{ts + i},req_copy_{i:x8},team-{i % 16},openai,gpt-4o-mini,200,1,{i % 900 + 100}.5,120,480,\"[\"\"up: 200\"\"]\"\n");
        }
        await File.WriteAllTextAsync(csv, sb.ToString());
        var clock = Stopwatch.StartNew();
        var (code, output) = await PsqlAsync($"\\copy request_log (ts, request_id, tenant, protocol, model, status, attempts, latency_ms, input_tokens, output_tokens, trail) FROM '{csv}' CSV");
        var elapsed = clock.Elapsed.TotalSeconds;
        if (code != 0)
        {
            throw new InvalidOperationException($"COPY failed: {output}");
        }
        await PsqlAsync("DELETE FROM request_log WHERE request_id LIKE 'req_copy_%'");
        return rows / elapsed;
    }

    private Task<(int Code, string Output)> PsqlAsync(string sql) =>
        RunAsync("psql", ["-h", "127.0.0.1", "-p", PgPort.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql]);

    private static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose()
    {
        _redis.Dispose();
        RunAsync("bash", [Path.Combine(_repo, "scripts", "test-postgres.sh"), "stop", _pgDir]).GetAwaiter().GetResult();
    }
}
