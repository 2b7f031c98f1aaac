using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchyard.Bench;

// `floor --upstream URL --urls URL`: the floor hop in its own process (so its CPU and memory are its own).
if (args.Length > 0 && args[0] == "floor")
{
    var hop = Servers.FloorHop(args[Array.IndexOf(args, "--urls") + 1], new Uri(args[Array.IndexOf(args, "--upstream") + 1]));
    await hop.RunAsync();
    return 0;
}

// `upstream --urls URL`: the fake upstream alone (to profile a gateway against it by hand).
if (args.Length > 0 && args[0] == "upstream")
{
    await using var alone = Servers.FakeUpstream(args[Array.IndexOf(args, "--urls") + 1]);
    await alone.RunAsync();
    return 0;
}

var quick = args.Contains("--quick");
// --streams / --requests: only the streaming or only the non-stream throughput scenarios (for profiling); the ratios
// are printed, not recorded.
var streamsOnly = args.Contains("--streams");
var requestsOnly = args.Contains("--requests");
var duration = TimeSpan.FromSeconds(quick ? 4 : 12);
var rounds = quick ? 2 : 3;
var repo = FindRepo();
var work = Directory.CreateTempSubdirectory("switchyard-bench").FullName;
var results = new JsonObject
{
    ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
    ["machine"] = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024 * 1024.0):0.#} GiB",
    ["mode"] = quick ? "quick" : "full",
    ["duration_s"] = duration.TotalSeconds,
    ["rounds"] = rounds,
};
if (args.Contains("--soak"))
{
    var minutes = Array.IndexOf(args, "--minutes") is var m and >= 0 ? double.Parse(args[m + 1], CultureInfo.InvariantCulture) : 30;
    return await Soak.RunAsync(repo, work, TimeSpan.FromMinutes(minutes));
}
var report = new StringBuilder();
void Say(string line)
{
    Console.WriteLine(line);
    report.AppendLine(line);
}

// --- the fake upstream (in this process), the floor hop, Switchyard and the peer gateway (children) ---
var upstreamPort = Net.FreePort();
var upstreamUrl = $"http://127.0.0.1:{upstreamPort}";
await using var upstream = Servers.FakeUpstream(upstreamUrl);
await upstream.StartAsync();

var floorPort = Net.FreePort();
using var floor = Child.Start("dotnet", [typeof(Servers).Assembly.Location, "floor", "--upstream", upstreamUrl, "--urls", $"http://127.0.0.1:{floorPort}"], Path.Combine(work, "floor.log"));

var switchyardPort = Net.FreePort();
var config = Path.Combine(work, "switchyard.yaml");
// A fresh store and file log per run, beside the run's other files (never in the repository).
await File.WriteAllTextAsync(config, $"""
    server: {"{"}request_log: "{Path.Combine(work, "logs", "switchyard.jsonl")}"{"}"}
    storage: {"{"}path: "{Path.Combine(work, "data", "switchyard.db")}"{"}"}
    providers:
      - {"{"}name: up-openai, type: openai, base_url: "{upstreamUrl}/v1", keys: [sk-bench-1, sk-bench-2]{"}"}
      - {"{"}name: up-anthropic, type: anthropic, base_url: "{upstreamUrl}", keys: [sk-bench-3, sk-bench-4]{"}"}
    routes:
      - {"{"}model: bench-oa, targets: [{"{"}provider: up-openai{"}"}]{"}"}
      - {"{"}model: bench-an, targets: [{"{"}provider: up-anthropic{"}"}]{"}"}
    """);
var switchyardDll = Path.Combine(repo, "src", "Switchyard", "bin", "Release", "net10.0", "switchyard.dll");
using var switchyard = Child.Start("dotnet", [switchyardDll, "serve", "--config", config, "--urls", $"http://127.0.0.1:{switchyardPort}"], Path.Combine(work, "switchyard.log"));

