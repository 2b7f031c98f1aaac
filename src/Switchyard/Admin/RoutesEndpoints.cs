using Microsoft.AspNetCore.Http.HttpResults;
using Switchyard.Config;
using Switchyard.Protocols.Canonical;

namespace Switchyard.Admin;

/// <summary><c>GET /admin/routes</c>: the effective routing table; <c>GET /admin/routes/resolve?model=</c>: what a name resolves to.</summary>
internal static class RoutesEndpoints
{
    public static RouteGroupBuilder MapRoutesApi(this RouteGroupBuilder admin)
    {
        var api = admin.MapGroup("").WithTags("Providers, keys and routes");
        api.MapGet("/admin/routes", List).Produces<RoutesView>(200);
        api.MapGet("/admin/routes/resolve", Resolve).Produces<ResolvedRouteView>(200);
        api.MapGet("/admin/v1/routes/resolve", Resolve).Produces<ResolvedRouteView>(200);
        return admin;
    }

    private static JsonHttpResult<RoutesView> List(ConfigHolder config)
    {
        var routes = config.Current.Config.Routes.Select(r => new RouteView(r.Model, r.Aliases, r.Keywords, r.IsDefault, r.Strategy,
            r.Mode.ToString().ToLowerInvariant(), [.. r.Targets.Select(t => new RouteTargetView(t.Provider, t.Model, t.Weight, t.Priority))])).ToList();
        return TypedResults.Json(new RoutesView(config.Current.Config.Source, routes), AdminJson.Default.RoutesView);
    }

    private static Results<JsonHttpResult<ResolvedRouteView>, AdminError> Resolve(string model, ConfigHolder config)
    {
        var snapshot = config.Current;
        if (snapshot.Routes.Resolve(model) is not { } route)
        {
            return new AdminError(new GatewayError(ErrorKind.NotFound, $"No route matches the model '{model}'."));
        }
        var targets = route.Route.Targets.Select(t => new ResolvedTargetView(t.Provider, route.UpstreamModel(t, snapshot.Config.Providers[t.Provider]))).ToList();
        return TypedResults.Json(new ResolvedRouteView(model, route.MatchedBy, route.Route.Model, route.Route.Strategy, targets), AdminJson.Default.ResolvedRouteView);
    }
}
