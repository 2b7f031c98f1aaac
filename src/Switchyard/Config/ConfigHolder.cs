using System.Collections.Immutable;
using Switchyard.Routing;

namespace Switchyard.Config;

/// <summary>The config snapshot in force plus what is derived from it; swapped atomically as a whole.</summary>
internal sealed class GatewaySnapshot(GatewayConfig config, ConfigOverlay overlay, ImmutableArray<string> problems)
{
    public GatewaySnapshot(GatewayConfig config)
        : this(config, ConfigOverlay.Empty, [])
    {
    }

    /// <summary>The config in force: the file's, with the store's overlay on top.</summary>
    public GatewayConfig Config { get; } = config;
    /// <summary>What the admin API added (rows, versions), as applied in <see cref="Config"/>.</summary>
    public ConfigOverlay Overlay { get; } = overlay;
    /// <summary>What of the overlay is shadowed by the file or inactive, and why.</summary>
    public ImmutableArray<string> OverlayProblems { get; } = problems;
    public RouteTable Routes { get; } = new(config.Routes);
    public string[] Secrets { get; } = [.. config.Secrets().Distinct().OrderByDescending(s => s.Length)];
    public Tenancy.TenantDirectory Tenants { get; } = new(config.Tenants);
    public Tenancy.Pricing.PriceBook Prices { get; } = new(config);
}

/// <summary>
/// Holds the config file's latest valid config and the store's overlay, and publishes their merge as the snapshot in
/// force whenever either changes (a reload of the file, a change through the admin API).
/// </summary>
internal sealed class ConfigHolder(GatewayConfig initial)
{
    private readonly Lock _gate = new();
    private GatewayConfig _file = initial;
    private ConfigOverlay _overlay = ConfigOverlay.Empty;
    private GatewaySnapshot _current = new(initial);

    public GatewaySnapshot Current => Volatile.Read(ref _current);

    /// <summary>A new config file; the overlay stays on top.</summary>
    public GatewaySnapshot Swap(GatewayConfig nextFile)
    {
        lock (_gate)
        {
            _file = nextFile;
            return Publish();
        }
    }

    /// <summary>A new overlay over the same file.</summary>
    public GatewaySnapshot SwapOverlay(ConfigOverlay overlay)
    {
        lock (_gate)
        {
            _overlay = overlay;
            return Publish();
        }
    }

    private GatewaySnapshot Publish()
    {
        var (config, problems) = _overlay.Apply(_file);
        var snapshot = new GatewaySnapshot(config, _overlay, problems);
        Volatile.Write(ref _current, snapshot);
        return snapshot;
    }
}