// The same gateway with tenancy on: a tenant key with every kind of limit (high enough never to refuse), so each
// request authenticates, reserves tokens and spend, is priced and settles; the stored request log as in the other.
var tenancyPort = Net.FreePort();
var tenancyConfig = Path.Combine(work, "switchyard-tenancy.yaml");
await File.WriteAllTextAsync(tenancyConfig, File.ReadAllText(config)
    .Replace(Path.Combine(work, "data"), Path.Combine(work, "data-tenancy"), StringComparison.Ordinal)
    .Replace(Path.Combine(work, "logs"), Path.Combine(work, "logs-tenancy"), StringComparison.Ordinal) + """

    tenants:
      - name: bench
        keys: [sk-bench-tenant]
        limits: {requests_per_day: 1000000000, tokens_per_day: 1000000000000, rpm: 100000000, tpm: 100000000000, concurrent: 100000, budget_usd_per_day: 100000000, budget_usd_per_month: 1000000000}
    pricing: [{model: "*", input: 2.5, output: 10, cache_read: 1.25}]
    """);
using var tenancy = Child.Start("dotnet", [switchyardDll, "serve", "--config", tenancyConfig, "--urls", $"http://127.0.0.1:{tenancyPort}"], Path.Combine(work, "switchyard-tenancy.log"));
var tenantAuth = new Dictionary<string, string> { ["Authorization"] = "Bearer sk-bench-tenant" };

// The tenancy gateway again in cluster mode: PostgreSQL for the store, its limits counted in Redis (one script per
// request to admit, one to settle). The target: its throughput within 10% of the single-mode tenancy gateway's.
using var stack = await ClusterStack.StartAsync(repo, work);
var clusterPort = Net.FreePort();
Child? cluster = null;
if (stack is not null)
{
    var clusterConfig = Path.Combine(work, "switchyard-cluster.yaml");
    var text = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(tenancyConfig), "^storage: .*$",
        $"storage: {{provider: postgres, connection: \"{stack.Connection}\"}}\ncluster: {{redis: \"127.0.0.1:{stack.RedisPort}\", instance: bench-1}}",
        System.Text.RegularExpressions.RegexOptions.Multiline);
    await File.WriteAllTextAsync(clusterConfig, text.Replace(Path.Combine(work, "logs-tenancy"), Path.Combine(work, "logs-cluster"), StringComparison.Ordinal));
    cluster = Child.Start("dotnet", [switchyardDll, "serve", "--config", clusterConfig, "--urls", $"http://127.0.0.1:{clusterPort}"], Path.Combine(work, "switchyard-cluster.log"), workingDirectory: work);
}
using var clusterProcess = cluster; // stopped with the others when the run ends

Child? portkey = null;
var portkeyPort = Net.FreePort();
var portkeyEntry = Path.Combine(repo, "bench", "peer", "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");
if (File.Exists(portkeyEntry))
{
    portkey = Child.Start("node", ["--import", Path.Combine(repo, "bench", "peer", "force-loopback.mjs"), portkeyEntry, $"--port={portkeyPort}", "--headless"],
        Path.Combine(work, "portkey.log"), new Dictionary<string, string> { ["NODE_ENV"] = "production" });
}
await Net.WaitForPortAsync(floorPort, TimeSpan.FromSeconds(60), floor);
await Net.WaitForPortAsync(switchyardPort, TimeSpan.FromSeconds(60), switchyard);
await Net.WaitForPortAsync(tenancyPort, TimeSpan.FromSeconds(60), tenancy);
if (cluster is not null)
{
    await Net.WaitForPortAsync(clusterPort, TimeSpan.FromSeconds(60), cluster);
}
if (portkey is not null)
{
    try
    {
        await Net.WaitForPortAsync(portkeyPort, TimeSpan.FromSeconds(60), portkey);
    }
    catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
    {
        Console.WriteLine($"peer gateway did not start ({ex.Message}); continuing without it");
        portkey.Dispose();
        portkey = null;
    }
}

var auth = new Dictionary<string, string> { ["Authorization"] = "Bearer sk-bench" };
Dictionary<string, string> Portkey(string provider) => new()
{
    ["Authorization"] = "Bearer sk-bench",
    ["x-portkey-provider"] = provider,
    ["x-portkey-custom-host"] = upstreamUrl + "/v1",
};

