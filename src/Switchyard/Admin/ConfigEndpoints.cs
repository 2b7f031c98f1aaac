using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchyard.Config;
using Switchyard.Keys;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;

namespace Switchyard.Admin;

/// <summary>
/// Providers, their keys and routes under <c>/admin/v1</c>, in the YAML shapes: every object says where it comes from
/// (<c>origin: file | store</c>); store objects carry a <c>version</c>, sent as the <c>ETag</c> and checked against
/// <c>If-Match</c> on changes. Changes go through <see cref="ConfigChanges"/> and take effect at once.
/// </summary>
internal static class ConfigEndpoints
{
    public static RouteGroupBuilder MapConfigApi(this RouteGroupBuilder admin)
    {
        var api = admin.MapGroup("").WithTags("Providers, keys and routes");
        api.MapGet("/admin/v1/providers", ListProviders).Produces<ProviderSpecsView>(200);
        api.MapPost("/admin/v1/providers", CreateProviderAsync).Body<ProviderSpecRequest>().Produces<ProviderSpecView>(201);
        api.MapGet("/admin/v1/providers/{name}", GetProvider).Produces<ProviderSpecView>(200);
        api.MapPatch("/admin/v1/providers/{name}", UpdateProviderAsync).Body<ProviderSpecRequest>().Produces<ProviderSpecView>(200);
        api.MapDelete("/admin/v1/providers/{name}", DeleteProviderAsync);
        api.MapPost("/admin/v1/providers/{name}/test", TestAsync).Body<ProviderTestRequest>(required: false).Produces<ProviderTestView>(200);
        api.MapGet("/admin/v1/providers/{name}/keys", ListKeys).Produces<ProviderKeysView>(200);
        api.MapPost("/admin/v1/providers/{name}/keys", AddKeyAsync).Body<KeySpecRequest>().Produces<ProviderKeyView>(201);
        api.MapPost("/admin/v1/providers/{name}/keys/{id}/enable", (string name, string id, HttpContext http, AdminActions actions) =>
            SetEnabledAsync(name, id, true, http, actions)).Produces<ProviderKeyView>(200);
        api.MapPost("/admin/v1/providers/{name}/keys/{id}/disable", (string name, string id, HttpContext http, AdminActions actions) =>
            SetEnabledAsync(name, id, false, http, actions)).Produces<ProviderKeyView>(200);
        api.MapDelete("/admin/v1/providers/{name}/keys/{id}", DeleteKeyAsync);
        api.MapGet("/admin/v1/routes", ListRoutes).Produces<RouteSpecsView>(200);
        api.MapPost("/admin/v1/routes", CreateRouteAsync).Body<RouteSpecRequest>().Produces<RouteSpecView>(201);
        api.MapGet("/admin/v1/routes/{**model}", GetRoute).Produces<RouteSpecView>(200);
        api.MapPatch("/admin/v1/routes/{**model}", UpdateRouteAsync).Body<RouteSpecRequest>().Produces<RouteSpecView>(200);
        api.MapDelete("/admin/v1/routes/{**model}", DeleteRouteAsync);
        return admin;
    }

    // ---- providers -------------------------------------------------------------------------------------------------

