using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Bench;

/// <summary>
/// The soak (<c>bash bench/run.sh --soak [--minutes N]</c>, 30 by default; not part of CI): one gateway with tenancy on
/// and its SQLite store, mixed traffic from 16 paced workers — whole answers and streams, passthrough and translated,
/// the three client protocols, streams the client cuts, a tenant at its limits, bad keys and broken bodies, and routes to
/// an upstream that fails two requests in five in the ways <see cref="UpstreamFaults"/> lists. Every 10 s the gateway's
/// RSS, open file descriptors (sockets included) and threads are read from /proc. Flat means: the last tenth of the run
/// against the second tenth (after warm-up), RSS within 10%, descriptors within 16, threads within 8 — and once the
/// load stops, descriptors back to the warm level. Every answer must be one its scenario allows: the gateway's own 500, a hang
/// (30 s), a stream that ends without its end or an error, is counted as unexpected and fails the soak.
/// </summary>
internal static class Soak
{
    private const int Workers = 16;
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(15); // per worker between requests: a few hundred requests/s in all

    private readonly record struct Sample(double Minute, double RssMb, int Fds, int Threads, long Requests);

    private sealed record Scenario(string Name, int Weight, string Path, string Body, (string Name, string Value)[] Headers, bool Stream, int[] Allowed, int CutAfter = 0, bool MayBreak = false);

    public static async Task<int> RunAsync(string repo, string work, TimeSpan length)
    {
        var upstreamUrl = $"http://127.0.0.1:{Net.FreePort()}";
        var faults = new UpstreamFaults();
        await using var upstream = Servers.FakeUpstream(upstreamUrl, faults);
        await upstream.StartAsync();

        var port = Net.FreePort();
        var gatewayUrl = $"http://127.0.0.1:{port}";
        var config = Path.Combine(work, "switchyard-soak.yaml");
        await File.WriteAllTextAsync(config, $$$"""
            server: {request_log: "{{{Path.Combine(work, "logs", "soak.jsonl")}}}"}
            storage: {path: "{{{Path.Combine(work, "data", "soak.db")}}}"}
            providers:
              - {name: ok-openai, type: openai, base_url: "{{{upstreamUrl}}}/v1", keys: [sk-soak-1, sk-soak-2]}
              - {name: ok-anthropic, type: anthropic, base_url: "{{{upstreamUrl}}}", keys: [sk-soak-3]}
              - {name: flaky-openai, type: openai, base_url: "{{{upstreamUrl}}}/flaky/v1", keys: [sk-flaky-1, sk-flaky-2, sk-flaky-5, sk-flaky-6], first_byte_timeout: 1s, idle_timeout: 1s, failure_cooldown: 5s}
              - {name: flaky-anthropic, type: anthropic, base_url: "{{{upstreamUrl}}}/flaky", keys: [sk-flaky-3, sk-flaky-4, sk-flaky-7, sk-flaky-8], first_byte_timeout: 1s, idle_timeout: 1s, failure_cooldown: 5s}
            routes:
              - {model: soak-oa, targets: [{provider: ok-openai}]}
              - {model: soak-an, targets: [{provider: ok-anthropic}]}
              - {model: soak-failover, targets: [{provider: flaky-openai}, {provider: ok-anthropic}]}
              - {model: soak-flaky, targets: [{provider: flaky-anthropic}]}
            tenants:
              - {name: soak, keys: [sk-soak-open], limits: {requests_per_day: 1000000000, budget_usd_per_day: 100000000}}
              - {name: soak-limited, keys: [sk-soak-limited], limits: {rpm: 120, concurrent: 2, tokens_per_day: 1000000000}}
            pricing: [{model: "*", input: 2.5, output: 10}]
            """);
        var gatewayDll = Path.Combine(repo, "src", "Switchyard", "bin", "Release", "net10.0", "switchyard.dll");
        using var gateway = Child.Start("dotnet", [gatewayDll, "serve", "--config", config, "--urls", gatewayUrl], Path.Combine(work, "switchyard-soak.log"));
        await Net.WaitForPortAsync(port, TimeSpan.FromSeconds(60), gateway);

        var scenarios = Scenarios();
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 64, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = new Uri(gatewayUrl),
            Timeout = Timeout.InfiniteTimeSpan,
        };