// name → (url, body, headers) per target; null: that target cannot run the scenario.
var scenarios = new (string Name, Func<string, (string Url, string Body, Dictionary<string, string> Headers)?> For)[]
{
    ("OpenAI→OpenAI passthrough", t => t switch
    {
        "floor" => ($"http://127.0.0.1:{floorPort}/v1/chat/completions", Wire.OpenAIRequest("gpt-4o-mini"), auth),
        "switchyard" or "dashboard" => ($"http://127.0.0.1:{switchyardPort}/v1/chat/completions", Wire.OpenAIRequest("bench-oa"), auth),
        "tenancy" => ($"http://127.0.0.1:{tenancyPort}/v1/chat/completions", Wire.OpenAIRequest("bench-oa"), tenantAuth),
        "cluster" => ($"http://127.0.0.1:{clusterPort}/v1/chat/completions", Wire.OpenAIRequest("bench-oa"), tenantAuth),
        "portkey" => ($"http://127.0.0.1:{portkeyPort}/v1/chat/completions", Wire.OpenAIRequest("gpt-4o-mini"), Portkey("openai")),
        _ => ($"{upstreamUrl}/v1/chat/completions", Wire.OpenAIRequest("gpt-4o-mini"), auth),
    }),
    ("OpenAI client→Anthropic upstream", t => t switch
    {
        "floor" => ($"http://127.0.0.1:{floorPort}/v1/chat/completions", Wire.OpenAIRequest("gpt-4o-mini"), auth),
        "switchyard" => ($"http://127.0.0.1:{switchyardPort}/v1/chat/completions", Wire.OpenAIRequest("bench-an"), auth),
        "tenancy" => ($"http://127.0.0.1:{tenancyPort}/v1/chat/completions", Wire.OpenAIRequest("bench-an"), tenantAuth),
        "cluster" => ($"http://127.0.0.1:{clusterPort}/v1/chat/completions", Wire.OpenAIRequest("bench-an"), tenantAuth),
        "portkey" => ($"http://127.0.0.1:{portkeyPort}/v1/chat/completions", Wire.OpenAIRequest("claude-sonnet-4-5"), Portkey("anthropic")),
        _ => null,
    }),
    ("Anthropic client→OpenAI upstream", t => t switch
    {
        "floor" => ($"http://127.0.0.1:{floorPort}/v1/messages", Wire.AnthropicRequest("claude-sonnet-4-5"), auth),
        "switchyard" => ($"http://127.0.0.1:{switchyardPort}/v1/messages", Wire.AnthropicRequest("bench-oa"), auth),
        "tenancy" => ($"http://127.0.0.1:{tenancyPort}/v1/messages", Wire.AnthropicRequest("bench-oa"), tenantAuth),
        "cluster" => ($"http://127.0.0.1:{clusterPort}/v1/messages", Wire.AnthropicRequest("bench-oa"), tenantAuth),
        "portkey" => ($"http://127.0.0.1:{portkeyPort}/v1/messages", Wire.AnthropicRequest("gpt-4o-mini"), Portkey("openai")),
        _ => null,
    }),
};

// Streams of 50 events at 16 connections: the relay's own throughput (each event is flushed as it arrives).
var oaStream50 = Wire.OpenAIRequest("gpt-4o-mini", stream: true, chunks: 50);
var streamScenarios = new (string Name, Func<string, (string Url, string Body, Dictionary<string, string> Headers)?> For)[]
{
    ("OpenAI→OpenAI stream passthrough, 50 events", t => t switch
    {
        "floor" => ($"http://127.0.0.1:{floorPort}/v1/chat/completions", oaStream50, auth),
        "switchyard" => ($"http://127.0.0.1:{switchyardPort}/v1/chat/completions", Wire.OpenAIRequest("bench-oa", stream: true, chunks: 50), auth),
        _ => null,
    }),
    ("Anthropic client→OpenAI upstream stream, 50 events", t => t switch
    {
        "floor" => ($"http://127.0.0.1:{floorPort}/v1/chat/completions", oaStream50, auth), // translation is measured against the floor's passthrough
        "switchyard" => ($"http://127.0.0.1:{switchyardPort}/v1/messages", Wire.AnthropicRequest("bench-oa", stream: true, chunks: 50), auth),
        _ => null,
    }),
};
if (streamsOnly)
{
    scenarios = streamScenarios;
}
else if (!requestsOnly)
{
    scenarios = [.. scenarios, .. streamScenarios];
}

