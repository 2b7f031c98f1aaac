using System.Collections.Immutable;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchyard.Keys;
using Switchyard.Protocols.Canonical;
using Switchyard.Storage;

namespace Switchyard.Config;

/// <summary>The outcome of a change: the object as it is now in force, or why the change was refused.</summary>
internal readonly record struct Change<T>(T? Value, GatewayError? Error)
{
    public static implicit operator Change<T>(GatewayError error) => new(default, error);
}

/// <summary>
/// Runtime changes to providers, their keys and routes — what the admin API (and the console through it) calls. Each
/// change is checked with the config file's own rules, written to the store (credentials sealed), and takes effect at
/// once for new requests: the overlay is read back from the store and a new snapshot published, as a reload does.
/// The file's objects cannot be changed or deleted here (a 409 that says to edit the file), but keys can be added to
/// a file provider's pool, and store routes may target file providers. Changes are applied one at a time.
/// </summary>
internal sealed partial class ConfigChanges(ConfigHolder holder, ConfigRecords records, CredentialVault vault, IKeyStateStore keyStates, TimeProvider time,
    Cluster.IClusterNotices notices, ILogger<ConfigChanges> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public void Dispose() => _gate.Dispose();

    /// <summary>Changes run one at a time: each is checked against the snapshot the previous one published.</summary>
    private async Task<T> OneAtATimeAsync<T>(Func<Task<T>> change, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await change().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads the overlay from the store and publishes it (at start, after every change, and when told of another instance's).</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        var (overlay, problems) = ConfigOverlay.Open(await records.LoadAsync(ct).ConfigureAwait(false), vault);
        var snapshot = holder.SwapOverlay(overlay);
        foreach (var problem in problems.Concat(snapshot.OverlayProblems))
        {
            LogOverlayProblem(logger, problem);
        }
    }

    /// <summary>After a change here: published here, and the other instances of a cluster told to read the overlay again.</summary>
    private async Task LoadAndAnnounceAsync(CancellationToken ct)
    {
        await LoadAsync(ct).ConfigureAwait(false);
        notices.ConfigChanged();
    }

    // ---- providers -------------------------------------------------------------------------------------------------

    public async Task<Change<ProviderConfig>> CreateProviderAsync(JsonObject body, CancellationToken ct)
    {
        if (body["name"]?.GetValueKind() is not System.Text.Json.JsonValueKind.String || body["name"]!.GetValue<string>() is not { } name || !NamePattern().IsMatch(name))
        {
            return GatewayError.Invalid($"'name' must be {NameRule}.", "name");
        }
        ProviderConfig parsed;
        try
        {
            parsed = ConfigLoader.ParseProvider(body);
        }
        catch (ConfigException ex)
        {
            return GatewayError.Invalid(ex.Message, ex.Field);
        }
        var secrets = parsed.Keys.Where(k => k.Secret.Length > 0).ToList();
        if (secrets.GroupBy(k => k.Secret).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            return GatewayError.Invalid($"'keys' lists the key {repeated.First().Masked} twice.", "keys");
        }
        if (NeedsVault(secrets.Count > 0 || !parsed.Headers.IsEmpty) is { } noVault)
        {
            return noVault;
        }
        return await OneAtATimeAsync<Change<ProviderConfig>>(async () =>
        {
                if (holder.Current.Config.Providers.TryGetValue(name, out var existing))
                {
                    return existing.Origin == ConfigOrigin.File ? FileObject($"provider '{name}'") : new GatewayError(ErrorKind.Conflict, $"The provider '{name}' exists already.");
                }
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                var record = new ProviderRecord(name, Spec(body).ToJsonString(), SealHeaders(name, parsed.Headers), 1, now, now);
                if (!await records.InsertProviderAsync(record, [.. secrets.Select(k => KeyRecord(name, k, now))], ct).ConfigureAwait(false))
                {
                    return new GatewayError(ErrorKind.Conflict, $"The provider '{name}' exists already.");
                }
                await LoadAndAnnounceAsync(ct).ConfigureAwait(false);
                return Current(name);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>A JSON merge patch (RFC 7386) over the stored provider: fields given replace, <c>null</c> removes; keys are managed apart.</summary>
    public async Task<Change<ProviderConfig>> UpdateProviderAsync(string name, JsonObject patch, long? ifMatch, CancellationToken ct)
    {
        if (patch.ContainsKey("keys"))
        {
            return GatewayError.Invalid($"Keys are not changed here: add, enable, disable and delete them at /admin/v1/providers/{name}/keys.", "keys");
        }
        if (patch["name"] is { } newName && newName.ToString() != name)
        {
            return GatewayError.Invalid("A provider cannot be renamed: create one with the new name, move its routes, delete this one.", "name");
        }
        return await OneAtATimeAsync<Change<ProviderConfig>>(async () =>
        {
                if (Editable(name, ifMatch) is { } refused)
                {
                    return refused;
                }
                var stored = holder.Current.Overlay.Provider(name)!;
                var full = (JsonObject)JsonNode.Parse(stored.Record.Spec)!;
                if (!stored.Config.Headers.IsEmpty)
                {
                    full["headers"] = new JsonObject(stored.Config.Headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)JsonValue.Create(h.Value))));
                }
                MergePatch(full, patch);
                ProviderConfig parsed;
                try
                {
                    parsed = ConfigLoader.ParseProvider(full, keysRequired: false);
                }
                catch (ConfigException ex)
                {
                    return GatewayError.Invalid(ex.Message, ex.Field);
                }
                if (NeedsVault(!parsed.Headers.IsEmpty) is { } noVault)
                {
                    return noVault;
                }
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                var record = stored.Record with { Spec = Spec(full).ToJsonString(), Headers = SealHeaders(name, parsed.Headers), Version = stored.Record.Version + 1, UpdatedAt = now };
                if (!await records.UpdateProviderAsync(record, stored.Record.Version, ct).ConfigureAwait(false))
                {
                    return Changed($"provider '{name}'");
                }
                await LoadAndAnnounceAsync(ct).ConfigureAwait(false);
                return Current(name);
        }, ct).ConfigureAwait(false);
    }

    public async Task<Change<string>> DeleteProviderAsync(string name, long? ifMatch, CancellationToken ct)
    {
        return await OneAtATimeAsync<Change<string>>(async () =>
        {
                if (Editable(name, ifMatch) is { } refused)
                {
                    return refused;
                }
                var users = holder.Current.Config.Routes.Where(r => r.Targets.Any(t => t.Provider == name)).Select(r => $"'{r.Model}'").ToList();
                if (users.Count > 0)
                {
                    return new GatewayError(ErrorKind.Conflict, $"The provider '{name}' is a target of the route(s) {string.Join(", ", users)}: change or delete them first.");
                }
                var stored = holder.Current.Overlay.Provider(name)!;
                if (!await records.DeleteProviderAsync(name, stored.Record.Version, ct).ConfigureAwait(false))
                {
                    return Changed($"provider '{name}'");
                }
                await LoadAndAnnounceAsync(ct).ConfigureAwait(false);
                return new Change<string>(name, null);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Null when the provider is in the store at the version asked for; else why it cannot be changed here.</summary>
    private GatewayError? Editable(string name, long? ifMatch)
    {
        var snapshot = holder.Current;
        if (snapshot.Overlay.Provider(name) is not { } stored || !snapshot.Config.Providers.TryGetValue(name, out var inForce) || inForce.Origin != ConfigOrigin.Store)
        {
            return snapshot.Config.Providers.ContainsKey(name) ? FileObject($"provider '{name}'") : NoProvider(name);
        }
        return ifMatch is { } v && v != stored.Record.Version ? Changed($"provider '{name}'") : null;
    }

    // ---- keys ------------------------------------------------------------------------------------------------------

    /// <summary>Adds a key (<c>{key, weight?, max_failures?, cooldown?, enabled?}</c>) to any provider's pool.</summary>
    public async Task<Change<UpstreamKey>> AddKeyAsync(string provider, JsonObject body, CancellationToken ct)
    {
        UpstreamKey key;
        try
        {
            key = ConfigLoader.ParseKey(body);
        }
        catch (ConfigException ex)
        {
            return GatewayError.Invalid(ex.Message, ex.Field);
        }
        if (NeedsVault(true) is { } noVault)
        {
            return noVault;
        }
        return await OneAtATimeAsync<Change<UpstreamKey>>(async () =>
        {
                if (!holder.Current.Config.Providers.TryGetValue(provider, out var p))
                {
                    return NoProvider(provider);
                }
                if (p.Keys.FirstOrDefault(k => k.Id == key.Id) is { } existing)
                {
                    return new GatewayError(ErrorKind.Conflict, $"The provider '{provider}' has this key already (id {existing.Id}, {existing.Origin}).");
                }
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                if (!await records.InsertKeyAsync(KeyRecord(provider, key, now), ct).ConfigureAwait(false))
                {
                    return new GatewayError(ErrorKind.Conflict, $"The provider '{provider}' has this key already (id {key.Id}).");
                }
                await LoadAndAnnounceAsync(ct).ConfigureAwait(false);
                return CurrentKey(provider, key.Id);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A store key's <c>enabled</c> is changed in the store; a file key is taken out of (or put back into) rotation in
    /// this process until the next start, as the file says what it is. Enabling also clears a rejection or cooldown.
    /// </summary>
    public async Task<Change<UpstreamKey>> SetKeyEnabledAsync(string provider, string id, bool enabled, CancellationToken ct)
    {
        return await OneAtATimeAsync<Change<UpstreamKey>>(async () =>
        {
                if (FindKey(provider, id) is not { } key)
                {
                    return NoKey(provider, id);
                }
                if (key.Origin == ConfigOrigin.Store && key.Enabled != enabled)
                {
                    await records.SetKeyEnabledAsync(provider, id, enabled, time.GetUtcNow().ToUnixTimeMilliseconds(), ct).ConfigureAwait(false);
                    await LoadAndAnnounceAsync(ct).ConfigureAwait(false);
                    key = FindKey(provider, id)!;
                }
                SwitchKey(provider, key, enabled);
                notices.KeySwitched(provider, key, enabled);
                return new Change<UpstreamKey>(key, null);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>A key enabled or disabled by an operator, here or (told through the cluster) on another instance.</summary>
    public void SwitchKey(string provider, UpstreamKey key, bool enabled)
    {
        var state = keyStates.Get(provider, key);
        if (enabled)
        {
            state.Enable();
        }
        else if (key.Origin == ConfigOrigin.File)
        {
            state.Disable("disabled through the admin API (until enabled or restarted: the config file says it is enabled)");
        }
    }

    public async Task<Change<UpstreamKey>> DeleteKeyAsync(string provider, string id, CancellationToken ct)
    {
        return await OneAtATimeAsync<Change<UpstreamKey>>(async () =>
        {
                if (FindKey(provider, id) is not { } key)
                {
                    return NoKey(provider, id);
                }
                if (key.Origin == ConfigOrigin.File)
                {
                    return FileObject($"key {key.Masked} of '{provider}'");
                }
                var pool = holder.Current.Config.Providers[provider];
                if (pool.Origin == ConfigOrigin.Store && pool.Kind != ProviderKind.Mock && pool.Keys.Count(k => k.Secret.Length > 0) == 1)
                {
                    return new GatewayError(ErrorKind.Conflict, $"{key.Masked} is the last key of '{provider}': add another first, or delete the provider.");
                }
                await records.DeleteKeyAsync(provider, id, ct).ConfigureAwait(false);
                await LoadAndAnnounceAsync(ct).ConfigureAwait(false);
                return new Change<UpstreamKey>(key, null);
        }, ct).ConfigureAwait(false);
    }

    private UpstreamKey? FindKey(string provider, string id) =>
        holder.Current.Config.Providers.TryGetValue(provider, out var p) ? p.Keys.FirstOrDefault(k => k.Id == id && k.Secret.Length > 0) : null;

    private Change<UpstreamKey> CurrentKey(string provider, string id) =>
        FindKey(provider, id) is { } key ? new Change<UpstreamKey>(key, null) : new GatewayError(ErrorKind.Internal, $"The key {id} was stored but is not in force: see the gateway's log.");

    // ---- routes ----------------------------------------------------------------------------------------------------

    public async Task<Change<RouteConfig>> CreateRouteAsync(JsonObject body, CancellationToken ct)
    {
        if (body["model"]?.GetValueKind() is not System.Text.Json.JsonValueKind.String || body["model"]!.GetValue<string>() is not { Length: > 0 } model)
        {
            return GatewayError.Invalid("'model' is required: the requested model name (or glob) this route serves.", "model");
        }
        return await OneAtATimeAsync<Change<RouteConfig>>(async () =>
        {
                var snapshot = holder.Current;
                if (snapshot.Config.Routes.FirstOrDefault(r => r.Model == model) is { } existing)
                {
                    return existing.Origin == ConfigOrigin.File ? FileObject($"route '{model}'") : new GatewayError(ErrorKind.Conflict, $"The route '{model}' exists already.");
                }
                if (CheckRoute(body, snapshot) is { } invalid)
                {
                    return invalid;
                }
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                if (!await records.InsertRouteAsync(new RouteRecord(model, Compact(body).ToJsonString(), 1, now, now), ct).ConfigureAwait(false))
                {
                    return new GatewayError(ErrorKind.Conflict, $"The route '{model}' exists already (stored, but not in force: see GET /admin/v1/routes).");
                }
                await LoadAndAnnounceAsync(ct).ConfigureAwait(false);
                return CurrentRoute(model);
        }, ct).ConfigureAwait(false);
    }

    public async Task<Change<RouteConfig>> UpdateRouteAsync(string model, JsonObject patch, long? ifMatch, CancellationToken ct)
    {
        if (patch["model"] is { } newModel && newModel.ToString() != model)
        {
            return GatewayError.Invalid("A route's model is its name: create a route for the new name and delete this one.", "model");
        }
        return await OneAtATimeAsync<Change<RouteConfig>>(async () =>
        {
                if (EditableRoute(model, ifMatch) is { } refused)
                {
                    return refused;
                }
                var stored = holder.Current.Overlay.Route(model)!;
                var spec = (JsonObject)stored.Spec.DeepClone();
                MergePatch(spec, patch);
                if (CheckRoute(spec, holder.Current) is { } invalid)
                {
                    return invalid;
                }
                var record = stored.Record with { Spec = Compact(spec).ToJsonString(), Version = stored.Record.Version + 1, UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds() };
                if (!await records.UpdateRouteAsync(record, stored.Record.Version, ct).ConfigureAwait(false))
                {
                    return Changed($"route '{model}'");
                }
                await LoadAndAnnounceAsync(ct).ConfigureAwait(false);
                return CurrentRoute(model);
        }, ct).ConfigureAwait(false);
    }

    public async Task<Change<string>> DeleteRouteAsync(string model, long? ifMatch, CancellationToken ct)
    {
        return await OneAtATimeAsync<Change<string>>(async () =>
        {
                if (EditableRoute(model, ifMatch) is { } refused)
                {
                    return refused;
                }
                if (!await records.DeleteRouteAsync(model, holder.Current.Overlay.Route(model)!.Record.Version, ct).ConfigureAwait(false))
                {
                    return Changed($"route '{model}'");
                }
                await LoadAndAnnounceAsync(ct).ConfigureAwait(false);
                return new Change<string>(model, null);
        }, ct).ConfigureAwait(false);
    }

    private GatewayError? EditableRoute(string model, long? ifMatch)
    {
        var snapshot = holder.Current;
        if (snapshot.Overlay.Route(model) is not { } stored)
        {
            return snapshot.Config.Routes.Any(r => r.Model == model) ? FileObject($"route '{model}'") : new GatewayError(ErrorKind.NotFound, $"No route '{model}'.");
        }
        if (snapshot.Config.Routes.Any(r => r.Model == model && r.Origin == ConfigOrigin.File))
        {
            return FileObject($"route '{model}'");
        }
        return ifMatch is { } v && v != stored.Record.Version ? Changed($"route '{model}'") : null;
    }

    private static GatewayError? CheckRoute(JsonObject spec, GatewaySnapshot snapshot)
    {
        try
        {
            ConfigLoader.ParseRoute(spec, snapshot.Config.Providers);
            return null;
        }
        catch (ConfigException ex)
        {
            return GatewayError.Invalid(ex.Message, ex.Field);
        }
    }

    private Change<RouteConfig> CurrentRoute(string model) =>
        holder.Current.Config.Routes.FirstOrDefault(r => r.Model == model && r.Origin == ConfigOrigin.Store) is { } route
            ? new Change<RouteConfig>(route, null)
            : new GatewayError(ErrorKind.Internal, $"The route '{model}' was stored but is not in force: see the gateway's log.");

    // ---- helpers ---------------------------------------------------------------------------------------------------

    public const string NameRule = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    private Change<ProviderConfig> Current(string name) =>
        holder.Current.Config.Providers.TryGetValue(name, out var p) && p.Origin == ConfigOrigin.Store
            ? new Change<ProviderConfig>(p, null)
            : new GatewayError(ErrorKind.Internal, $"The provider '{name}' was stored but is not in force: see the gateway's log.");

    private GatewayError? NeedsVault(bool holdsCredentials) => holdsCredentials && !vault.HasKey
        ? new GatewayError(ErrorKind.Conflict,
            $"The gateway stores credentials only encrypted, and {CredentialVault.Variable} is not set: make a key with 'switchyard master-key new', set {CredentialVault.Variable} to it and restart the gateway.")
        : null;

    private string? SealHeaders(string provider, ImmutableDictionary<string, string> headers) => headers.IsEmpty
        ? null
        : vault.Seal(new JsonObject(headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)JsonValue.Create(h.Value)))).ToJsonString(), ConfigRecords.HeadersContext(provider));

    private ProviderKeyRecord KeyRecord(string provider, UpstreamKey key, long now) => new(provider, key.Id, vault.Seal(key.Secret, ConfigRecords.KeyContext(provider, key.Id)),
        key.Masked, key.Weight, key.MaxFailures, (long)key.Cooldown.TotalMilliseconds, key.Enabled ? 1 : 0, now, now);

    /// <summary>What is stored in clear: the spec without its keys and headers (they are stored sealed), nulls dropped.</summary>
    private static JsonObject Spec(JsonObject body)
    {
        var spec = Compact(body);
        spec.Remove("keys");
        spec.Remove("headers");
        return spec;
    }

    private static JsonObject Compact(JsonObject body) =>
        new(body.Where(kv => kv.Value is not null).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value!.DeepClone())));

    /// <summary>RFC 7386: objects merge field by field, <c>null</c> removes a field, anything else replaces it.</summary>
    private static void MergePatch(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject patchObject && target[name] is JsonObject targetObject)
            {
                MergePatch(targetObject, patchObject);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }

    private static GatewayError FileObject(string what) =>
        new(ErrorKind.Conflict, $"The {what} is defined in the config file: change it there (the admin API changes what it created).");

    private static GatewayError Changed(string what) =>
        new(ErrorKind.PreconditionFailed, $"The {what} was changed since it was read (If-Match names an older version): read it again and retry.");

    private static GatewayError NoProvider(string name) => new(ErrorKind.NotFound, $"No provider '{name}'.");

    private static GatewayError NoKey(string provider, string id) => new(ErrorKind.NotFound, $"No key '{id}' on the provider '{provider}'.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Config overlay: {Problem}")]
    private static partial void LogOverlayProblem(ILogger logger, string problem);
}
