namespace Switchyard.Admin;

internal static class AdminFeature
{
    /// <summary>The admin endpoints (admin key, or loopback callers when none is set).</summary>
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        app.MapProvidersApi();
        app.MapRoutesApi();
        return app;
    }
}