var targets = new List<(string Name, Child? Process)> { ("floor", floor), ("switchyard", switchyard), ("tenancy", tenancy) };
if (cluster is not null)
{
    targets.Add(("cluster", cluster));
}
if (portkey is not null)
{
    targets.Add(("portkey", portkey));
}
// "dashboard": the same Switchyard while the web console's dashboard is open in headless Chromium and refreshing
// (the bench gateway has no admin key, so the console opens for loopback callers without a login).
var chromium = File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : null;
if (chromium is not null && !streamsOnly && !requestsOnly)
{
    targets.Add(("dashboard", switchyard));
}
else if (chromium is null)
{
    Console.WriteLine("chromium not found: the dashboard-open run is skipped (apt-get install chromium)");
}
Say($"# Switchyard benchmark — {results["date"]}, {results["machine"]}, {(quick ? "quick" : "full")} run ({rounds} rounds × {duration.TotalSeconds:0} s per target)");
Say("");

// Warm everything up (JIT, connection pools) so the first round measures the steady state.
foreach (var (name, _) in targets)
{
    foreach (var s in scenarios)
    {
        if (s.For(name) is { } w)
        {
            await Wrk.RunAsync(w.Url, w.Body, w.Headers, 8, TimeSpan.FromSeconds(2), work);
        }
    }
}

if (streamsOnly || requestsOnly)
{
    foreach (var s in scenarios)
    {
        var rps = new Dictionary<string, List<double>> { ["floor"] = [], ["switchyard"] = [], ["tenancy"] = [], ["cluster"] = [] };
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, _) in round % 2 == 0 ? targets : Enumerable.Reverse(targets).ToList())
            {
                if (s.For(name) is { } w && rps.TryGetValue(name, out var list))
                {
                    list.Add((await Wrk.RunAsync(w.Url, w.Body, w.Headers, 16, duration, work)).Rps);
                }
            }
        }
        var tenancyNote = rps["tenancy"].Count > 0 ? $", tenancy {rps["tenancy"].Average():0}/s ({rps["tenancy"].Average() / rps["switchyard"].Average():0.000} of open)" : "";
        var clusterNote = rps["cluster"].Count > 0 ? $", cluster {rps["cluster"].Average():0}/s ({rps["cluster"].Average() / rps["tenancy"].Average():0.000} of single)" : "";
        Console.WriteLine($"{s.Name}: floor {rps["floor"].Average():0}/s, switchyard {rps["switchyard"].Average():0}/s, ratio {rps["switchyard"].Average() / rps["floor"].Average():0.000}{tenancyNote}{clusterNote}");
    }
    Console.WriteLine($"stored request log of the tenancy gateway: {await StoredLogAsync(tenancyPort)}");
    return 0;
}

