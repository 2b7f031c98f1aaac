using Scalar.AspNetCore;

namespace Switchyard.Admin;

internal static class AdminFeature
{
    public const string OpenApiPath = "/admin/v1/openapi.json", ReferencePath = "/admin/v1/reference";

    /// <summary>The admin API's OpenAPI document: its endpoints only, its bodies in snake_case as they are written.</summary>
    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.AddSingleton<AdminActions>();
        services.AddOpenApi(o =>
        {
            o.ShouldInclude = d => d.RelativePath is { } p && (p.StartsWith("admin/", StringComparison.Ordinal) || p.StartsWith("providers", StringComparison.Ordinal)
                || p.StartsWith("v1/api-keys", StringComparison.Ordinal));
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Switchyard admin API";
                document.Info.Version = "v1";
                document.Info.Description = "Providers, keys, routes, tenants, virtual keys, usage, logs and the audit log. Every endpoint takes the admin key "
                    + "(Authorization: Bearer …) or an admin JWT; the ones marked for tenant admins also take a tenant-admin JWT, confined to its tenant.";
                return Task.CompletedTask;
            });
        });
        // The schemas describe the wire as written: snake_case, the admin DTOs' own contract.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, AdminJson.Default);
        });
        return services;
    }

    /// <summary>
    /// The admin endpoints, one group behind one guard (the admin key, or loopback callers when none is set); the OpenAPI
    /// document and a browsable reference (Scalar, its script served by the gateway: no CDN), open like any API's docs.
    /// </summary>
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("").AddEndpointFilter<AdminGuard>();
        admin.MapProvidersApi();
        admin.MapRoutesApi();
        admin.MapConfigApi();
        admin.MapEffectiveConfigApi();
        admin.MapAuditApi();
        admin.MapTenantsApi();
        admin.MapUsageApi();
        app.MapOpenApi(OpenApiPath);
        app.MapScalarApiReference(ReferencePath, o => o.WithTitle("Switchyard admin API").WithOpenApiRoutePattern(OpenApiPath).DisableDefaultFonts());
        return app;
    }
}
