using Microsoft.AspNetCore.Http.HttpResults;
using Switchyard.Config;
using Switchyard.Inbound;
using Switchyard.Keys;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;

namespace Switchyard.Admin;

/// <summary>
/// <c>GET /providers</c>: every provider's health and every key's statistics (keys masked),
/// <c>POST /providers/reload</c>, and <c>POST /providers/{name}/keys/{index}/enable</c> to bring back a key the upstream had rejected.
/// </summary>
internal static class ProvidersEndpoints
{
    public static RouteGroupBuilder MapProvidersApi(this RouteGroupBuilder admin)
    {
        var api = admin.MapGroup("").WithTags("Health, statistics and reload");
        api.MapGet("/providers", List).Produces<ProvidersView>(200);
        api.MapGet("/v1/api-keys/stats", KeyStats).Produces<Dictionary<string, Dictionary<string, KeyStatsSeedView>>>(200);
        api.MapPost("/providers/reload", ReloadAsync).Produces<ReloadView>(200);
        api.MapPost("/providers/{name}/keys/{index:int}/enable", Enable).Produces<KeyEnabledView>(200);
        return admin;
    }

    private static JsonHttpResult<ProvidersView> List(ConfigHolder config, IKeyStateStore keys, IProviderHealthStore health, TimeProvider time)
    {
        var snapshot = config.Current;
        var now = time.GetUtcNow();
        var providers = snapshot.Config.Providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p =>
        {
            var h = health.Get(p.Name).Snapshot(now);
            var view = new ProviderHealthView(h.State, Math.Round(h.CooldownRemainingSeconds, 1), h.ConsecutiveFailures, h.InFlight, h.EwmaTtfbMs,
                h.Requests, h.Failures, h.LastError is null ? null : ClientWriter.Redact(h.LastError, snapshot.Secrets));
            var pool = p.Keys.Where(k => k.Secret.Length > 0).Select((key, index) => KeyViewOf(index, key.Id, keys.Get(p.Name, key).Snapshot(key, now))).ToList();
            return new ProviderView(p.Name, p.Kind.ToString().ToLowerInvariant(), p.Kind == ProviderKind.Mock ? null : p.BaseUrl.ToString(), p.KeyStrategy, view, pool);
        }).ToList();
        return TypedResults.Json(new ProvidersView(providers), AdminJson.Default.ProvidersView);
    }

    /// <summary>Per-key statistics in the seed's shape: <c>{provider: {masked key: {total_requests, successful_requests, …}}}</c>.</summary>
    private static JsonHttpResult<Dictionary<string, Dictionary<string, KeyStatsSeedView>>> KeyStats(ConfigHolder config, IKeyStateStore keys, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var stats = new Dictionary<string, Dictionary<string, KeyStatsSeedView>>(StringComparer.Ordinal);
        foreach (var provider in config.Current.Config.Providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var pool = provider.Keys.Where(k => k.Secret.Length > 0).ToList();
            if (pool.Count == 0)
            {
                continue;
            }
            var byKey = stats[provider.Name] = [];
            foreach (var key in pool)
            {
                var s = keys.Get(provider.Name, key).Snapshot(key, now);
                // Keyed by the masked key, as the seed keys by the key; two keys that mask alike are told apart by their ids.
                var name = pool.Count(k => k.Masked == key.Masked) == 1 ? key.Masked : $"{key.Masked} ({key.Id})";
                byKey[name] = new KeyStatsSeedView(s.Requests, s.Successes, s.Failures, s.Requests == 0 ? 0 : Math.Round((double)s.Successes / s.Requests, 3), s.LastUsed,
                    s.StatusCounts.ToDictionary(c => c.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), c => c.Value));
            }
        }
        return TypedResults.Json(stats, AdminJson.Default.DictionaryStringDictionaryStringKeyStatsSeedView);
    }

    private static KeyView KeyViewOf(int index, string id, KeySnapshot k) => new(index, id, k.Key, k.Enabled, k.DisabledReason, k.CooldownUntil, k.HalfOpen,
        k.ConsecutiveFailures, k.LastFailureAt, k.LastFailureStatus, k.LastUsed, k.Requests, k.Successes, k.Failures, k.InFlight,
        k.StatusCounts.ToDictionary(c => c.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), c => c.Value));

    private static async Task<Results<JsonHttpResult<KeyEnabledView>, AdminError>> Enable(string name, int index, HttpContext http, ConfigHolder config, IKeyStateStore keys, Cluster.IClusterNotices notices)
    {
        var snapshot = config.Current;
        if (!snapshot.Config.Providers.TryGetValue(name, out var provider) || index < 0 || index >= provider.Keys.Length)
        {
            return new AdminError(new GatewayError(ErrorKind.NotFound, $"No key {index} on provider '{name}'."));
        }
        var key = provider.Keys[index];
        keys.Get(name, key).Enable();
        notices.KeySwitched(name, key, enabled: true);
        var view = new KeyEnabledView(name, key.Masked, true);
        await AuditEndpoints.RecordAsync(http, "key.enable", $"provider/{name}/key/{key.Id}", null, null, view, AdminJson.Default.KeyEnabledView);
        return TypedResults.Json(view, AdminJson.Default.KeyEnabledView);
    }

    private static async Task<JsonHttpResult<ReloadView>> ReloadAsync(HttpContext http, ConfigReloader reloader)
    {
        var result = await reloader.ReloadAsync("POST /providers/reload");
        if (result.Ok)
        {
            await AuditEndpoints.RecordAsync(http, "config.reload", "config", null, null, new ReloadAuditView("POST /providers/reload", result.Message), AdminJson.Default.ReloadAuditView);
        }
        return result.Ok
            ? TypedResults.Json(new ReloadView("reloaded", result.Message, null), AdminJson.Default.ReloadView)
            : TypedResults.Json(new ReloadView("rejected", null, result.Message), AdminJson.Default.ReloadView, statusCode: 400);
    }
}