// The stored request log's counters, from the gateway's /metrics: rows written and spilled, and the queue right now.
static async Task<string> StoredLogAsync(int port)
{
    using var http = new HttpClient();
    var metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
    string Value(string prefix, string? outcome = null) => metrics.Split('\n')
        .FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal) && (outcome is null || l.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal)))?.Split(' ')[^1] ?? "?";
    return $"{Value("switchyard_request_log_rows_total{", "written")} rows written, {Value("switchyard_request_log_rows_total{", "spilled")} spilled, "
        + $"{Value("switchyard_request_log_queue")} queued at the end";
}

// The upstream must never be the bottleneck.
var direct = scenarios[0].For("direct")!.Value;
var upstreamCapacity = await Wrk.RunAsync(direct.Url, direct.Body, direct.Headers, 16, duration, work);
results["upstream_rps_16c"] = upstreamCapacity.Rps;

var throughput = new JsonObject();
Say("## Throughput at 16 connections (the stream scenarios count whole 50-event streams)");
Say("");
Say("| scenario | target | RPS | p50 ms | p99 ms | CPU s / 1k req | errors |");
Say("|---|---|---:|---:|---:|---:|---:|");
foreach (var s in scenarios)
{
    var perTarget = targets.ToDictionary(t => t.Name, _ => new List<(WrkResult R, double Cpu)>());
    for (var round = 0; round < rounds; round++)
    {
        // Alternate the order each round so drift on a shared machine hits every target alike.
        var order = round % 2 == 0 ? targets : Enumerable.Reverse(targets).ToList();
        foreach (var (name, process) in order)
        {
            if (s.For(name) is not { } w)
            {
                continue;
            }
            await using var dashboard = name == "dashboard" ? await Dashboard.OpenAsync(chromium!, $"http://127.0.0.1:{switchyardPort}/ui") : null;
            var cpu0 = process!.CpuSeconds();
            var r = await Wrk.RunAsync(w.Url, w.Body, w.Headers, 16, duration, work);
            perTarget[name].Add((r, process.CpuSeconds() - cpu0));
        }
    }
    var scenarioJson = new JsonObject();
    foreach (var (name, runs) in perTarget.Where(p => p.Value.Count > 0))
    {
        var rps = runs.Average(x => x.R.Rps);
        var failed = runs.Sum(x => x.R.Errors + x.R.Non2xx);
        var cpuPer1k = runs.Sum(x => x.Cpu) / Math.Max(1, runs.Sum(x => x.R.Requests)) * 1000;
        scenarioJson[name] = new JsonObject
        {
            ["rps"] = Math.Round(rps, 1),
            ["p50_ms"] = runs.Average(x => x.R.P50Ms),
            ["p99_ms"] = runs.Average(x => x.R.P99Ms),
            ["cpu_s_per_1k"] = Math.Round(cpuPer1k, 4),
            ["failed"] = failed,
        };
        Say($"| {s.Name} | {name} | {rps:0} | {runs.Average(x => x.R.P50Ms):0.00} | {runs.Average(x => x.R.P99Ms):0.00} | {cpuPer1k:0.000} | {failed} |");
    }
    throughput[s.Name] = scenarioJson;
}
results["throughput"] = throughput;
Say("");
Say($"Stored request log of the tenancy gateway after the throughput runs: {await StoredLogAsync(tenancyPort)}.");
Say($"Fake upstream alone: {upstreamCapacity.Rps:0} RPS at 16 connections.");
Say("");

// Cluster mode per request: Redis commands and bytes, PostgreSQL commits and rows (sequential requests, counted by
// the servers themselves), and the COPY throughput of the request log table.
var clusterReadings = new JsonObject();
if (stack is not null)
{
    const int Sequential = 2000;
    using var http = new HttpClient();
    var w = scenarios[0].For("cluster")!.Value;
    var redis0 = await stack.RedisStatsAsync();
    await Task.Delay(TimeSpan.FromSeconds(11)); // PostgreSQL backends report their counters once idle for a while
    var pg0 = await stack.PgStatsAsync();
    var redisBefore = await stack.RedisStatsAsync();
    var idleCommands = redisBefore.Commands - redis0.Commands; // the instance's own pings and lease renewals, over 11 s
    for (var i = 0; i < Sequential; i++)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, w.Url) { Content = new StringContent(w.Body, Encoding.UTF8, "application/json") };
        foreach (var (k, v) in w.Headers)
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }
    var redisAfter = await stack.RedisStatsAsync();
    await Task.Delay(TimeSpan.FromSeconds(11));
    var pg1 = await stack.PgStatsAsync();
    clusterReadings["redis_round_trips_per_request"] = Math.Round((redisAfter.Scripts - redisBefore.Scripts) / (double)Sequential, 2);
    clusterReadings["redis_commands_per_request"] = Math.Round((redisAfter.Commands - redisBefore.Commands - 1) / (double)Sequential, 2);
    clusterReadings["redis_idle_commands_per_s"] = Math.Round(idleCommands / 11.0, 1);
    clusterReadings["redis_bytes_in_per_request"] = Math.Round((redisAfter.BytesIn - redisBefore.BytesIn) / (double)Sequential, 0);
    clusterReadings["redis_bytes_out_per_request"] = Math.Round((redisAfter.BytesOut - redisBefore.BytesOut) / (double)Sequential, 0);
    clusterReadings["pg_commits_per_request"] = Math.Round((pg1.Commits - pg0.Commits) / (double)Sequential, 3);
    clusterReadings["pg_rows_inserted_per_request"] = Math.Round((pg1.Inserted - pg0.Inserted) / (double)Sequential, 3);
    clusterReadings["pg_rows_updated_per_request"] = Math.Round((pg1.Updated - pg0.Updated) / (double)Sequential, 3);
    clusterReadings["copy_request_log_rows_per_s"] = Math.Round(await stack.CopyRowsPerSecondAsync(work, 200_000), 0);
    results["cluster_per_request"] = clusterReadings;
}

