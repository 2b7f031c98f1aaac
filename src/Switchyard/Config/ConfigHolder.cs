using Switchyard.Routing;

namespace Switchyard.Config;

/// <summary>The config snapshot in force plus what is derived from it; swapped atomically as a whole.</summary>
internal sealed class GatewaySnapshot(GatewayConfig config)
{
    public GatewayConfig Config { get; } = config;
    public RouteTable Routes { get; } = new(config.Routes);
    public string[] Secrets { get; } = [.. config.Secrets().Distinct().OrderByDescending(s => s.Length)];
    public Tenancy.TenantDirectory Tenants { get; } = new(config.Tenants);
    public Tenancy.Pricing.PriceBook Prices { get; } = new(config);
}

internal sealed class ConfigHolder(GatewayConfig initial)
{
    private GatewaySnapshot _current = new(initial);

    public GatewaySnapshot Current => Volatile.Read(ref _current);

    public void Swap(GatewayConfig next) => Volatile.Write(ref _current, new GatewaySnapshot(next));
}
