using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Switchyard.Tests.Storage;

namespace Switchyard.Tests.Cluster;

/// <summary>
/// Three real gateways in cluster mode on loopback ports, sharing one fresh PostgreSQL database and one throwaway
/// redis-server; the config each gets is the same YAML apart from its instance name and spill file.
/// </summary>
internal sealed class GatewayCluster : IAsyncDisposable
{
    private readonly string _spillDir = Directory.CreateTempSubdirectory("sy-cluster").FullName;

    private GatewayCluster(TestStore db, RedisServer redis) => (Database, Redis) = (db, redis);

    public TestStore Database { get; }
    public RedisServer Redis { get; }
    public List<Gateway> Instances { get; } = [];

    public const string AdminKey = "sk-admin-cluster-key-1";

    /// <param name="body">The config below <c>cluster:</c> and <c>storage:</c> (providers, routes, tenants).</param>
    public static async Task<GatewayCluster> StartAsync(string body, int instances = 3, string clusterExtra = "")
    {
        var db = await TestStore.CreateAsync("postgres", migrate: false);
        var redis = await RedisServer.StartAsync();
        var cluster = new GatewayCluster(db, redis);
        for (var i = 0; i < instances; i++)
        {
            cluster.Instances.Add(await Gateway.StartAsync(cluster.Yaml(i, body, clusterExtra)));
        }
        return cluster;
    }

    /// <remarks>
    /// A test machine runs many tests at once: the time budget on Redis is long here (2 s) so that a slow moment is not
    /// taken for an outage (the outage tests stop Redis, which fails at once).
    /// </remarks>
    public string Yaml(int i, string body, string clusterExtra = "") => $$"""
        cluster: {redis: "{{Redis.Configuration}}", instance: gw-{{i}}, redis_timeout: 2s{{clusterExtra}}}
        storage: {provider: postgres, connection: "{{Database.Options.Connection}}", spill_path: "{{Path.Combine(_spillDir, $"spill-{i}.jsonl")}}"}
        auth: {admin_key: {{AdminKey}}}
        {{body}}
        """;

    public Gateway this[int i] => Instances[i];

    public static HttpRequestMessage Chat(string key, string model = "gpt-x")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    /// <summary>An admin API call on one instance: its status and JSON body.</summary>
    public static async Task<(int Status, JsonNode? Body)> AdminAsync(Gateway gw, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        using var response = await gw.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 && text[0] is '{' or '[' ? JsonNode.Parse(text) : null);
    }

    /// <summary>Requests spread round-robin over the instances, all released at once; the statuses.</summary>
    public async Task<List<int>> RaceAsync(int n, string key, string model = "gpt-x")
    {
        using var start = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, n).Select(async i =>
        {
            await start.WaitAsync();
            using var response = await Instances[i % Instances.Count].Client.SendAsync(Chat(key, model));
            return (int)response.StatusCode;
        }).ToList();
        start.Release(n);
        return [.. await Task.WhenAll(tasks)];
    }

    /// <summary>Polls until <paramref name="condition"/> holds or <paramref name="within"/> passes; how long it took.</summary>
    public static async Task<TimeSpan?> WithinAsync(TimeSpan within, Func<Task<bool>> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < within)
        {
            if (await condition())
            {
                return watch.Elapsed;
            }
            await Task.Delay(20);
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var gw in Instances)
            {
                await gw.DisposeAsync();
            }
        }
        finally
        {
            await Redis.DisposeAsync(); // a redis-server process: never left running by a failed test
            await Database.DisposeAsync();
        }
        try
        {
            Directory.Delete(_spillDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
