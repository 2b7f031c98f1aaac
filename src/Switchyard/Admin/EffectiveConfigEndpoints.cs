using System.Text.Json;
using System.Text.Json.Nodes;
using Switchyard.Config;
using Switchyard.Keys;
using Switchyard.Routing;
using Switchyard.Tenancy;

namespace Switchyard.Admin;

/// <summary>
/// <c>GET /admin/v1/config</c>: the configuration in force — the file and the store's objects together, in the YAML
/// shape, each object with its origin — with every secret masked (keys, header values, the admin key, JWT secrets).
/// What <c>switchyard config export</c> prints and the console's settings page shows. Admin only.
/// </summary>
internal static class EffectiveConfigEndpoints
{
    public static RouteGroupBuilder MapEffectiveConfigApi(this RouteGroupBuilder admin)
    {
        admin.MapGroup("").WithTags("Providers, keys and routes")
            .MapGet("/admin/v1/config", Export).Produces<JsonObject>(200);
        return admin;
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult Export(ConfigHolder config, VirtualKeys virtualKeys, IKeyStateStore keys, IProviderHealthStore health, TimeProvider time,
        Storage.Store store) => TypedResults.Text(Document(config, virtualKeys, keys, health, time, store).ToJsonString(), "application/json", statusCode: 200);

    /// <summary>The effective config, secrets masked (what the console's settings page shows too).</summary>
    internal static JsonObject Document(ConfigHolder config, VirtualKeys virtualKeys, IKeyStateStore keys, IProviderHealthStore health, TimeProvider time, Storage.Store store)
    {
        var snapshot = config.Current;
        var c = snapshot.Config;
        var now = time.GetUtcNow();
        var server = c.Server;
        var root = new JsonObject
        {
            ["source"] = c.Source,
            ["server"] = new JsonObject
            {
                ["urls"] = server.Urls,
                ["max_request_body"] = server.MaxRequestBodyBytes,
                ["request_log"] = server.RequestLog ?? "off",
                ["request_log_max_size"] = server.RequestLogMaxBytes,
                ["log_bodies"] = server.LogBodies,
                ["log_level"] = server.LogLevel.ToString().ToLowerInvariant(),
            },
            ["auth"] = new JsonObject
            {
                ["keys"] = new JsonArray([.. c.Auth.Keys.Select(k => (JsonNode)UpstreamKey.Mask(k))]),
                ["admin_key"] = c.Auth.AdminKey is { } adminKey ? UpstreamKey.Mask(adminKey) : null,
                ["jwt"] = c.Auth.Jwt is { } jwt ? new JsonObject { ["issuer"] = jwt.Issuer, ["audience"] = jwt.Audience } : null,
            },
            ["storage"] = store.Options.Describe(),
            ["limits_time_zone"] = c.LimitsTimeZone.Id,
            ["telemetry"] = new JsonObject
            {
                ["otlp_endpoint"] = c.Telemetry.OtlpEndpoint?.ToString(),
                ["otlp_protocol"] = c.Telemetry.OtlpProtocol,
                ["service_name"] = c.Telemetry.ServiceName,
            },
            ["providers"] = new JsonArray([.. c.Providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal)
                .Select(p => Provider(ConfigEndpoints.View(p, snapshot, keys, health, now)))]),
            ["routes"] = new JsonArray([.. c.Routes.Select(r => Node(ConfigEndpoints.View(r, snapshot), AdminJson.Default.RouteSpecView))]),
            ["tenants"] = new JsonArray([.. virtualKeys.AllTenants(snapshot).Select(t => Node(TenantsEndpoints.View(t), AdminJson.Default.TenantView))]),
            ["problems"] = new JsonArray([.. snapshot.OverlayProblems.Select(p => (JsonNode)p)]),
        };
        return root;
    }

    /// <summary>A provider as the file writes it: its keys as <c>{key (masked), weight, max_failures, cooldown, enabled, origin}</c>, no live health.</summary>
    private static JsonObject Provider(ProviderSpecView view)
    {
        var node = (JsonObject)Node(view, AdminJson.Default.ProviderSpecView);
        node.Remove("health");
        node["keys"] = new JsonArray([.. view.Keys.Select(k => (JsonNode)new JsonObject
        {
            ["key"] = k.Key,
            ["weight"] = k.Weight,
            ["max_failures"] = k.MaxFailures,
            ["cooldown"] = k.Cooldown,
            ["enabled"] = k.Enabled,
            ["origin"] = k.Origin,
        })]);
        return node;
    }

    private static JsonNode Node<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> contract) => JsonSerializer.SerializeToNode(value, contract)!;
}
