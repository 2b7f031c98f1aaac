using Switchyard.Config;
using Switchyard.Dispatch;
using Switchyard.Inbound;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;

namespace Switchyard.Admin;

/// <summary><c>GET /admin/routes</c>: the effective routing table; <c>GET /admin/routes/resolve?model=</c>: what a name resolves to.</summary>
internal static class RoutesEndpoints
{
    public static IEndpointRouteBuilder MapRoutesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/routes", (HttpContext http, ConfigHolder config) => AdminGuard.RunAsync(http, config, () => ModelEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("config", config.Current.Config.Source);
            w.WriteStartArray("routes");
            foreach (var r in config.Current.Config.Routes)
            {
                w.WriteStartObject();
                w.WriteString("model", r.Model);
                w.WriteStartArray("aliases");
                foreach (var a in r.Aliases)
                {
                    w.WriteStringValue(a);
                }
                w.WriteEndArray();
                w.WriteStartArray("keywords");
                foreach (var k in r.Keywords)
                {
                    w.WriteStringValue(k);
                }
                w.WriteEndArray();
                w.WriteBoolean("default", r.IsDefault);
                w.WriteString("strategy", r.Strategy);
                w.WriteString("mode", r.Mode.ToString().ToLowerInvariant());
                w.WriteStartArray("targets");
                foreach (var t in r.Targets)
                {
                    w.WriteStartObject();
                    w.WriteString("provider", t.Provider);
                    w.WriteString("model", t.Model);
                    w.WriteNumber("weight", t.Weight);
                    w.WriteNumber("priority", t.Priority);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        })));
        app.MapGet("/admin/routes/resolve", (HttpContext http, string model, ConfigHolder config) => AdminGuard.RunAsync(http, config, async () =>
        {
            var snapshot = config.Current;
            if (snapshot.Routes.Resolve(model) is not { } route)
            {
                await ClientWriter.WriteErrorAsync(http, ClientProtocol.OpenAI, new GatewayError(ErrorKind.NotFound, $"No route matches the model '{model}'."), "req_admin", snapshot.Secrets);
                return;
            }
            await ModelEndpoints.WriteJsonAsync(http, w =>
            {
                w.WriteStartObject();
                w.WriteString("model", model);
                w.WriteString("matched_by", route.MatchedBy);
                w.WriteString("route", route.Route.Model);
                w.WriteString("strategy", route.Route.Strategy);
                w.WriteStartArray("targets");
                foreach (var t in route.Route.Targets)
                {
                    w.WriteStartObject();
                    w.WriteString("provider", t.Provider);
                    w.WriteString("upstream_model", route.UpstreamModel(t, snapshot.Config.Providers[t.Provider]));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }));
        return app;
    }
}
