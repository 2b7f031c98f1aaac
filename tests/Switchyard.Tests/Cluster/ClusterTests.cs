using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using StackExchange.Redis;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Cluster;

/// <summary>
/// Three gateways sharing PostgreSQL and Redis: limits are exact across them, and what one instance learns or is told
/// (a 429's rest, a disabled key, a revoked virtual key, a new route) is in force on all of them within a second.
/// </summary>
public sealed partial class ClusterTests
{
    private const string TenantKey = "sk-team-a-cluster-1";

    private static string Tenant(string limits, string extra = "") => $$"""
        tenants:
          - name: team-a
            keys: [{{TenantKey}}]
            limits: {{limits}}
        {{extra}}
        providers: [{name: mock, type: mock}]
        routes: [{model: "gpt-*", targets: [{provider: mock}]}]
        """;

    [Fact]
    public async Task Sixty_four_requests_spread_over_three_instances_against_a_daily_limit_of_50_serve_exactly_50()
    {
        await using var cluster = await GatewayCluster.StartAsync(Tenant("{requests_per_day: 50}"));
        var statuses = await cluster.RaceAsync(64, TenantKey);
        Assert.Equal(50, statuses.Count(s => s == 200));
        Assert.Equal(14, statuses.Count(s => s == 429));

        // The refusal is in the client's protocol, names the limit and says when it resets — from any instance.
        using var refused = await cluster[2].Client.SendAsync(GatewayCluster.Chat(TenantKey));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(long.Parse(refused.Headers.GetValues("retry-after").Single(), CultureInfo.InvariantCulture) > 0);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!;
        Assert.StartsWith("The tenant 'team-a' reached its limit of 50 requests per day (UTC)", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("tenant_limit_exceeded", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Requests_per_minute_and_concurrent_requests_are_exact_across_instances()
    {
        await using (var cluster = await GatewayCluster.StartAsync(Tenant("{rpm: 20}")))
        {
            var statuses = await cluster.RaceAsync(30, TenantKey);
            Assert.Equal(20, statuses.Count(s => s == 200));
            Assert.Equal(10, statuses.Count(s => s == 429));
        }
        // Each served request holds its slot for 1.5 s: of 12 arriving together, 4 run and 8 are refused, whichever instance they reach.
        await using (var cluster = await GatewayCluster.StartAsync(Tenant("{concurrent: 4}")))
        {
            var statuses = await cluster.RaceAsync(12, TenantKey, "gpt-x-fault-delay-1500");
            Assert.True(statuses.Count(s => s == 200) == 4, string.Join(",", statuses));
            Assert.Equal(8, statuses.Count(s => s == 429));
            // The slots were given back when the requests ended — within moments on every instance (a lease that leaked
            // would hold its slot for cluster.lease_ttl, 30 s). The release is a write after the answer: a request sent to
            // another instance the instant one ends may still find its slot taken for that round trip.
            Assert.NotNull(await GatewayCluster.WithinAsync(TimeSpan.FromSeconds(2), async () =>
                (await cluster.RaceAsync(4, TenantKey)).All(s => s == 200)));
        }
    }

    [Fact]
    public async Task Far_from_its_limits_an_instance_admits_from_a_block_without_asking_Redis_and_the_counts_are_exact_once_it_is_given_back()
    {
        await using var cluster = await GatewayCluster.StartAsync(Tenant("{requests_per_day: 1000000, concurrent: 100000, tokens_per_day: 1000000000}"), instances: 2);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.Configuration + ",allowAdmin=true");
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var scriptsBefore = await ScriptCallsAsync(server);

        // 800 requests, 8 at a time, over both instances.
        var statuses = new List<int>();
        for (var wave = 0; wave < 100; wave++)
        {
            statuses.AddRange(await cluster.RaceAsync(8, TenantKey));
        }
        Assert.Equal(800, statuses.Count(s => s == 200));
        var scripts = await ScriptCallsAsync(server) - scriptsBefore;
        // One request at a time is an admission each and their settlements (more than 1 script a request); blocks, sized
        // to the demand (they double from 1 as it shows), need one for every many requests.
        Assert.True(scripts < 80, $"{scripts} script calls for 800 requests");

        // Idle for a second, the blocks go back: the day counts exactly the 800 requests and the tokens they used (as the
        // request log has them), and no slot is held.
        var db = redis.GetDatabase();
        var day = server.Keys(pattern: "*lim:t:*:d:*").Single();
        var inFlight = server.Keys(pattern: "*lim:t:*:f").Single();
        await using var pg = new Npgsql.NpgsqlConnection(cluster.Database.Options.Connection);
        long logged = 0;
        var settled = await GatewayCluster.WithinAsync(TimeSpan.FromSeconds(10), async () =>
        {
            logged = await Dapper.SqlMapper.ExecuteScalarAsync<long>(pg, "SELECT COALESCE(SUM(input_tokens + output_tokens), 0) FROM request_log WHERE tenant = 'team-a'");
            return (long)await db.HashGetAsync(day, "r") == 800 && await db.SortedSetLengthAsync(inFlight) == 0
                && (long)await db.HashGetAsync(day, "t") == logged && logged > 0;
        });
        Assert.True(settled is not null, $"day: r {await db.HashGetAsync(day, "r")}, t {await db.HashGetAsync(day, "t")} (logged {logged}); in flight {await db.SortedSetLengthAsync(inFlight)}");
    }

    [Fact]
    public async Task Blocks_never_admit_past_a_limit_and_what_they_held_is_served_once_given_back()
    {
        // 1,000 a day: the first admissions take blocks (a 64th of what is left), the last ones one request each.
        await using var cluster = await GatewayCluster.StartAsync(Tenant("{requests_per_day: 1000}"));
        var served = 0;
        for (var wave = 0; wave < 36; wave++)
        {
            served += (await cluster.RaceAsync(30, TenantKey)).Count(s => s == 200);
            Assert.True(served <= 1000, $"{served} served against a limit of 1000");
        }
        // Requests an instance held in a block and did not use go back after a second of quiet; then exactly the limit is served.
        Assert.NotNull(await GatewayCluster.WithinAsync(TimeSpan.FromSeconds(5), async () =>
        {
            served += (await cluster.RaceAsync(6, TenantKey)).Count(s => s == 200);
            return served >= 1000;
        }));
        Assert.Equal(1000, served);
        Assert.Equal(0, (await cluster.RaceAsync(6, TenantKey)).Count(s => s == 200));
    }

    private static async Task<long> ScriptCallsAsync(IServer server)
    {
        var stats = (await server.InfoAsync("commandstats")).SelectMany(g => g).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        long Calls(string command) => stats.TryGetValue($"cmdstat_{command}", out var v) ? long.Parse(v.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture) : 0;
        return Calls("evalsha") + Calls("eval");
    }

    [Fact]
    public async Task A_daily_budget_admits_across_instances_exactly_the_requests_whose_reservations_fit()
    {
        // Every request reserves the same priced maximum; the probe tenant's refusal says how much that is.
        const string pricing = "pricing: [{model: \"gpt-*\", provider: mock, input: 1000, output: 1000}]";
        string Config(string budget) => $$"""
            tenants:
              - name: team-a
                keys: [{{TenantKey}}]
                limits: {budget_usd_per_day: {{budget}}}
              - name: probe
                keys: [sk-probe-cluster-1]
                limits: {budget_usd_per_day: 0.000001}
            {{pricing}}
            providers: [{name: mock, type: mock}]
            routes: [{model: "gpt-*", targets: [{provider: mock}]}]
            """;
        decimal reservation;
        await using (var probe = await GatewayCluster.StartAsync(Config("1"), instances: 1))
        {
            using var refused = await probe[0].Client.SendAsync(GatewayCluster.Chat("sk-probe-cluster-1", "gpt-x-fault-delay-1500"));
            var message = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>();
            reservation = decimal.Parse(MayCost().Match(message).Groups[1].Value, CultureInfo.InvariantCulture);
        }
        var budget = (reservation * 10.5m).ToString(CultureInfo.InvariantCulture);
        await using var cluster = await GatewayCluster.StartAsync(Config(budget));
        // The answers take 1.5 s: all 30 are admitted or refused before any settles.
        var statuses = await cluster.RaceAsync(30, TenantKey, "gpt-x-fault-delay-1500");
        Assert.Equal(10, statuses.Count(s => s == 200));
        Assert.Equal(20, statuses.Count(s => s == 429));
    }

    [GeneratedRegex(@"may cost up to \$([0-9.]+)")]
    private static partial Regex MayCost();

    [Fact]
    public async Task A_429_with_retry_after_seen_by_one_instance_rests_that_key_on_all_of_them_within_a_second()
    {
        await using var upstream = await FakeUpstream.StartAsync((ctx, req) => req.Header("authorization") == "Bearer sk-up-limited-1"
            ? FakeUpstream.Json("""{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}""", 429, ("retry-after", "30"))(ctx, req)
            : FakeUpstream.Json(Wire.OpenAI.TextResponse)(ctx, req));
        await using var cluster = await GatewayCluster.StartAsync($$"""
            providers:
              - {name: up, type: openai, base_url: "{{upstream.Url}}/v1", keys: [sk-up-limited-1, sk-up-fine-1], key_strategy: round_robin}
            routes: [{model: "gpt-*", targets: [{provider: up}]}]
            """);
        using (var first = await cluster[0].Client.SendAsync(GatewayCluster.Chat(GatewayCluster.AdminKey)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode); // the limited key's 429, then the other key
        }
        Assert.Equal(1, upstream.Requests.Count(r => r.Header("authorization") == "Bearer sk-up-limited-1"));
        foreach (var other in new[] { cluster[1], cluster[2] })
        {
            var took = await GatewayCluster.WithinAsync(TimeSpan.FromSeconds(1), async () =>
                (await GatewayCluster.AdminAsync(other, HttpMethod.Get, "/admin/v1/providers/up/keys")).Body!["data"]!.AsArray()
                    .Any(k => k!["key"]!.GetValue<string>().StartsWith("sk-u", StringComparison.Ordinal) && k["state"]!.GetValue<string>() == "cooling_down"));
            Assert.NotNull(took);
        }
        // The others never send the resting key upstream.
        for (var i = 0; i < 6; i++)
        {
            using var r = await cluster[1 + (i % 2)].Client.SendAsync(GatewayCluster.Chat(GatewayCluster.AdminKey));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.Equal(1, upstream.Requests.Count(r => r.Header("authorization") == "Bearer sk-up-limited-1"));
    }

    [Fact]
    public async Task A_key_disabled_a_virtual_key_revoked_and_a_route_created_through_one_instance_are_in_force_on_all_within_a_second()
    {
        await using var cluster = await GatewayCluster.StartAsync("""
            tenants: [{name: team-a, keys: [sk-team-a-cluster-1]}]
            providers:
              - {name: mock, type: mock}
              - {name: pool, type: mock, keys: [sk-pool-one-1, sk-pool-two-1]}
            routes: [{model: "gpt-*", targets: [{provider: mock}]}]
            """);
        var admin = cluster[0];

        // A route created on one instance is served by the others.
        var (status, _) = await GatewayCluster.AdminAsync(admin, HttpMethod.Post, "/admin/v1/routes", """{"model": "fresh-model", "targets": [{"provider": "mock"}]}""");
        Assert.Equal(201, status);
        foreach (var other in new[] { cluster[1], cluster[2] })
        {
            Assert.NotNull(await GatewayCluster.WithinAsync(TimeSpan.FromSeconds(1), async () =>
            {
                using var r = await other.Client.SendAsync(GatewayCluster.Chat(TenantKey, "fresh-model"));
                return r.StatusCode == HttpStatusCode.OK;
            }));
        }

        // A virtual key works everywhere (each instance caches it), then its revocation on one instance reaches all.
        var (_, created) = await GatewayCluster.AdminAsync(admin, HttpMethod.Post, "/admin/v1/tenants/team-a/keys", """{"name": "ci"}""");
        var key = created!["key"]!.GetValue<string>();
        foreach (var gw in cluster.Instances)
        {
            using var r = await gw.Client.SendAsync(GatewayCluster.Chat(key));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        (status, _) = await GatewayCluster.AdminAsync(admin, HttpMethod.Post, $"/admin/v1/keys/{created["id"]!.GetValue<string>()}/revoke");
        Assert.Equal(200, status);
        foreach (var other in new[] { cluster[1], cluster[2] })
        {
            Assert.NotNull(await GatewayCluster.WithinAsync(TimeSpan.FromSeconds(1), async () =>
            {
                using var r = await other.Client.SendAsync(GatewayCluster.Chat(key));
                return r.StatusCode == HttpStatusCode.Unauthorized;
            }));
        }

        // An upstream key disabled through one instance is out of rotation on all.
        var keys = (await GatewayCluster.AdminAsync(admin, HttpMethod.Get, "/admin/v1/providers/pool/keys")).Body!["data"]!.AsArray();
        var id = keys[0]!["id"]!.GetValue<string>();
        (status, _) = await GatewayCluster.AdminAsync(admin, HttpMethod.Post, $"/admin/v1/providers/pool/keys/{id}/disable");
        Assert.Equal(200, status);
        foreach (var other in new[] { cluster[1], cluster[2] })
        {
            Assert.NotNull(await GatewayCluster.WithinAsync(TimeSpan.FromSeconds(1), async () =>
                (await GatewayCluster.AdminAsync(other, HttpMethod.Get, "/admin/v1/providers/pool/keys")).Body!["data"]!.AsArray()
                    .Single(k => k!["id"]!.GetValue<string>() == id)!["state"]!.GetValue<string>() == "disabled"));
        }
        // … and enabled again the same way.
        (status, _) = await GatewayCluster.AdminAsync(admin, HttpMethod.Post, $"/admin/v1/providers/pool/keys/{id}/enable");
        Assert.Equal(200, status);
        Assert.NotNull(await GatewayCluster.WithinAsync(TimeSpan.FromSeconds(1), async () =>
            (await GatewayCluster.AdminAsync(cluster[2], HttpMethod.Get, "/admin/v1/providers/pool/keys")).Body!["data"]!.AsArray()
                .Single(k => k!["id"]!.GetValue<string>() == id)!["state"]!.GetValue<string>() == "available"));
    }

    [Fact]
    public async Task With_Redis_down_the_instances_keep_serving_on_local_counters_say_so_and_add_that_usage_to_Redis_when_it_is_back()
    {
        await using var cluster = await GatewayCluster.StartAsync(Tenant("{requests_per_day: 10}"));
        Assert.All(await cluster.RaceAsync(3, TenantKey), s => Assert.Equal(200, s));
        var ready = await ReadyAsync(cluster[0]);
        Assert.Equal((200, "ready"), (ready.Status, ready.Body!["status"]!.GetValue<string>()));

        await cluster.Redis.StopAsync();
        // Two requests on each instance: none fails because Redis is gone.
        for (var i = 0; i < 6; i++)
        {
            using var r = await cluster[i % 3].Client.SendAsync(GatewayCluster.Chat(TenantKey));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        ready = await ReadyAsync(cluster[1]);
        Assert.Equal(200, ready.Status);
        Assert.Equal("degraded", ready.Body!["status"]!.GetValue<string>());
        Assert.False(ready.Body["cluster"]!["redis_available"]!.GetValue<bool>());
        Assert.Equal("counted on this instance until Redis is back", ready.Body["cluster"]!["limits"]!.GetValue<string>());

        // Redis comes back empty (it keeps nothing on disk here): the six requests counted locally are added to it.
        await cluster.Redis.StartAgainAsync();
        foreach (var gw in cluster.Instances)
        {
            Assert.NotNull(await GatewayCluster.WithinAsync(TimeSpan.FromSeconds(30), async () =>
                (await ReadyAsync(gw)).Body!["status"]!.GetValue<string>() == "ready" && (await ReadyAsync(gw)).Body!["cluster"]!["pending_writes"]!.GetValue<int>() == 0));
        }
        var statuses = await cluster.RaceAsync(8, TenantKey);
        Assert.Equal(4, statuses.Count(s => s == 200)); // 6 of the day's 10 were used while Redis was down
        Assert.Equal(4, statuses.Count(s => s == 429));
    }

    [Fact]
    public async Task With_fail_closed_and_Redis_down_limited_requests_are_refused_in_the_clients_protocol_and_readiness_says_503()
    {
        await using var cluster = await GatewayCluster.StartAsync("""
            tenants:
              - {name: team-a, keys: [sk-team-a-cluster-1], limits: {rpm: 100}}
              - {name: open, keys: [sk-open-cluster-1]}
            providers: [{name: mock, type: mock}]
            routes: [{model: "*", targets: [{provider: mock}]}]
            """, instances: 1, clusterExtra: ", fail_closed: true");
        await cluster.Redis.StopAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent("""{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("x-api-key", TenantKey);
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        using var refused = await cluster[0].Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var body = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Contains("cluster.fail_closed", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(refused.Headers.Contains("retry-after"));

        // A tenant without limits needs no counter: it is served.
        using var open = await cluster[0].Client.SendAsync(GatewayCluster.Chat("sk-open-cluster-1"));
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        var ready = await ReadyAsync(cluster[0]);
        Assert.Equal((503, "unavailable"), (ready.Status, ready.Body!["status"]!.GetValue<string>()));
        Assert.DoesNotContain("password", ready.Body.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<(int Status, JsonNode? Body)> ReadyAsync(Gateway gw)
    {
        using var response = await gw.Client.GetAsync("/health/ready");
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }
}
