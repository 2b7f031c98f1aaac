using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Tests.Infrastructure;
using Xunit;

namespace Switchyard.Tests.Config;

/// <summary>Config hot reload: file watch and POST /providers/reload swap a validated snapshot; bad files are refused.</summary>
public sealed class HotReloadTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sy-reload").FullName;
    private FakeUpstream _a = null!;
    private FakeUpstream _b = null!;

    private string ConfigPath => Path.Combine(_dir, "switchyard.yaml");

    public async Task InitializeAsync()
    {
        _a = await FakeUpstream.StartAsync(FakeUpstream.Scripted("openai"));
        _b = await FakeUpstream.StartAsync(FakeUpstream.Scripted("anthropic"));
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Only_the_config_file_is_watched_not_the_working_directory()
    {
        // The host's appsettings sources would watch the working directory recursively, where data/ and logs/ live by
        // default: every SQLite commit and request-log write woke a watcher thread.
        var config = Switchyard.Config.ConfigLoader.Parse("providers: [{name: m, type: mock}]", "s.yaml") with
        {
            Storage = Switchyard.Storage.StorageOptions.Sqlite(Path.Combine(_dir, "data", "sy.db")),
        };
        await using var app = Switchyard.GatewayHost.Build(config, [], "http://127.0.0.1:0");
        var files = ((Microsoft.Extensions.Configuration.IConfigurationRoot)app.Configuration).Providers
            .OfType<Microsoft.Extensions.Configuration.FileConfigurationProvider>().ToList();
        Assert.All(files, f => Assert.False(f.Source.ReloadOnChange, f.Source.Path));
    }

    private string Config(string target, int version, bool extraKey = false) => $$"""
        # version {{version}}
        providers:
          - {name: alpha, type: openai, base_url: "{{_a.Url}}/v1", keys: [k-a{{(extraKey ? ", k-a2" : "")}}]}
          - {name: beta, type: anthropic, base_url: "{{_b.Url}}", keys: [k-b]}
        {{(version % 4 == 1 ? "  - {name: gamma, type: mock}" : "")}}
        routes:
          - {model: m, targets: [{provider: {{target}}}]}
        """;

    private static async Task<string> ServedBy(Gateway gw)
    {
        using var resp = await gw.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        return resp.Headers.GetValues("x-switchyard-provider").Single();
    }

    [Fact]
    public async Task Editing_the_file_swaps_the_config_and_an_invalid_edit_is_refused()
    {
        await File.WriteAllTextAsync(ConfigPath, Config("alpha", 1));
        await using var gw = await Gateway.StartFromFileAsync(ConfigPath);
        Assert.Equal("alpha", await ServedBy(gw));

        await File.WriteAllTextAsync(ConfigPath, Config("beta", 2));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await ServedBy(gw) != "beta" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Equal("beta", await ServedBy(gw));

        // An invalid file: the reload endpoint reports the precise error and the config in force stays.
        await File.WriteAllTextAsync(ConfigPath, Config("beta", 3).Replace("type: anthropic", "type: anthropix", StringComparison.Ordinal));
        using var reload = await gw.Client.PostAsync("/providers/reload", null);
        Assert.Equal(HttpStatusCode.BadRequest, reload.StatusCode);
        var body = JsonNode.Parse(await reload.Content.ReadAsStringAsync())!;
        Assert.Equal("rejected", body["status"]!.GetValue<string>());
        Assert.Contains("switchyard.yaml:4:", body["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("unknown provider type 'anthropix'", body["error"]!.GetValue<string>(), StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Equal("beta", await ServedBy(gw));

        await File.WriteAllTextAsync(ConfigPath, Config("alpha", 4, extraKey: true));
        using var ok = await gw.Client.PostAsync("/providers/reload", null);
        var summary = JsonNode.Parse(await ok.Content.ReadAsStringAsync())!;
        Assert.Equal("reloaded", summary["status"]!.GetValue<string>());
        Assert.Contains("providers changed: alpha", summary["summary"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("alpha", await ServedBy(gw));
    }

    [Fact]
    public async Task Reload_under_load_loses_no_request()
    {
        await File.WriteAllTextAsync(ConfigPath, Config("alpha", 0));
        await using var gw = await Gateway.StartFromFileAsync(ConfigPath);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 32 };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(gw.Url) };
        var failures = 0;
        var served = 0;
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 32).Select(async i =>
        {
            var streaming = i % 2 == 0;
            while (!stop.IsCancellationRequested)
            {
                var body = streaming
                    ? """{"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}]}"""
                    : """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""";
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var resp = await client.PostAsync("/v1/chat/completions", content);
                var text = await resp.Content.ReadAsStringAsync();
                if (resp.StatusCode != HttpStatusCode.OK || !text.Contains("Hello", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref failures);
                }
                Interlocked.Increment(ref served);
            }
        }).ToList();

        string? rejected = null;
        for (var version = 1; version <= 10; version++)
        {
            var yaml = version == 5
                ? "providers: [ {name: broken"  // the invalid version in between
                : Config(version % 2 == 0 ? "alpha" : "beta", version, extraKey: version % 3 == 0);
            await File.WriteAllTextAsync(ConfigPath, yaml);
            using var reload = await client.PostAsync("/providers/reload", null);
            if (version == 5)
            {
                Assert.Equal(HttpStatusCode.BadRequest, reload.StatusCode);
                rejected = JsonNode.Parse(await reload.Content.ReadAsStringAsync())!["error"]!.GetValue<string>();
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
            }
            await Task.Delay(150);
        }
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.Equal(0, failures);
        Assert.True(served > 100, $"only {served} requests were made");
        Assert.Contains("invalid YAML", rejected, StringComparison.Ordinal);
        Assert.Equal("alpha", await ServedBy(gw)); // version 10 routes to alpha
    }
}
