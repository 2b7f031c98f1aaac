namespace Switchyard.Admin;

internal static class AdminFeature
{
    /// <summary>The admin endpoints, one group behind one guard (the admin key, or loopback callers when none is set).</summary>
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("").AddEndpointFilter<AdminGuard>();
        admin.MapProvidersApi();
        admin.MapRoutesApi();
        admin.MapConfigApi();
        admin.MapAuditApi();
        admin.MapTenantsApi();
        admin.MapUsageApi();
        return app;
    }
}
