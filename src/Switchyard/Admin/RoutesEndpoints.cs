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

    /// <summary>
    /// Where a name goes. For a route with scenario rules, the request they look at can be described in the query —
    /// <c>thinking=true</c>, <c>input_tokens=70000</c>, <c>tools=web_search,Bash</c>, <c>client=codex</c> (Haiku-class
    /// names are background work by their name) — and the answer says which rules held and which took it.
    /// </summary>
    private static Results<JsonHttpResult<ResolvedRouteView>, AdminError> Resolve(string model, HttpRequest request, ConfigHolder config)
    {
        var snapshot = config.Current;
        if (snapshot.Routes.Resolve(model) is not { } route)
        {
            return new AdminError(new GatewayError(ErrorKind.NotFound, $"No route matches the model '{model}'."));
        }
        List<RuleCheckView>? checks = null;
        if (!route.Route.Rules.IsEmpty)
        {
            if (TraitsOf(request, model) is not { } traits)
            {
                return new AdminError(GatewayError.Invalid("'thinking' takes true or false, 'input_tokens' a whole number, 'client' one of "
                    + string.Join(", ", RuleConditions.Clients) + "."));
            }
            checks = [.. route.Route.Rules.Select((rule, i) => new RuleCheckView(i, rule.When.Describe(), Routing.RouteRules.Holds(rule.When, traits), false))];
            if (checks.FindIndex(c => c.Holds) is var first and >= 0)
            {
                checks[first] = checks[first] with { Selected = true };
            }
            route = Routing.RouteRules.Apply(route, traits);
        }
        var targets = route.Route.Targets.Select(t => new ResolvedTargetView(t.Provider, route.UpstreamModel(t, snapshot.Config.Providers[t.Provider]))).ToList();
        return TypedResults.Json(new ResolvedRouteView(model, route.MatchedBy, route.Route.Model, route.Route.Strategy, targets) { Rules = checks },
            AdminJson.Default.ResolvedRouteView);
    }

    private static Routing.RequestTraits? TraitsOf(HttpRequest request, string model)
    {
        var q = request.Query;
        bool thinking = false;
        var tokens = 0;
        if ((q["thinking"] is [{ } t] && !bool.TryParse(t, out thinking))
            || (q["input_tokens"] is [{ } n] && !int.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out tokens)))
        {
            return null;
        }
        var client = q["client"] is [{ Length: > 0 } c] ? c : "other";
        if (!RuleConditions.Clients.Contains(client))
        {
            return null;
        }
        var tools = q["tools"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new Routing.RequestTraits(thinking, tokens, tools, Routing.ResolvedRoute.IsSmallModel(model), client);
    }
}
