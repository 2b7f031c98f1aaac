using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchyard.Config;

namespace Switchyard.Tests.Infrastructure;

/// <summary>The real gateway host on 127.0.0.1:0 with a config given as YAML text.</summary>
public sealed class Gateway : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _dataDir;

    private Gateway(WebApplication app, string? dataDir)
    {
        _app = app;
        _dataDir = dataDir;
        Client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Every model name routed to the mock provider.</summary>
    public const string AnyModelToMock = """
        providers:
          - {name: mock, type: mock}
        routes:
          - {model: "*", targets: [{provider: mock}]}
        """;

    public string Url => _app.Urls.First();
    public HttpClient Client { get; }

    public static Task<Gateway> StartAsync(string yaml, TimeProvider? time = null) => StartAsync(ConfigLoader.Parse(yaml, "test.yaml"), time);

    /// <summary>A gateway started from a config file, which it watches and reloads.</summary>
    public static Task<Gateway> StartFromFileAsync(string path) => StartAsync(ConfigLoader.LoadFile(path), null, path);

    /// <param name="masterKey">SWITCHYARD_MASTER_KEY for this gateway (tests never read the process's environment for it).</param>
    /// <param name="services">Services a test adds to the host (a probe), after the gateway's own.</param>
    internal static async Task<Gateway> StartAsync(GatewayConfig config, TimeProvider? time = null, string? configPath = null, string? masterKey = null, Action<IServiceCollection>? services = null)
    {
        // Each test gateway has its own throwaway SQLite store unless the test names one.
        string? dataDir = null;
        if (config.Storage == Switchyard.Storage.StorageOptions.Default)
        {
            dataDir = Path.Combine(Path.GetTempPath(), $"sy-store-{Guid.NewGuid():N}");
            config = config with { Storage = Switchyard.Storage.StorageOptions.Sqlite(Path.Combine(dataDir, "switchyard.db")) };
        }
        var app = GatewayHost.Build(config, [], "http://127.0.0.1:0", LogLevel.Warning, configPath: configPath, overrides: host =>
        {
            if (time is not null)
            {
                host.AddSingleton(time);
            }
            host.AddSingleton(new Switchyard.Storage.CredentialVault(masterKey));
            // Parallel test gateways would share one log file: only tests that read it name their own.
            if (config.Server.RequestLog == Switchyard.Observability.RequestLogOptions.DefaultPath)
            {
                host.AddSingleton(new Switchyard.Observability.RequestLogOptions(null));
            }
            services?.Invoke(host);
        });
        await app.StartAsync();
        return new Gateway(app, dataDir);
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, params (string Name, string Value)[] headers)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (n, v) in headers)
        {
            req.Headers.TryAddWithoutValidation(n, v);
        }
        return Client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_dataDir is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // the pool holds the file open
            try
            {
                Directory.Delete(_dataDir, recursive: true);
            }
            catch (IOException)
            {
                // a file still held: the temp folder keeps it
            }
        }
    }

    /// <summary>The gateway's services (tests reach the store through them).</summary>
    internal IServiceProvider Services => _app.Services;
}