// Added latency at one connection: each hop's p50 minus the upstream's own.
var latency = new JsonObject();
var directLatency = await Wrk.RunAsync(direct.Url, direct.Body, direct.Headers, 1, duration, work);
foreach (var (name, _) in targets.Where(t => t.Name != "dashboard"))
{
    var w = scenarios[0].For(name)!.Value;
    var r = await Wrk.RunAsync(w.Url, w.Body, w.Headers, 1, duration, work);
    latency[name] = Math.Round(r.P50Ms - directLatency.P50Ms, 3);
}
results["added_p50_ms_1c"] = latency;

// Streaming: time to first byte added, chunk arrival (no buffering), relay rate, many open streams.
var streaming = new JsonObject();
var oaStream = Wire.OpenAIRequest("bench-oa", stream: true);
var floorStreamUrl = $"http://127.0.0.1:{floorPort}/v1/chat/completions";
var switchyardStreamUrl = $"http://127.0.0.1:{switchyardPort}/v1/chat/completions";
var anClientStreamUrl = $"http://127.0.0.1:{switchyardPort}/v1/messages";
var anStream = Wire.AnthropicRequest("bench-oa", stream: true);
var ttfbFloor = await StreamProbe.TimeToFirstByteAsync(floorStreamUrl, oaStream, auth, 50);
var ttfbPass = await StreamProbe.TimeToFirstByteAsync(switchyardStreamUrl, oaStream, auth, 50);
var ttfbTranslate = await StreamProbe.TimeToFirstByteAsync(anClientStreamUrl, anStream, auth, 50);
streaming["ttfb_floor_ms"] = Math.Round(ttfbFloor, 3);
streaming["ttfb_added_passthrough_ms"] = Math.Round(ttfbPass - ttfbFloor, 3);
streaming["ttfb_added_translation_ms"] = Math.Round(ttfbTranslate - ttfbFloor, 3);
var (unbufferedPass, gapPass) = await StreamProbe.ChunkArrivalAsync(switchyardStreamUrl, oaStream, auth, 10, 100);
var (unbufferedTranslate, gapTranslate) = await StreamProbe.ChunkArrivalAsync(anClientStreamUrl, anStream, auth, 10, 100);
streaming["unbuffered_passthrough"] = unbufferedPass;
streaming["unbuffered_translation"] = unbufferedTranslate;
streaming["min_gap_ms_passthrough"] = Math.Round(gapPass, 1);
streaming["min_gap_ms_translation"] = Math.Round(gapTranslate, 1);
streaming["chunks_per_s_floor"] = Math.Round(await StreamProbe.ChunkRateAsync(floorStreamUrl, oaStream, auth, 20000));
streaming["chunks_per_s_passthrough"] = Math.Round(await StreamProbe.ChunkRateAsync(switchyardStreamUrl, oaStream, auth, 20000));
streaming["chunks_per_s_translation"] = Math.Round(await StreamProbe.ChunkRateAsync(anClientStreamUrl, anStream, auth, 20000));
var streamCount = quick ? 300 : 1000;
var many = await StreamProbe.ManyStreamsAsync(anClientStreamUrl, anStream, auth, streamCount, 40, 100, switchyard);
streaming["concurrent_streams"] = streamCount;
streaming["concurrent_streams_completed"] = many.Completed;
streaming["concurrent_streams_peak_rss_mb"] = Math.Round(many.PeakRss / 1048576.0, 1);
streaming["concurrent_streams_cpu_s"] = Math.Round(many.CpuSeconds, 2);
results["streaming"] = streaming;

