using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Switchyard.Storage;

namespace Switchyard.Config;

/// <summary>A provider of the store: its row and its config (parsed without keys, headers opened).</summary>
internal sealed record StoredProvider(ProviderRecord Record, ProviderConfig Config);

/// <summary>A key of the store, opened.</summary>
internal sealed record StoredKey(ProviderKeyRecord Record, UpstreamKey Key);

/// <summary>A route of the store: its row and its spec (checked against the providers each time the overlay is applied).</summary>
internal sealed record StoredRoute(RouteRecord Record, JsonObject Spec);

/// <summary>
/// What the admin API added on top of the config file: providers, keys (to store providers or to the file's) and routes.
/// Immutable; <see cref="Apply"/> merges it into a file config to make the config in force. The file stays the
/// declarative base: where the two name the same provider or route the file wins, and the store's object is reported
/// as shadowed rather than failing the reload.
/// </summary>
internal sealed class ConfigOverlay
{
    public static readonly ConfigOverlay Empty = new([], [], []);

    public ConfigOverlay(ImmutableArray<StoredProvider> providers, ImmutableArray<StoredKey> keys, ImmutableArray<StoredRoute> routes)
    {
        Providers = providers;
        Keys = keys;
        Routes = routes;
    }

    public ImmutableArray<StoredProvider> Providers { get; }
    public ImmutableArray<StoredKey> Keys { get; }
    public ImmutableArray<StoredRoute> Routes { get; }

    public StoredProvider? Provider(string name) => Providers.FirstOrDefault(p => p.Record.Name == name);

    public StoredKey? Key(string provider, string id) => Keys.FirstOrDefault(k => k.Record.Provider == provider && k.Record.Id == id);

    public StoredRoute? Route(string model) => Routes.FirstOrDefault(r => r.Record.Model == model);

    /// <summary>
    /// Opens the store's rows: secrets with <paramref name="vault"/> (a <see cref="StoreException"/> when they cannot be
    /// opened — the start stops, saying which master key they need), specs with the config reader. A spec that no longer
    /// reads (written by another version) is left out and reported, not fatal.
    /// </summary>
    public static (ConfigOverlay Overlay, ImmutableArray<string> Problems) Open(OverlayRecords records, CredentialVault vault)
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        var providers = ImmutableArray.CreateBuilder<StoredProvider>();
        foreach (var row in records.Providers)
        {
            try
            {
                var spec = JsonNode.Parse(row.Spec) as JsonObject ?? throw new ConfigException("the spec is not a JSON object");
                var config = ConfigLoader.ParseProvider(spec, keysRequired: false) with { Origin = ConfigOrigin.Store };
                if (row.Headers is { } sealedHeaders)
                {
                    var opened = JsonNode.Parse(vault.Open(sealedHeaders, ConfigRecords.HeadersContext(row.Name))) as JsonObject ?? [];
                    config = config with
                    {
                        Headers = opened.ToImmutableDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? "", StringComparer.OrdinalIgnoreCase),
                    };
                }
                providers.Add(new StoredProvider(row, config));
            }
            catch (Exception ex) when (ex is ConfigException or System.Text.Json.JsonException or InvalidOperationException)
            {
                problems.Add($"the stored provider '{row.Name}' is left out: {ex.Message}");
            }
        }
        var keys = ImmutableArray.CreateBuilder<StoredKey>();
        foreach (var row in records.Keys)
        {
            var secret = vault.Open(row.Secret, ConfigRecords.KeyContext(row.Provider, row.Id));
            keys.Add(new StoredKey(row, new UpstreamKey(secret, (int)row.Weight, (int)row.MaxFailures, TimeSpan.FromMilliseconds(row.CooldownMs), row.Enabled != 0)
            {
                Origin = ConfigOrigin.Store,
            }));
        }
        var routes = ImmutableArray.CreateBuilder<StoredRoute>();
        foreach (var row in records.Routes)
        {
            try
            {
                routes.Add(new StoredRoute(row, JsonNode.Parse(row.Spec) as JsonObject ?? throw new ConfigException("the spec is not a JSON object")));
            }
            catch (Exception ex) when (ex is ConfigException or System.Text.Json.JsonException)
            {
                problems.Add($"the stored route '{row.Model}' is left out: {ex.Message}");
            }
        }
        return (new ConfigOverlay(providers.ToImmutable(), keys.ToImmutable(), routes.ToImmutable()), problems.ToImmutable());
    }

    /// <summary>The file's config with this overlay on top, and what of the overlay could not be applied (and why).</summary>
    public (GatewayConfig Config, ImmutableArray<string> Problems) Apply(GatewayConfig file)
    {
        if (Providers.IsEmpty && Keys.IsEmpty && Routes.IsEmpty)
        {
            return (file, []);
        }
        var problems = ImmutableArray.CreateBuilder<string>();
        var providers = new Dictionary<string, ProviderConfig>(file.Providers, StringComparer.Ordinal);
        foreach (var stored in Providers)
        {
            if (!providers.TryAdd(stored.Config.Name, stored.Config))
            {
                problems.Add($"the stored provider '{stored.Config.Name}' is shadowed by the config file's provider of that name");
            }
        }
        foreach (var group in Keys.GroupBy(k => k.Record.Provider, StringComparer.Ordinal))
        {
            if (!providers.TryGetValue(group.Key, out var provider))
            {
                problems.Add($"{group.Count()} stored key(s) of the provider '{group.Key}' are unused: no provider has that name");
                continue;
            }
            var pool = provider.Keys.ToBuilder();
            foreach (var stored in group)
            {
                if (pool.Any(k => k.Secret == stored.Key.Secret))
                {
                    problems.Add($"the stored key {stored.Key.Masked} of '{group.Key}' is in the config file too: the file's entry is used");
                    continue;
                }
                pool.Add(stored.Key);
            }
            providers[group.Key] = provider with { Keys = pool.ToImmutable() };
        }
        var routes = file.Routes.ToBuilder();
        foreach (var stored in Routes)
        {
            if (file.Routes.Any(r => r.Model == stored.Record.Model && r.Model.Length > 0))
            {
                problems.Add($"the stored route '{stored.Record.Model}' is shadowed by the config file's route of that model");
                continue;
            }
            try
            {
                routes.Add(ConfigLoader.ParseRoute(stored.Spec, providers) with { Origin = ConfigOrigin.Store });
            }
            catch (ConfigException ex)
            {
                problems.Add($"the stored route '{stored.Record.Model}' is inactive: {ex.Message}");
            }
        }
        return (file with { Providers = providers.ToFrozenDictionary(StringComparer.Ordinal), Routes = routes.ToImmutable() }, problems.ToImmutable());
    }
}
