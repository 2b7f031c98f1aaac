using Spectre.Console;
using Switchyard.Config;

namespace Switchyard.Cli;

/// <summary>The startup banner: version, config, providers, routes, where it listens and where logs, metrics and the console are. Plain text when stdout is not a terminal.</summary>
internal static class Banner
{
    public static void Write(GatewayConfig config, IEnumerable<string> urls, TextWriter? plain = null)
    {
        var listen = string.Join(", ", urls);
        var log = config.Server.RequestLog ?? "off";
        if (plain is not null || Console.IsOutputRedirected)
        {
            var w = plain ?? Console.Out;
            w.WriteLine($"Switchyard {Inbound.HealthEndpoints.Version} listening on {listen}");
            w.WriteLine($"  config: {config.Source}; routes: {config.Routes.Length}; request log: {log}; metrics: {listen.Split(", ")[0]}/metrics");
            if (config.ConsoleEnabled)
            {
                w.WriteLine($"  console: {listen.Split(", ")[0]}/ui");
            }
            foreach (var p in config.Providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                w.WriteLine($"  [{(p.Keys.Any(k => k.Enabled) || p.Kind == ProviderKind.Mock ? "✓" : "✗")}] {p.Name} ({Describe(p)})");
            }
            return;
        }
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]listening[/]", Markup.Escape(listen));
        grid.AddRow("[bold]config[/]", Markup.Escape(config.Source));
        grid.AddRow("[bold]routes[/]", config.Routes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        grid.AddRow("[bold]request log[/]", Markup.Escape(log));
        grid.AddRow("[bold]metrics[/]", Markup.Escape(listen.Split(", ")[0] + "/metrics"));
        if (config.ConsoleEnabled)
        {
            grid.AddRow("[bold]console[/]", Markup.Escape(listen.Split(", ")[0] + "/ui"));
        }
        foreach (var p in config.Providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var ok = p.Keys.Any(k => k.Enabled) || p.Kind == ProviderKind.Mock;
            grid.AddRow(ok ? "[green][[✓]][/]" : "[red][[✗]][/]", Markup.Escape($"{p.Name} ({Describe(p)})"));
        }
        AnsiConsole.Write(new Panel(grid).Header($"Switchyard {Inbound.HealthEndpoints.Version}"));
    }

    private static string Describe(ProviderConfig p) => p.Kind == ProviderKind.Mock
        ? "mock, built in"
        : $"{p.Kind.ToString().ToLowerInvariant()}, {p.BaseUrl}, {p.Keys.Count(k => k.Enabled)} key(s)";
}