results["switchyard_peak_rss_mb"] = Math.Round(switchyard.PeakRssBytes() / 1048576.0, 1);
results["floor_peak_rss_mb"] = Math.Round(floor.PeakRssBytes() / 1048576.0, 1);
if (portkey is not null)
{
    results["portkey_peak_rss_mb"] = Math.Round(portkey.PeakRssBytes() / 1048576.0, 1);
}

// --- ratios against the targets of the benchmark issue ---
double Rps(string scenario, string target) => throughput[scenario]?[target]?["rps"]?.GetValue<double>() ?? double.NaN;
var ratios = new JsonObject
{
    ["passthrough_vs_floor"] = Math.Round(Rps(scenarios[0].Name, "switchyard") / Rps(scenarios[0].Name, "floor"), 3),
    ["oa_to_an_vs_floor"] = Math.Round(Rps(scenarios[1].Name, "switchyard") / Rps(scenarios[1].Name, "floor"), 3),
    ["an_to_oa_vs_floor"] = Math.Round(Rps(scenarios[2].Name, "switchyard") / Rps(scenarios[2].Name, "floor"), 3),
    ["added_latency_vs_floor"] = Math.Round(latency["switchyard"]!.GetValue<double>() / Math.Max(0.001, latency["floor"]!.GetValue<double>()), 2),
    ["upstream_vs_best_gateway"] = Math.Round(upstreamCapacity.Rps / targets.Max(t => Rps(scenarios[0].Name, t.Name)), 2),
    ["stream_passthrough_vs_floor"] = Math.Round(Rps(streamScenarios[0].Name, "switchyard") / Rps(streamScenarios[0].Name, "floor"), 3),
    ["stream_translation_vs_floor"] = Math.Round(Rps(streamScenarios[1].Name, "switchyard") / Rps(streamScenarios[1].Name, "floor"), 3),
    // Tenancy on vs off in the same run (the target: within 5%).
    ["tenancy_passthrough_vs_open"] = Math.Round(Rps(scenarios[0].Name, "tenancy") / Rps(scenarios[0].Name, "switchyard"), 3),
    ["tenancy_oa_to_an_vs_open"] = Math.Round(Rps(scenarios[1].Name, "tenancy") / Rps(scenarios[1].Name, "switchyard"), 3),
    ["tenancy_an_to_oa_vs_open"] = Math.Round(Rps(scenarios[2].Name, "tenancy") / Rps(scenarios[2].Name, "switchyard"), 3),
    // Cluster mode (PostgreSQL, limits in Redis) vs the same tenancy gateway in single mode (the target: within 10%).
    ["cluster_passthrough_vs_single"] = Math.Round(Rps(scenarios[0].Name, "cluster") / Rps(scenarios[0].Name, "tenancy"), 3),
    ["cluster_oa_to_an_vs_single"] = Math.Round(Rps(scenarios[1].Name, "cluster") / Rps(scenarios[1].Name, "tenancy"), 3),
    // The web console's dashboard open and refreshing vs closed, in the same run (the target: does not move, ≥ 0.97).
    ["dashboard_open_passthrough_vs_closed"] = Math.Round(Rps(scenarios[0].Name, "dashboard") / Rps(scenarios[0].Name, "switchyard"), 3),
};
if (portkey is not null)
{
    foreach (var s in scenarios.Where(s => s.For("portkey") is not null))
    {
        var peer = throughput[s.Name]?["portkey"];
        ratios[$"vs_portkey: {s.Name}"] = peer is not null && peer["failed"]!.GetValue<long>() == 0 ? Math.Round(Rps(s.Name, "switchyard") / Rps(s.Name, "portkey"), 1) : null;
    }
}
results["ratios"] = ratios;

