using System.Text.Json;
using Switchyard.Config;
using Switchyard.Dispatch;
using Switchyard.Inbound;
using Switchyard.Keys;
using Switchyard.Protocols.Canonical;
using Switchyard.Routing;
using Switchyard.Tenancy;

namespace Switchyard.Admin;

/// <summary>
/// <c>GET /providers</c>: every provider's health and every key's statistics (keys masked), and
/// <c>POST /providers/{name}/keys/{index}/enable</c> to bring back a key the upstream had rejected.
/// </summary>
internal static class ProvidersEndpoints
{
    public static IEndpointRouteBuilder MapProvidersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/providers", (HttpContext http, ConfigHolder config, IKeyStateStore keys, IProviderHealthStore health, TimeProvider time) =>
            AdminGuard.RunAsync(http, config, () => ListAsync(http, config.Current, keys, health, time.GetUtcNow())));
        app.MapPost("/providers/reload", (HttpContext http, ConfigHolder config, ConfigReloader reloader) =>
            AdminGuard.RunAsync(http, config, () => ReloadAsync(http, reloader)));
        app.MapPost("/providers/{name}/keys/{index:int}/enable", (HttpContext http, string name, int index, ConfigHolder config, IKeyStateStore keys) =>
            AdminGuard.RunAsync(http, config, () => EnableAsync(http, config.Current, keys, name, index)));
        return app;
    }

    private static Task ListAsync(HttpContext http, GatewaySnapshot snapshot, IKeyStateStore keys, IProviderHealthStore health, DateTimeOffset now) =>
        ModelEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("providers");
            foreach (var p in snapshot.Config.Providers.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                w.WriteString("type", p.Kind.ToString().ToLowerInvariant());
                w.WriteString("base_url", p.Kind == ProviderKind.Mock ? null : p.BaseUrl.ToString());
                w.WriteString("key_strategy", p.KeyStrategy);
                var h = health.Get(p.Name).Snapshot(now);
                w.WriteStartObject("health");
                w.WriteString("state", h.State);
                w.WriteNumber("cooldown_remaining_seconds", Math.Round(h.CooldownRemainingSeconds, 1));
                w.WriteNumber("consecutive_failures", h.ConsecutiveFailures);
                w.WriteNumber("in_flight", h.InFlight);
                Nullable(w, "ewma_ttfb_ms", h.EwmaTtfbMs);
                w.WriteNumber("requests", h.Requests);
                w.WriteNumber("failures", h.Failures);
                w.WriteString("last_error", h.LastError is null ? null : ClientWriter.Redact(h.LastError, snapshot.Secrets));
                w.WriteEndObject();
                w.WriteStartArray("keys");
                var index = 0;
                foreach (var key in p.Keys.Where(k => k.Secret.Length > 0))
                {
                    WriteKey(w, index++, keys.Get(p.Name, key).Snapshot(key, now));
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

    private static void WriteKey(Utf8JsonWriter w, int index, KeySnapshot k)
    {
        w.WriteStartObject();
        w.WriteNumber("index", index);
        w.WriteString("key", k.Key);
        w.WriteBoolean("enabled", k.Enabled);
        w.WriteString("disabled_reason", k.DisabledReason);
        Nullable(w, "cooldown_until", k.CooldownUntil);
        w.WriteBoolean("half_open", k.HalfOpen);
        w.WriteNumber("consecutive_failures", k.ConsecutiveFailures);
        Nullable(w, "last_failure_at", k.LastFailureAt);
        if (k.LastFailureStatus is { } s)
        {
            w.WriteNumber("last_failure_status", s);
        }
        else
        {
            w.WriteNull("last_failure_status");
        }
        Nullable(w, "last_used", k.LastUsed);
        w.WriteNumber("requests", k.Requests);
        w.WriteNumber("successes", k.Successes);
        w.WriteNumber("failures", k.Failures);
        w.WriteNumber("in_flight", k.InFlight);
        w.WriteStartObject("status_codes");
        foreach (var (code, count) in k.StatusCounts)
        {
            w.WriteNumber(code.ToString(System.Globalization.CultureInfo.InvariantCulture), count);
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static async Task EnableAsync(HttpContext http, GatewaySnapshot snapshot, IKeyStateStore keys, string name, int index)
    {
        if (!snapshot.Config.Providers.TryGetValue(name, out var provider) || index < 0 || index >= provider.Keys.Length)
        {
            await ClientWriter.WriteErrorAsync(http, ClientProtocol.OpenAI, new GatewayError(ErrorKind.NotFound, $"No key {index} on provider '{name}'."), "req_admin", snapshot.Secrets);
            return;
        }
        var key = provider.Keys[index];
        keys.Get(name, key).Enable();
        await ModelEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("provider", name);
            w.WriteString("key", key.Masked);
            w.WriteBoolean("enabled", true);
            w.WriteEndObject();
        });
    }

    private static async Task ReloadAsync(HttpContext http, ConfigReloader reloader)
    {
        var result = await reloader.ReloadAsync("POST /providers/reload");
        http.Response.StatusCode = result.Ok ? 200 : 400;
        await ModelEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", result.Ok ? "reloaded" : "rejected");
            w.WriteString(result.Ok ? "summary" : "error", result.Message);
            w.WriteEndObject();
        });
    }

    private static void Nullable(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void Nullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
