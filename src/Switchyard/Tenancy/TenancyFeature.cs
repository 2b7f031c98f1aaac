namespace Switchyard.Tenancy;

internal static class TenancyFeature
{
    public static IServiceCollection AddTenancy(this IServiceCollection services)
    {
        services.AddSingleton<VirtualKeys>();
        services.AddSingleton<LimitCounters>();
        services.AddSingleton<ILimitGate>(sp => sp.GetRequiredService<LimitCounters>());
        services.AddSingleton<JwtValidator>();
        return services;
    }

    /// <summary>Before the gateway listens (after the store's migrations): the store's tenants and whether it has keys; the price table.</summary>
    public static WebApplication LoadTenancy(this WebApplication app)
    {
        app.Services.GetRequiredService<VirtualKeys>().LoadAsync(CancellationToken.None).GetAwaiter().GetResult();
        _ = Pricing.PriceTable.Bundled; // parsed once here, not on the first request's accounting
        return app;
    }
}
