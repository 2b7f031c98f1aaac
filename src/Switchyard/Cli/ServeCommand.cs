using Switchyard.Config;

namespace Switchyard.Cli;

/// <summary>
/// <c>switchyard [serve] [--config FILE] [--urls URL]</c>. Without <c>--config</c> it reads ./switchyard.yaml,
/// and without that it starts the embedded demo (mock provider, no keys, no network).
/// </summary>
internal static class ServeCommand
{
    public const string DefaultUrls = "http://127.0.0.1:8080";

    public static async Task<int> RunAsync(string[] args)
    {
        string? configPath = null;
        string? urls = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "serve" when i == 0:
                    break;
                case "--config" or "-c" when i + 1 < args.Length:
                    configPath = args[++i];
                    break;
                case "--urls" when i + 1 < args.Length:
                    urls = args[++i];
                    break;
                case "--help" or "-h":
                    Console.WriteLine("""
                        Usage: switchyard [serve] [--config FILE] [--urls URL]

                          --config FILE   YAML config (default: ./switchyard.yaml, else the embedded mock demo)
                          --urls URL      where to listen (default: server.urls from the config, else http://127.0.0.1:8080)
                        """);
                    return 0;
                case "--version":
                    Console.WriteLine(Inbound.HealthEndpoints.Version);
                    return 0;
                default:
                    if (args[i] is "--config" or "--urls")
                    {
                        await Console.Error.WriteLineAsync($"switchyard: {args[i]} needs a value.").ConfigureAwait(false);
                        return 2;
                    }
                    rest.Add(args[i]);
                    break;
            }
        }

        GatewayConfig config;
        configPath ??= File.Exists("switchyard.yaml") ? "switchyard.yaml" : null;
        try
        {
            config = configPath is not null ? ConfigLoader.LoadFile(configPath) : DemoConfig.Create();
        }
        catch (ConfigException ex)
        {
            await Console.Error.WriteLineAsync($"switchyard: invalid config: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        var listen = urls ?? config.Server.Urls ?? DefaultUrls;
        WebApplication app;
        try
        {
            app = GatewayHost.Build(config, [.. rest], listen, configPath: configPath);
        }
        catch (Storage.StoreException ex)
        {
            await Console.Error.WriteLineAsync($"switchyard: cannot use the store: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await Console.Error.WriteLineAsync($"switchyard: cannot listen on {listen}: the address is in use (another process listens there; choose one with --urls).").ConfigureAwait(false);
                return 1;
            }
            Banner.Write(config, app.Urls);
            app.Services.GetRequiredService<Observability.RequestLog>().Event("start", $"Switchyard {Inbound.HealthEndpoints.Version} on {string.Join(", ", app.Urls)}, config {config.Source}");
            await app.WaitForShutdownAsync().ConfigureAwait(false);
        }
        return 0;
    }
}