        Console.WriteLine($"soak: {length.TotalMinutes:0} minutes, {Workers} workers, gateway pid {gateway.Pid}, logs in {work}");
        var started = DateTime.UtcNow;
        var deadline = started + length;
        var samples = new List<Sample>();
        long requests = 0;
        var load = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            var total = scenarios.Sum(s => s.Weight);
            while (DateTime.UtcNow < deadline)
            {
                var pick = random.Next(total);
                var scenario = scenarios.First(s => (pick -= s.Weight) < 0);
                var outcome = await RunOneAsync(client, scenario);
                outcomes.AddOrUpdate($"{scenario.Name}: {outcome.Text}", 1, (_, n) => n + 1);
                if (!outcome.Expected && unexpected.Count < 200)
                {
                    unexpected.Enqueue($"{scenario.Name}: {outcome.Text}");
                }
                Interlocked.Increment(ref requests);
                await Task.Delay(Pace);
            }
        })).ToArray();
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(10));
            var sample = new Sample((DateTime.UtcNow - started).TotalMinutes, gateway.RssBytes() / 1048576.0, gateway.OpenDescriptors(), gateway.Threads(), Interlocked.Read(ref requests));
            samples.Add(sample);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {sample.Minute,5:0.0} min  RSS {sample.RssMb,6:0.0} MB  fds {sample.Fds,4}  threads {sample.Threads,3}  requests {sample.Requests}"));
        }
        await Task.WhenAll(load);
        await Task.Delay(TimeSpan.FromSeconds(15)); // idle: streams, pooled connections and timers wind down
        var idleFds = gateway.OpenDescriptors();
        var idleThreads = gateway.Threads();
        var ready = (int)(await client.GetAsync("/health/ready")).StatusCode;
        var after = await RunOneAsync(client, scenarios[0]);

        // Warm = the second tenth of the run, end = the last tenth (at least one sample each).
        var warm = Window(samples, 0.1, 0.2);
        var end = Window(samples, 0.9, 1.0);
        double Median(IEnumerable<double> xs)
        {
            var sorted = xs.Order().ToArray();
            return sorted[sorted.Length / 2];
        }
        var rssWarm = Median(warm.Select(s => s.RssMb));
        var rssEnd = Median(end.Select(s => s.RssMb));
        var fdsWarm = Median(warm.Select(s => (double)s.Fds));
        var fdsEnd = Median(end.Select(s => (double)s.Fds));
        var threadsWarm = Median(warm.Select(s => (double)s.Threads));
        var threadsEnd = Median(end.Select(s => (double)s.Threads));
        var half = samples.Skip(samples.Count / 2).ToList();
        var slope = Slope(half.Select(s => (s.Minute, s.RssMb)).ToList()) * 10; // MB per 10 minutes, second half
        var checks = new (string What, bool Ok)[]
        {
            ($"RSS {rssWarm:0.0} → {rssEnd:0.0} MB (ratio {rssEnd / rssWarm:0.000}, ≤ 1.10; second-half slope {slope:+0.0;-0.0} MB per 10 min)", rssEnd / rssWarm <= 1.10),
            ($"open descriptors {fdsWarm:0} → {fdsEnd:0} under load (≤ +16), {idleFds} idle after it (≤ warm + 16)", fdsEnd - fdsWarm <= 16 && idleFds - fdsWarm <= 16),
            ($"threads {threadsWarm:0} → {threadsEnd:0} under load (≤ +8), {idleThreads} idle after it", threadsEnd - threadsWarm <= 8),
            ($"unexpected answers: {unexpected.Count} of {requests}", unexpected.IsEmpty),
            ($"afterwards: /health/ready {ready}, a request {after.Text}", ready == 200 && after.Expected),
        };

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"# Switchyard soak — {started:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {length.TotalMinutes:0} minutes, {Workers} workers");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"{requests} requests ({requests / length.TotalSeconds:0} per second); upstream faults served: {string.Join(", ", UpstreamFaults.Kinds.Append("stalled stream").Select((k, i) => (k, i)).GroupBy(x => x.k).Select(g => $"{g.Key} {g.Sum(x => faults.Served[x.i])}"))}.");
        report.AppendLine();
        foreach (var (what, ok) in checks)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"- {(ok ? "ok" : "FAILED")}: {what}");
        }
        report.AppendLine();
        report.AppendLine("| minute | RSS MB | fds | threads | requests |");
        report.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var s in samples.Where((_, i) => i % 6 == 5 || i == samples.Count - 1))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"| {s.Minute:0.0} | {s.RssMb:0.0} | {s.Fds} | {s.Threads} | {s.Requests} |");
        }
        report.AppendLine();
        report.AppendLine("| scenario: outcome | count |");
        report.AppendLine("|---|---:|");
        foreach (var (k, v) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"| {k} | {v} |");
        }
        foreach (var u in unexpected.Distinct().Take(20))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"- unexpected: {u}");
        }
        Console.WriteLine();
        Console.Write(report);

        var outDir = Path.Combine(repo, "bench", "results");
        Directory.CreateDirectory(outDir);
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var json = new JsonObject
        {
            ["date"] = started.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            ["minutes"] = length.TotalMinutes,
            ["requests"] = requests,
            ["passed"] = checks.All(c => c.Ok),
            ["checks"] = new JsonArray([.. checks.Select(c => (JsonNode)JsonValue.Create($"{(c.Ok ? "ok" : "FAILED")}: {c.What}"))]),
            ["samples"] = new JsonArray([.. samples.Select(s => (JsonNode)new JsonObject { ["minute"] = Math.Round(s.Minute, 2), ["rss_mb"] = Math.Round(s.RssMb, 1), ["fds"] = s.Fds, ["threads"] = s.Threads, ["requests"] = s.Requests })]),
            ["outcomes"] = new JsonObject(outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => KeyValuePair.Create(o.Key, (JsonNode?)o.Value))),
        };
        await File.WriteAllTextAsync(Path.Combine(outDir, $"soak-{stamp}.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        await File.WriteAllTextAsync(Path.Combine(outDir, "soak-latest.md"), report.ToString());
        Console.WriteLine($"\nresults: bench/results/soak-{stamp}.json and bench/results/soak-latest.md");
        return checks.All(c => c.Ok) ? 0 : 1;
    }

    private static List<Sample> Window(List<Sample> samples, double from, double to)
    {
        var n = samples.Count;
        var window = samples.Skip((int)(n * from)).Take(Math.Max(1, (int)(n * to) - (int)(n * from))).ToList();
        return window.Count > 0 ? window : [samples[^1]];
    }

    private static double Slope(List<(double X, double Y)> points)
    {
        if (points.Count < 2)
        {
            return 0;
        }
        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var den = points.Sum(p => (p.X - mx) * (p.X - mx));
        return den == 0 ? 0 : points.Sum(p => (p.X - mx) * (p.Y - my)) / den;
    }

    private static Scenario[] Scenarios()
    {
        (string, string)[] openai = [("Authorization", "Bearer sk-soak-open")];
        (string, string)[] anthropic = [("x-api-key", "sk-soak-open"), ("anthropic-version", "2023-06-01")];
        (string, string)[] gemini = [("x-goog-api-key", "sk-soak-open")];
        const string brokenBody = """{"model":"soak-oa","messages":[{"role":"user","content":"hel""";
        const string geminiBody = """{"contents":[{"role":"user","parts":[{"text":"Say hello to the soak."}]}],"generationConfig":{"maxOutputTokens":64}}""";
        int[] ok = [200];
        int[] failing = [200, 429, 500, 502, 503, 504, 529]; // 500 and 529: the upstream's own, relayed (not the gateway's own 500)
        return
        [
            new("OpenAI passthrough", 4, "/v1/chat/completions", Wire.OpenAIRequest("soak-oa"), openai, false, ok),
            new("Anthropic client → OpenAI", 3, "/v1/messages", Wire.AnthropicRequest("soak-oa"), anthropic, false, ok),
            new("Gemini client → Anthropic", 1, "/v1beta/models/soak-an:generateContent", geminiBody, gemini, false, ok),
            new("OpenAI client → Anthropic stream", 3, "/v1/chat/completions", Wire.OpenAIRequest("soak-an", stream: true, chunks: 50), openai, true, ok),
            new("Anthropic stream passthrough", 2, "/v1/messages", Wire.AnthropicRequest("soak-an", stream: true, chunks: 50), anthropic, true, ok),
            new("stream cut by the client", 2, "/v1/messages", Wire.AnthropicRequest("soak-oa", stream: true, chunks: 400).Replace("chunks=400", "chunks=400 interval=5", StringComparison.Ordinal), anthropic, true, ok, CutAfter: 5),
            new("failover route", 3, "/v1/chat/completions", Wire.OpenAIRequest("soak-failover"), openai, false, failing, MayBreak: true),
            new("failover route stream", 2, "/v1/chat/completions", Wire.OpenAIRequest("soak-failover", stream: true, chunks: 30), openai, true, failing, MayBreak: true),
            new("faulty upstream only", 2, "/v1/messages", Wire.AnthropicRequest("soak-flaky"), anthropic, false, failing, MayBreak: true),
            new("faulty upstream only stream", 1, "/v1/messages", Wire.AnthropicRequest("soak-flaky", stream: true, chunks: 30), anthropic, true, failing, MayBreak: true),
            new("tenant at its limits", 2, "/v1/chat/completions", Wire.OpenAIRequest("soak-oa"), [("Authorization", "Bearer sk-soak-limited")], false, [200, 429]),
            new("unknown key", 1, "/v1/chat/completions", Wire.OpenAIRequest("soak-oa"), [("Authorization", "Bearer sk-soak-wrong")], false, [401]),
            new("broken body", 1, "/v1/chat/completions", brokenBody, openai, false, [400]),
        ];
    }

    private static async Task<(string Text, bool Expected)> RunOneAsync(HttpClient client, Scenario s)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Post, s.Path) { Content = new StringContent(s.Body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in s.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        var status = 0;
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            var allowed = s.Allowed.Contains(status);
            if (!(s.Stream && status == 200))
            {
                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                var whole = body.Length > 0 && body[0] == '{';
                if (status == 500 && body.Contains("The gateway failed", StringComparison.Ordinal))
                {
                    return ("500 from the gateway itself", false);
                }
                return whole ? ($"{status}", allowed) : ($"{status} with a body that is not JSON", false);
            }
            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var reader = new StreamReader(stream);
            var events = 0;
            string? last = null;
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal))
                {
                    continue;
                }
                last = line;
                if (++events == s.CutAfter)
                {
                    return ("200, cut by the client", true); // disposing the response closes the stream mid-way
                }
            }
            return last switch
            {
                null => ("200 stream without events", false),
                _ when last.Contains("[DONE]", StringComparison.Ordinal) || last.Contains("message_stop", StringComparison.Ordinal) => ("200 stream, whole", allowed),
                _ when last.Contains("error", StringComparison.Ordinal) => ("200 stream, ended by an in-stream error", s.MayBreak),
                _ => ("200 stream ended without its end or an error", false),
            };
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (status == 0 ? "no answer within 30 s" : $"{status}, answer stalled past 30 s", false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // A whole answer whose upstream broke off after its head can only be cut (its head is already sent).
            return status == 0 ? ($"connection failed: {ex.Message}", false) : ($"{status}, answer cut: {ex.GetType().Name}", s.MayBreak);
        }
    }
}
