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

    private Gateway(WebApplication app)
    {
        _app = app;
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

    internal static async Task<Gateway> StartAsync(GatewayConfig config, TimeProvider? time = null, string? configPath = null)
    {
        var app = GatewayHost.Build(config, [], "http://127.0.0.1:0", LogLevel.Warning, configPath: configPath, overrides: services =>
        {
            if (time is not null)
            {
                services.AddSingleton(time);
            }
            // Parallel test gateways would share one log file: only tests that read it name their own.
            if (config.Server.RequestLog == Switchyard.Observability.RequestLogOptions.DefaultPath)
            {
                services.AddSingleton(new Switchyard.Observability.RequestLogOptions(null));
            }
        });
        await app.StartAsync();
        return new Gateway(app);
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
    }
}