    private static JsonHttpResult<ProviderSpecsView> ListProviders(ConfigHolder config, IKeyStateStore keys, IProviderHealthStore health, TimeProvider time)
    {
        var snapshot = config.Current;
        var list = snapshot.Config.Providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => View(p, snapshot, keys, health, time.GetUtcNow())).ToList();
        return TypedResults.Json(new ProviderSpecsView(list, snapshot.OverlayProblems), AdminJson.Default.ProviderSpecsView);
    }

    private static Results<JsonHttpResult<ProviderSpecView>, AdminError> GetProvider(string name, HttpContext http, ConfigHolder config, IKeyStateStore keys,
        IProviderHealthStore health, TimeProvider time)
    {
        var snapshot = config.Current;
        if (!snapshot.Config.Providers.TryGetValue(name, out var provider))
        {
            return NotFound($"No provider '{name}'.");
        }
        return Json(http, View(provider, snapshot, keys, health, time.GetUtcNow()));
    }

    private static async Task<Results<JsonHttpResult<ProviderSpecView>, AdminError>> CreateProviderAsync(HttpRequest request, AdminActions actions)
    {
        var (body, badBody) = await ReadObjectAsync(request, "{\"name\": …, \"type\": …, \"base_url\"?: …, \"keys\": [\"sk-…\" | {\"key\": …}], …} (a provider as the YAML file writes it)");
        if (badBody is not null)
        {
            return badBody;
        }
        var change = await actions.CreateProviderAsync(AdminScope.Of(request.HttpContext), body!, request.HttpContext.RequestAborted);
        return change.Error is { } error ? new AdminError(error) : Json(request.HttpContext, change.Value!, StatusCodes.Status201Created);
    }

    private static async Task<Results<JsonHttpResult<ProviderSpecView>, AdminError>> UpdateProviderAsync(string name, HttpRequest request, AdminActions actions)
    {
        var tag = IfMatch(request);
        if (tag.Error is { } badTag)
        {
            return badTag;
        }
        var (body, badBody) = await ReadObjectAsync(request, "a JSON merge patch of the provider ({\"field\": new value, \"field\": null to remove it})");
        if (badBody is not null)
        {
            return badBody;
        }
        var change = await actions.UpdateProviderAsync(AdminScope.Of(request.HttpContext), name, body!, tag.Version, request.HttpContext.RequestAborted);
        return change.Error is { } error ? new AdminError(error) : Json(request.HttpContext, change.Value!);
    }

    private static async Task<Results<NoContent, AdminError>> DeleteProviderAsync(string name, HttpRequest request, AdminActions actions)
    {
        var tag = IfMatch(request);
        if (tag.Error is { } badTag)
        {
            return badTag;
        }
        return await actions.DeleteProviderAsync(AdminScope.Of(request.HttpContext), name, tag.Version, request.HttpContext.RequestAborted) is { } error
            ? new AdminError(error) : TypedResults.NoContent();
    }

    /// <summary>One minimal real call with a key of the pool (the first usable one unless named) or a key to try before adding it.</summary>
    private static async Task<Results<JsonHttpResult<ProviderTestView>, AdminError>> TestAsync(string name, HttpRequest request, AdminActions actions)
    {
        var (body, problem) = request.ContentLength is 0 ? (new ProviderTestRequest(null, null), null) : await ReadAsync(request, AdminJson.Default.ProviderTestRequest);
        if (problem is not null)
        {
            return problem;
        }
        var change = await actions.TestProviderAsync(AdminScope.Of(request.HttpContext), name, body!.Key, body.Model, request.HttpContext.RequestAborted);
        return change.Error is { } error ? new AdminError(error) : TypedResults.Json(change.Value!, AdminJson.Default.ProviderTestView);
    }

    /// <summary>A typed body, or the 400 that says where the JSON went wrong.</summary>
    private static async Task<(T? Body, AdminError? Error)> ReadAsync<T>(HttpRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(request.Body, type, request.HttpContext.RequestAborted) is { } body
                ? (body, null)
                : (null, new AdminError(GatewayError.Invalid("The body must be a JSON object.", null)));
        }
        catch (JsonException ex)
        {
            return (null, new AdminError(GatewayError.Invalid($"The body must be a JSON object {{\"key\"?: …, \"model\"?: …}} ({ex.Message.Split(" Path:")[0]}).", null)));
        }
    }

    // ---- keys ------------------------------------------------------------------------------------------------------

    private static Results<JsonHttpResult<ProviderKeysView>, AdminError> ListKeys(string name, ConfigHolder config, IKeyStateStore keys, TimeProvider time)
    {
        if (!config.Current.Config.Providers.TryGetValue(name, out var provider))
        {
            return NotFound($"No provider '{name}'.");
        }
        var now = time.GetUtcNow();
        return TypedResults.Json(new ProviderKeysView([.. Pool(provider).Select(k => View(name, k, keys, now))]), AdminJson.Default.ProviderKeysView);
    }

    private static async Task<Results<JsonHttpResult<ProviderKeyView>, AdminError>> AddKeyAsync(string name, HttpRequest request, AdminActions actions)
    {
        var (body, badBody) = await ReadObjectAsync(request, "{\"key\": \"sk-…\", \"weight\"?: 1, \"max_failures\"?: 3, \"cooldown\"?: \"60s\", \"enabled\"?: true}");
        if (badBody is not null)
        {
            return badBody;
        }
        var change = await actions.AddKeyAsync(AdminScope.Of(request.HttpContext), name, body!, request.HttpContext.RequestAborted);
        return change.Error is { } error ? new AdminError(error) : TypedResults.Json(change.Value!, AdminJson.Default.ProviderKeyView, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<Results<JsonHttpResult<ProviderKeyView>, AdminError>> SetEnabledAsync(string name, string id, bool enabled, HttpContext http, AdminActions actions)
    {
        var change = await actions.SetKeyEnabledAsync(AdminScope.Of(http), name, id, enabled, http.RequestAborted);
        return change.Error is { } error ? new AdminError(error) : TypedResults.Json(change.Value!, AdminJson.Default.ProviderKeyView);
    }

    private static async Task<Results<NoContent, AdminError>> DeleteKeyAsync(string name, string id, HttpContext http, AdminActions actions) =>
        await actions.DeleteKeyAsync(AdminScope.Of(http), name, id, http.RequestAborted) is { } error ? new AdminError(error) : TypedResults.NoContent();

    // ---- routes ----------------------------------------------------------------------------------------------------

    private static JsonHttpResult<RouteSpecsView> ListRoutes(ConfigHolder config)
    {
        var snapshot = config.Current;
        return TypedResults.Json(new RouteSpecsView([.. snapshot.Config.Routes.Select(r => View(r, snapshot))], snapshot.OverlayProblems), AdminJson.Default.RouteSpecsView);
    }

    private static Results<JsonHttpResult<RouteSpecView>, AdminError> GetRoute(string model, HttpContext http, ConfigHolder config)
    {
        model = Uri.UnescapeDataString(model);
        var snapshot = config.Current;
        return snapshot.Config.Routes.FirstOrDefault(r => r.Model == model) is { } route ? Json(http, View(route, snapshot)) : NotFound($"No route '{model}'.");
    }

    private static async Task<Results<JsonHttpResult<RouteSpecView>, AdminError>> CreateRouteAsync(HttpRequest request, AdminActions actions)
    {
        var (body, badBody) = await ReadObjectAsync(request, "{\"model\": …, \"targets\": [{\"provider\": …, \"model\"?: …}], \"aliases\"?: […], \"strategy\"?: …} (a route as the YAML file writes it)");
        if (badBody is not null)
        {
            return badBody;
        }
        var change = await actions.CreateRouteAsync(AdminScope.Of(request.HttpContext), body!, request.HttpContext.RequestAborted);
        return change.Error is { } error ? new AdminError(error) : Json(request.HttpContext, change.Value!, StatusCodes.Status201Created);
    }

    private static async Task<Results<JsonHttpResult<RouteSpecView>, AdminError>> UpdateRouteAsync(string model, HttpRequest request, AdminActions actions)
    {
        model = Uri.UnescapeDataString(model);
        var tag = IfMatch(request);
        if (tag.Error is { } badTag)
        {
            return badTag;
        }
        var (body, badBody) = await ReadObjectAsync(request, "a JSON merge patch of the route ({\"field\": new value, \"field\": null to remove it})");
        if (badBody is not null)
        {
            return badBody;
        }
        var change = await actions.UpdateRouteAsync(AdminScope.Of(request.HttpContext), model, body!, tag.Version, request.HttpContext.RequestAborted);
        return change.Error is { } error ? new AdminError(error) : Json(request.HttpContext, change.Value!);
    }

    private static async Task<Results<NoContent, AdminError>> DeleteRouteAsync(string model, HttpRequest request, AdminActions actions)
    {
        model = Uri.UnescapeDataString(model);
        var tag = IfMatch(request);
        if (tag.Error is { } badTag)
        {
            return badTag;
        }
        return await actions.DeleteRouteAsync(AdminScope.Of(request.HttpContext), model, tag.Version, request.HttpContext.RequestAborted) is { } error
            ? new AdminError(error) : TypedResults.NoContent();
    }

    // ---- views -----------------------------------------------------------------------------------------------------

    internal static ProviderSpecView View(ProviderConfig p, GatewaySnapshot snapshot, IKeyStateStore keys, IProviderHealthStore health, DateTimeOffset now) => new(
        p.Name, p.Origin, TypeName(p.Kind), p.Kind == ProviderKind.Mock ? null : p.BaseUrl.ToString(),
        p.Auth switch { UpstreamAuthScheme.Bearer => "bearer", UpstreamAuthScheme.ApiKeyHeader => "x-api-key", UpstreamAuthScheme.CustomHeader => "header", _ => null },
        p.AuthHeader, p.AuthFormat,
        p.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(h => h.Key, h => UpstreamKey.Mask(h.Value)), // values may be tokens
        Duration(p.ConnectTimeout), Duration(p.FirstByteTimeout), Duration(p.IdleTimeout), p.MaxTokensField, p.MaxOutputTokens, p.DefaultMaxTokens,
        p.SendReasoningEffort, p.AnthropicVersion, p.ApiVersion, p.Deployments.OrderBy(d => d.Key, StringComparer.Ordinal).ToDictionary(),
        p.KeyStrategy, p.MaxFailures, Duration(p.FailureCooldown), p.KeyAffinity, p.BigModel, p.SmallModel, health.Get(p.Name).Snapshot(now).State,
        [.. Pool(p).Select(k => View(p.Name, k, keys, now))],
        p.Origin == ConfigOrigin.Store ? snapshot.Overlay.Provider(p.Name)?.Record.Version : null);

    /// <summary>The keys a pool really has (a key-optional local server's empty placeholder is none).</summary>
    internal static IEnumerable<UpstreamKey> Pool(ProviderConfig p) => p.Keys.Where(k => k.Secret.Length > 0);

    internal static ProviderKeyView View(string provider, UpstreamKey key, IKeyStateStore keys, DateTimeOffset now)
    {
        var state = keys.Get(provider, key).Snapshot(key, now);
        return new ProviderKeyView(key.Id, key.Masked, key.Origin, key.Weight, key.MaxFailures, Duration(key.Cooldown), key.Enabled, state.State,
            key.Enabled ? state.DisabledReason : "enabled: false", state.CooldownUntil);
    }

    internal static RouteSpecView View(RouteConfig r, GatewaySnapshot snapshot) => new(
        r.Model, r.Origin, r.Aliases, r.Keywords, r.IsDefault, r.Strategy, r.Mode.ToString().ToLowerInvariant(), Targets(r.Targets),
        r.BigModel, r.SmallModel,
        new RetrySpecView(r.Retry.MaxRetries, [.. r.Retry.Statuses.Order()], Duration(r.Retry.Backoff), Duration(r.Retry.MaxBackoff), r.Retry.Deadline is { } d ? Duration(d) : null),
        r.Origin == ConfigOrigin.Store ? snapshot.Overlay.Route(r.Model)?.Record.Version : null)
    {
        Rules = [.. r.Rules.Select(rule => new RouteRuleSpecView(
            new RuleConditionsView(rule.When.Thinking, rule.When.MinInputTokens, rule.When.ToolsInclude, rule.When.Background, rule.When.Client),
            rule.Route.Strategy, Targets(rule.Route.Targets)))],
    };

    private static List<RouteTargetSpecView> Targets(IEnumerable<RouteTarget> targets) => [.. targets.Select(t => new RouteTargetSpecView(t.Provider, t.Model, t.Weight, t.Priority,
        t.Patch is { } patch ? new PatchSpecView(patch.MaxTokens, patch.ReasoningEffort, patch.Drop) : null))];

    private static string TypeName(ProviderKind kind) => kind switch
    {
        ProviderKind.AzureOpenAI => "azure-openai",
        ProviderKind.OpenAIResponses => "openai-responses",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>A duration as the config file writes it: <c>30s</c>, <c>500ms</c>.</summary>
    internal static string Duration(TimeSpan t) => t.TotalMilliseconds % 1000 == 0
        ? ((long)t.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s"
        : ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";

    // ---- HTTP ------------------------------------------------------------------------------------------------------

    /// <summary>The view, with its version as the <c>ETag</c> when it is a store object.</summary>
    private static JsonHttpResult<ProviderSpecView> Json(HttpContext http, ProviderSpecView view, int status = StatusCodes.Status200OK)
    {
        SetTag(http, view.Version);
        return TypedResults.Json(view, AdminJson.Default.ProviderSpecView, statusCode: status);
    }

    private static JsonHttpResult<RouteSpecView> Json(HttpContext http, RouteSpecView view, int status = StatusCodes.Status200OK)
    {
        SetTag(http, view.Version);
        return TypedResults.Json(view, AdminJson.Default.RouteSpecView, statusCode: status);
    }

    private static void SetTag(HttpContext http, long? version)
    {
        if (version is { } v)
        {
            http.Response.Headers.ETag = $"\"{v.ToString(CultureInfo.InvariantCulture)}\"";
        }
    }

    /// <summary>The version <c>If-Match</c> asks for: none (absent or <c>*</c>), a number, or a 400 for anything else.</summary>
    private static (long? Version, AdminError? Error) IfMatch(HttpRequest request)
    {
        var value = request.Headers.IfMatch.ToString().Trim();
        if (value.Length == 0 || value == "*")
        {
            return (null, null);
        }
        var tag = value.StartsWith("W/", StringComparison.Ordinal) ? value[2..] : value;
        return long.TryParse(tag.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? (v, null)
            : (null, new AdminError(GatewayError.Invalid($"If-Match must be the ETag a read returned (e.g. \"3\"), not {value}.", "If-Match")));
    }

    /// <summary>The body as a JSON object, or the 400 that says what was expected (and where the JSON went wrong).</summary>
    private static async Task<(JsonObject? Body, AdminError? Error)> ReadObjectAsync(HttpRequest request, string expected)
    {
        string problem;
        try
        {
            if (await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted) is JsonObject body)
            {
                return (body, null);
            }
            problem = "";
        }
        catch (JsonException ex)
        {
            problem = $" ({ex.Message.Split(" Path:")[0]})";
        }
        return (null, new AdminError(GatewayError.Invalid($"The body must be a JSON object: {expected}{problem}.", null)));
    }

    private static AdminError NotFound(string message) => new(new GatewayError(ErrorKind.NotFound, message));
}