Say("## Ratios (targets in parentheses)");
Say("");
Say($"- passthrough throughput / floor: {ratios["passthrough_vs_floor"]} (≥ 0.80)");
Say($"- translation throughput / floor: OpenAI→Anthropic {ratios["oa_to_an_vs_floor"]}, Anthropic→OpenAI {ratios["an_to_oa_vs_floor"]} (≥ 0.68)");
Say($"- tenancy on (key, limits, reservations, pricing) / open gateway: passthrough {ratios["tenancy_passthrough_vs_open"]}, OpenAI→Anthropic {ratios["tenancy_oa_to_an_vs_open"]}, Anthropic→OpenAI {ratios["tenancy_an_to_oa_vs_open"]} (≥ 0.95)");
Say($"- cluster mode (PostgreSQL + limits in Redis) / single mode, both with tenancy on: passthrough {ratios["cluster_passthrough_vs_single"]}, OpenAI→Anthropic {ratios["cluster_oa_to_an_vs_single"]} (≥ 0.90; NaN without redis-server or PostgreSQL)");
if (clusterReadings.Count > 0)
{
    Say($"- cluster mode per request: Redis {clusterReadings["redis_round_trips_per_request"]} round trips (script calls) running {clusterReadings["redis_commands_per_request"]} commands, {clusterReadings["redis_bytes_in_per_request"]} B in / {clusterReadings["redis_bytes_out_per_request"]} B out "
        + $"(idle: {clusterReadings["redis_idle_commands_per_s"]} commands/s); PostgreSQL {clusterReadings["pg_commits_per_request"]} commits, {clusterReadings["pg_rows_inserted_per_request"]} rows inserted, {clusterReadings["pg_rows_updated_per_request"]} updated; "
        + $"COPY into request_log {clusterReadings["copy_request_log_rows_per_s"]} rows/s");
}
Say($"- passthrough with the console's dashboard open and refreshing / closed: {ratios["dashboard_open_passthrough_vs_closed"]} (≥ 0.97; NaN when chromium is missing)");
Say($"- added p50 latency at 1 connection: Switchyard {latency["switchyard"]} ms, floor {latency["floor"]} ms, ratio {ratios["added_latency_vs_floor"]} (≤ 1.5)");
foreach (var (k, v) in ratios.Where(r => r.Key.StartsWith("vs_portkey", StringComparison.Ordinal)))
{
    Say($"- throughput / Portkey, {k[12..]}: {(v is null ? "n/a (the peer failed this scenario)" : v.ToString())} (≥ 10)");
}
Say($"- streaming: first byte added {streaming["ttfb_added_passthrough_ms"]} ms passthrough, {streaming["ttfb_added_translation_ms"]} ms translation (≤ 1 ms); each chunk arrived on its own: passthrough {unbufferedPass}, translation {unbufferedTranslate}");
Say($"- 50-event streams at 16 connections / floor passthrough: passthrough {ratios["stream_passthrough_vs_floor"]} (≥ 0.75), translated {ratios["stream_translation_vs_floor"]} (≥ 0.6)");
Say($"- chunks relayed per second: floor {streaming["chunks_per_s_floor"]}, passthrough {streaming["chunks_per_s_passthrough"]}, translation {streaming["chunks_per_s_translation"]}");
Say($"- {streamCount} concurrent slow streams: {many.Completed} completed, Switchyard peak RSS {streaming["concurrent_streams_peak_rss_mb"]} MB (≤ 300 MB)");
Say($"- upstream capacity / best gateway: {ratios["upstream_vs_best_gateway"]}× (the fake upstream is not the bottleneck when this is well above 1)");

var outDir = Path.Combine(repo, "bench", "results");
Directory.CreateDirectory(outDir);
var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
await File.WriteAllTextAsync(Path.Combine(outDir, $"{stamp}.json"), results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
await File.WriteAllTextAsync(Path.Combine(outDir, "latest.md"), report.ToString());
Console.WriteLine($"\nresults: bench/results/{stamp}.json and bench/results/latest.md; logs in {work}");
portkey?.Dispose();
return 0;

static string FindRepo()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Switchyard.slnx")))
        {
            return dir.FullName;
        }
    }
    throw new InvalidOperationException("run from inside the repository");
}
