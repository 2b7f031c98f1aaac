using Switchyard.Cluster;
using Switchyard.Inbound;
using Switchyard.Storage;
using Switchyard.Tenancy;
using Switchyard.Tenancy.Pricing;
using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Config;

/// <summary>
/// Reads the YAML config (snake_case keys, <c>${ENV}</c> / <c>${ENV:-default}</c> interpolation) into a validated
/// <see cref="GatewayConfig"/>. Every error says file:line:column, the key path and what is wrong.
/// </summary>
internal static partial class ConfigLoader
{

    public static GatewayConfig LoadFile(string path, Func<string, string?>? env = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            throw new ConfigException($"{path}: cannot read the config file: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ConfigException($"{path}: cannot read the config file: {ex.Message}");
        }
        return Parse(text, path, env);
    }

    public static GatewayConfig Parse(string yaml, string source, Func<string, string?>? env = null)
    {
        var reader = new Reader(source, env ?? Environment.GetEnvironmentVariable);
        var stream = new YamlStream();
        var parser = new TrackingParser(new Parser(new StringReader(yaml)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            throw new ConfigException($"{source}:{ex.Start.Line}:{ex.Start.Column}: invalid YAML: {ex.InnerException?.Message ?? ex.Message}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up on some broken input without a YamlException: say where it got to.
            throw new ConfigException($"{source}:{parser.Reached.Line}:{parser.Reached.Column}: invalid YAML: the parser cannot read what follows here.");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var at = stream.Documents.Count == 0 ? Mark.Empty : stream.Documents[0].RootNode.Start;
            throw new ConfigException($"{source}:{Math.Max(1, at.Line)}:{Math.Max(1, at.Column)}: providers: the config must be a YAML mapping with 'providers' and 'routes'.");
        }
        return reader.ReadRoot(root);
    }

    /// <summary>
    /// A provider given as JSON in the YAML shape (the admin API), checked exactly as the file's providers are; values are
    /// taken literally (no <c>${ENV}</c>). Errors name the field (<c>base_url: …</c>). <paramref name="keysRequired"/>:
    /// whether it must list keys itself (a stored provider's keys are kept apart).
    /// </summary>
    public static ProviderConfig ParseProvider(JsonObject spec, bool keysRequired = true) =>
        new Reader("request", literal: true).ReadProvider(ToYaml(spec), "", keysRequired);

    /// <summary>A route given as JSON in the YAML shape, its targets checked against <paramref name="providers"/>.</summary>
    public static RouteConfig ParseRoute(JsonObject spec, IReadOnlyDictionary<string, ProviderConfig> providers) =>
        new Reader("request", literal: true).ReadRoute(ToYaml(spec), "", providers);

    /// <summary>One upstream key given as JSON in the YAML shape (<c>{key, weight?, max_failures?, cooldown?, enabled?}</c>).</summary>
    public static UpstreamKey ParseKey(JsonObject key) =>
        new Reader("request", literal: true).ReadKey(ToYaml(key), "");

    /// <summary>JSON as the YAML reader's nodes (nulls are absent fields).</summary>
    private static YamlNode ToYaml(JsonNode? node) => node switch
    {
        JsonObject o => new YamlMappingNode(o.Where(kv => kv.Value is not null)
            .Select(kv => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(kv.Key), ToYaml(kv.Value)))),
        JsonArray a => new YamlSequenceNode(a.Select(ToYaml)),
        JsonValue v => new YamlScalarNode(v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()),
        _ => new YamlScalarNode(""),
    };

    /// <summary>Remembers how far the parser got, for errors that carry no position of their own.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        public Mark Reached { get; private set; } = Mark.Empty;
        public YamlDotNet.Core.Events.ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            var moved = inner.MoveNext();
            if (inner.Current is { } current)
            {
                Reached = current.End;
            }
            return moved;
        }
    }

    /// <param name="literal">Values from the admin API: no <c>${ENV}</c> interpolation, and errors name the field without a file position.</param>
    private sealed partial class Reader(string source, Func<string, string?>? env = null, bool literal = false)
    {
        public GatewayConfig ReadRoot(YamlMappingNode root)
        {
            var map = Map(root, "", "server", "auth", "providers", "routes", "telemetry", "storage", "tenants", "limits_time_zone", "pricing", "ui", "cluster");
            var server = map.TryGetValue("server", out var s) ? ReadServer(s) : new ServerOptions(ServerOptions.DefaultMaxRequestBodyBytes, null);
            var auth = map.TryGetValue("auth", out var a) ? ReadAuth(a) : new AuthOptions([]);
            if (!map.TryGetValue("providers", out var providersNode))
            {
                throw Error(root, "providers", "'providers' is required: list at least one upstream provider.");
            }
            var providers = new Dictionary<string, ProviderConfig>(StringComparer.Ordinal);
            var i = 0;
            foreach (var node in Seq(providersNode, "providers"))
            {
                var p = ReadProvider(node, $"providers[{i++}]");
                if (!providers.TryAdd(p.Name, p))
                {
                    throw Error(node, $"providers[{i - 1}].name", $"the provider name '{p.Name}' is used twice.");
                }
            }
            var routes = ImmutableArray.CreateBuilder<RouteConfig>();
            if (map.TryGetValue("routes", out var routesNode))
            {
                i = 0;
                foreach (var node in Seq(routesNode, "routes"))
                {
                    routes.Add(ReadRoute(node, $"routes[{i++}]", providers));
                }
            }
            var cluster = map.TryGetValue("cluster", out var cl) ? ReadCluster(cl) : null;
            var storage = map.TryGetValue("storage", out var st) ? ReadStorage(st, cluster?.Instance) : StorageOptions.Default;
            if (cluster is not null && storage.Provider != StorageProvider.Postgres)
            {
                throw Error(cl!, "cluster", "cluster mode needs 'storage: {provider: postgres, connection: …}': the instances share their durable state there (a SQLite file is one machine's).");
            }
            return new GatewayConfig(source, server, auth, providers.ToFrozenDictionary(StringComparer.Ordinal), routes.ToImmutable())
            {
                Cluster = cluster,
                Telemetry = map.TryGetValue("telemetry", out var t) ? ReadTelemetry(t) : TelemetryOptions.Default,
                Storage = storage,
                Tenants = ReadTenants(map.GetValueOrDefault("tenants"), auth),
                LimitsTimeZone = map.TryGetValue("limits_time_zone", out var tz) ? TimeZone(tz, "limits_time_zone") : TimeZoneInfo.Utc,
                Pricing = map.TryGetValue("pricing", out var pr) ? ReadPricing(pr, providers) : [],
                ConsoleEnabled = !map.TryGetValue("ui", out var ui) || Map(ui, "ui", "enabled").GetValueOrDefault("enabled") is not { } enabled || Bool(enabled, "ui.enabled"),
            };
        }

        /// <summary><c>pricing:</c> a list of {model (glob over upstream model names), provider?, input, output, cache_read?, cache_write?} in USD per million tokens.</summary>
        private ImmutableArray<PriceOverride> ReadPricing(YamlNode node, Dictionary<string, ProviderConfig> providers)
        {
            var prices = ImmutableArray.CreateBuilder<PriceOverride>();
            var i = 0;
            foreach (var item in Seq(node, "pricing"))
            {
                var path = $"pricing[{i++}]";
                var map = Map(item, path, "model", "provider", "input", "output", "cache_read", "cache_write");
                string? provider = null;
                if (map.TryGetValue("provider", out var pn))
                {
                    provider = NonEmpty(pn, path + ".provider");
                    if (!providers.ContainsKey(provider))
                    {
                        throw Error(pn, path + ".provider", $"no provider is named '{provider}'.");
                    }
                }
                decimal? Price(string key) => map.TryGetValue(key, out var v) ? Usd(v, $"{path}.{key}") : null;
                prices.Add(new PriceOverride(Required(map, item, path, "model"), provider,
                    Price("input") ?? throw Error(item, path + ".input", "'input' is required (USD per million input tokens)."),
                    Price("output") ?? throw Error(item, path + ".output", "'output' is required (USD per million output tokens)."),
                    Price("cache_read"), Price("cache_write")));
            }
            return prices.ToImmutable();
        }

        /// <summary>An amount of US dollars ≥ 0 (prices, budgets).</summary>
        private decimal Usd(YamlNode node, string path)
        {
            var s = Scalar(node, path);
            return decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) && v <= 1_000_000_000m
                ? v
                : throw Error(node, path, $"'{s}' is not an amount of US dollars (e.g. 2.5).");
        }

        /// <summary>The file's tenants, and <c>auth.keys</c> as the tenant "default"; a key may belong to one tenant only.</summary>
        private ImmutableArray<TenantConfig> ReadTenants(YamlNode? node, AuthOptions auth)
        {
            var tenants = ImmutableArray.CreateBuilder<TenantConfig>();
            var owner = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!auth.Keys.IsDefaultOrEmpty)
            {
                tenants.Add(new TenantConfig(TenantConfig.DefaultName, auth.Keys, TenantConfig.AnyModel));
                foreach (var k in auth.Keys)
                {
                    owner[k] = "auth.keys";
                }
            }
            if (node is null)
            {
                return tenants.ToImmutable();
            }
            var i = 0;
            foreach (var item in Seq(node, "tenants"))
            {
                var path = $"tenants[{i++}]";
                var map = Map(item, path, "name", "keys", "models", "limits", "user_limits", "capture_bodies");
                var name = Required(map, item, path, "name");
                if (!TenantConfig.IsValidName(name))
                {
                    throw Error(map["name"], path + ".name", $"'{name}' is not a tenant name: {TenantConfig.NameRule}.");
                }
                if (tenants.Any(t => t.Name == name))
                {
                    throw Error(map["name"], path + ".name", name == TenantConfig.DefaultName && !auth.Keys.IsDefaultOrEmpty
                        ? "'default' is the tenant of auth.keys: name this one otherwise, or list its keys under auth.keys."
                        : $"the tenant name '{name}' is used twice.");
                }
                var keys = ImmutableArray.CreateBuilder<string>();
                if (map.TryGetValue("keys", out var keysNode))
                {
                    var k = 0;
                    foreach (var keyNode in Seq(keysNode, path + ".keys"))
                    {
                        var keyPath = $"{path}.keys[{k++}]";
                        var key = Scalar(keyNode, keyPath);
                        if (key.Length == 0)
                        {
                            continue; // an unset ${VAR:-}: no key
                        }
                        if (owner.TryGetValue(key, out var other))
                        {
                            throw Error(keyNode, keyPath, $"this key already belongs to {other}: a key authenticates one tenant.");
                        }
                        owner[key] = keyPath;
                        keys.Add(key);
                    }
                }
                var models = map.TryGetValue("models", out var m)
                    ? Seq(m, path + ".models").Select((g, j) => NonEmpty(g, $"{path}.models[{j}]")).ToImmutableArray()
                    : TenantConfig.AnyModel;
                tenants.Add(new TenantConfig(name, keys.ToImmutable(), models)
                {
                    Limits = map.TryGetValue("limits", out var l) ? ReadTenantLimits(l, path + ".limits") : UsageLimits.None,
                    UserLimits = map.TryGetValue("user_limits", out var ul) ? ReadTenantLimits(ul, path + ".user_limits") : UsageLimits.None,
                    CaptureBodies = map.TryGetValue("capture_bodies", out var cb) && Bool(cb, path + ".capture_bodies"),
                });
            }
            return tenants.ToImmutable();
        }

        private UsageLimits ReadTenantLimits(YamlNode node, string path)
        {
            var map = Map(node, path, "requests_per_day", "tokens_per_day", "rpm", "tpm", "concurrent", "budget_usd_per_day", "budget_usd_per_month");
            int? Limit(string key) => map.TryGetValue(key, out var v) ? Int(v, $"{path}.{key}", 1) : null;
            long? Tokens(string key) => map.TryGetValue(key, out var v) ? Long(v, $"{path}.{key}", 1) : null;
            decimal? Budget(string key) => map.TryGetValue(key, out var v) ? Usd(v, $"{path}.{key}") : null;
            return new UsageLimits(Limit("requests_per_day"), Limit("rpm"), Limit("concurrent"))
            {
                TokensPerDay = Tokens("tokens_per_day"),
                Tpm = Tokens("tpm"),
                BudgetUsdPerDay = Budget("budget_usd_per_day"),
                BudgetUsdPerMonth = Budget("budget_usd_per_month"),
            };
        }

        private TimeZoneInfo TimeZone(YamlNode node, string path)
        {
            var id = NonEmpty(node, path);
            return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone)
                ? zone
                : throw Error(node, path, $"'{id}' is not a time zone this machine knows (e.g. UTC, Europe/Berlin, Asia/Shanghai).");
        }

        /// <param name="instance">In cluster mode, this instance's name: it names the default spill file (instances on one machine never share one).</param>
        private StorageOptions ReadStorage(YamlNode node, string? instance)
        {
            var map = Map(node, "storage", "provider", "path", "connection", "log_retention_days", "spill_path");
            var retention = map.TryGetValue("log_retention_days", out var r) ? Int(r, "storage.log_retention_days", 1) : StorageOptions.DefaultRetentionDays;
            var store = ReadStore(node, map, instance) with { LogRetentionDays = retention };
            return map.TryGetValue("spill_path", out var spill) ? store with { SpillPath = NonEmpty(spill, "storage.spill_path") } : store;
        }

        /// <summary><c>cluster: {redis, instance?, fail_closed?, redis_timeout?, lease_ttl?, key_prefix?}</c>; PostgreSQL is required beside it.</summary>
        private ClusterOptions ReadCluster(YamlNode node)
        {
            var map = Map(node, "cluster", "redis", "instance", "fail_closed", "redis_timeout", "lease_ttl", "key_prefix");
            if (!map.TryGetValue("redis", out var redisNode))
            {
                throw Error(node, "cluster.redis", "'redis' is required: the Redis server the instances share (e.g. 127.0.0.1:6379).");
            }
            var redis = NonEmpty(redisNode, "cluster.redis");
            try
            {
                _ = StackExchange.Redis.ConfigurationOptions.Parse(redis);
            }
            catch (ArgumentException ex)
            {
                throw Error(redisNode, "cluster.redis", $"not a Redis configuration string: {ex.Message}");
            }
            var options = new ClusterOptions(redis);
            var timeout = map.TryGetValue("redis_timeout", out var t) ? Duration(t, "cluster.redis_timeout") : options.RedisTimeout;
            var lease = map.TryGetValue("lease_ttl", out var l) ? Duration(l, "cluster.lease_ttl") : options.LeaseTtl;
            if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromSeconds(10))
            {
                throw Error(t!, "cluster.redis_timeout", "must be between 1ms and 10s: the hot path waits this long on Redis at most.");
            }
            if (lease < TimeSpan.FromSeconds(3))
            {
                throw Error(l!, "cluster.lease_ttl", "must be at least 3s (leases are renewed every third of it).");
            }
            return options with
            {
                Instance = map.TryGetValue("instance", out var i) ? NonEmpty(i, "cluster.instance") : options.Instance,
                FailClosed = map.TryGetValue("fail_closed", out var fc) && Bool(fc, "cluster.fail_closed"),
                RedisTimeout = timeout,
                LeaseTtl = lease,
                KeyPrefix = map.TryGetValue("key_prefix", out var kp) ? NonEmpty(kp, "cluster.key_prefix") : options.KeyPrefix,
            };
        }

        private StorageOptions ReadStore(YamlNode node, Dictionary<string, YamlNode> map, string? instance)
        {
            var provider = map.TryGetValue("provider", out var p) ? Scalar(p, "storage.provider") : "sqlite";
            switch (provider)
            {
                case "sqlite":
                    return StorageOptions.Sqlite(map.TryGetValue("path", out var path) ? NonEmpty(path, "storage.path") : StorageOptions.DefaultPath);
                case "postgres" or "postgresql":
                    if (!map.TryGetValue("connection", out var c))
                    {
                        throw Error(node, "storage.connection", "'connection' is required for postgres: an Npgsql connection string.");
                    }
                    var connection = NonEmpty(c, "storage.connection");
                    try
                    {
                        _ = new Npgsql.NpgsqlConnectionStringBuilder(connection);
                    }
                    catch (ArgumentException ex)
                    {
                        throw Error(c, "storage.connection", $"not an Npgsql connection string: {ex.Message}");
                    }
                    return StorageOptions.Postgres(connection, instance);
                default:
                    throw Error(p!, "storage.provider", $"'{provider}' is not a store (sqlite, postgres).");
            }
        }

        private TelemetryOptions ReadTelemetry(YamlNode node)
        {
            var map = Map(node, "telemetry", "otlp_endpoint", "otlp_protocol", "service_name");
            Uri? endpoint = null;
            if (map.TryGetValue("otlp_endpoint", out var e) && Scalar(e, "telemetry.otlp_endpoint") is { Length: > 0 } text)
            {
                endpoint = Uri.TryCreate(text, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
                    ? parsed
                    : throw Error(e, "telemetry.otlp_endpoint", $"'{text}' is not an absolute http(s) URL.");
            }
            var protocol = map.TryGetValue("otlp_protocol", out var p) ? Scalar(p, "telemetry.otlp_protocol") : TelemetryOptions.Default.OtlpProtocol;
            if (protocol is not ("http/protobuf" or "grpc"))
            {
                throw Error(p!, "telemetry.otlp_protocol", $"'{protocol}' is not an OTLP protocol (http/protobuf, grpc).");
            }
            var service = map.TryGetValue("service_name", out var sn) ? NonEmpty(sn, "telemetry.service_name") : TelemetryOptions.Default.ServiceName;
            return new TelemetryOptions(endpoint, protocol, service);
        }

        private ServerOptions ReadServer(YamlNode node)
        {
            var map = Map(node, "server", "max_request_body", "urls", "request_log", "request_log_max_size", "log_bodies", "log_level", "limits", "trusted_proxies", "shutdown_timeout", "drain_delay");
            var max = map.TryGetValue("max_request_body", out var m) ? Size(m, "server.max_request_body") : ServerOptions.DefaultMaxRequestBodyBytes;
            var log = map.TryGetValue("request_log", out var l) ? Scalar(l, "server.request_log") : Observability.RequestLogOptions.DefaultPath;
            var level = LogLevel.Information;
            if (map.TryGetValue("log_level", out var ll))
            {
                var name = Scalar(ll, "server.log_level");
                level = Enum.TryParse<LogLevel>(name, ignoreCase: true, out var parsed) && parsed != LogLevel.None
                    ? parsed
                    : throw Error(ll, "server.log_level", $"'{name}' is not a log level (trace, debug, information, warning, error, critical).");
            }
            var limits = map.TryGetValue("limits", out var lim) ? ReadLimits(lim) : (Input: InputLimits.Default, Transport: TransportLimits.Default);
            var shutdown = map.TryGetValue("shutdown_timeout", out var st) ? Duration(st, "server.shutdown_timeout") : ServerOptions.DefaultShutdownTimeout;
            var drain = map.TryGetValue("drain_delay", out var dd) ? Duration(dd, "server.drain_delay") : TimeSpan.Zero;
            if (drain >= shutdown)
            {
                throw Error(dd!, "server.drain_delay", $"must be shorter than server.shutdown_timeout ({shutdown.TotalSeconds:0.#}s): the delay is part of it, and running requests need the rest.");
            }
            return new ServerOptions(max, map.TryGetValue("urls", out var u) ? Scalar(u, "server.urls") : null)
            {
                RequestLog = log is "off" or "" ? null : log,
                RequestLogMaxBytes = map.TryGetValue("request_log_max_size", out var rs) ? Size(rs, "server.request_log_max_size") : 64L * 1024 * 1024,
                LogBodies = map.TryGetValue("log_bodies", out var lb) && Bool(lb, "server.log_bodies"),
                LogLevel = level,
                Limits = limits.Input,
                Transport = limits.Transport,
                TrustedProxies = map.TryGetValue("trusted_proxies", out var tp)
                    ? [.. Seq(tp, "server.trusted_proxies").Select((n, i) => Network(n, $"server.trusted_proxies[{i}]"))]
                    : [],
                ShutdownTimeout = shutdown,
                DrainDelay = drain,
            };
        }

        /// <summary>An address (<c>10.0.0.7</c>) or a network in CIDR form (<c>10.0.0.0/8</c>, <c>fd00::/8</c>).</summary>
        private System.Net.IPNetwork Network(YamlNode node, string path)
        {
            var text = Scalar(node, path);
            if (System.Net.IPNetwork.TryParse(text, out var network))
            {
                return network;
            }
            return System.Net.IPAddress.TryParse(text, out var address)
                ? new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
                : throw Error(node, path, $"'{text}' is not an IP address or a CIDR network (e.g. 10.0.0.0/8).");
        }

        /// <summary><c>server.limits</c>: the body's shape (checked per request) and Kestrel's transport limits (read at start).</summary>
        private (InputLimits Input, TransportLimits Transport) ReadLimits(YamlNode node)
        {
            var map = Map(node, "server.limits", "json_depth", "messages", "parts", "tools", "string_length", "tool_schema",
                "header_size", "header_timeout", "min_body_rate", "body_rate_grace");
            var d = InputLimits.Default;
            var depth = map.TryGetValue("json_depth", out var jd) ? Int(jd, "server.limits.json_depth", 2) : d.JsonDepth;
            if (depth > InputLimits.MaxJsonDepth)
            {
                throw Error(jd!, "server.limits.json_depth", $"'{depth}' is deeper than the decoders go (at most {InputLimits.MaxJsonDepth}).");
            }
            var input = new InputLimits(
                depth,
                map.TryGetValue("messages", out var m) ? Int(m, "server.limits.messages", 1) : d.Messages,
                map.TryGetValue("parts", out var p) ? Int(p, "server.limits.parts", 1) : d.Parts,
                map.TryGetValue("tools", out var t) ? Int(t, "server.limits.tools", 1) : d.Tools,
                map.TryGetValue("string_length", out var sl) ? Size(sl, "server.limits.string_length") : d.StringBytes,
                map.TryGetValue("tool_schema", out var ts) ? Size(ts, "server.limits.tool_schema") : d.ToolSchemaBytes);
            var k = TransportLimits.Default;
            if (map.TryGetValue("body_rate_grace", out var grace) && Duration(grace, "server.limits.body_rate_grace") <= TimeSpan.FromSeconds(1))
            {
                throw Error(grace, "server.limits.body_rate_grace", "must be longer than 1s (Kestrel checks rates once a second).");
            }
            var transport = new TransportLimits(
                map.TryGetValue("header_size", out var hs) ? Size(hs, "server.limits.header_size") : k.HeaderBytes,
                map.TryGetValue("header_timeout", out var ht) ? Duration(ht, "server.limits.header_timeout") : k.HeaderTimeout,
                map.TryGetValue("min_body_rate", out var r) ? Int(r, "server.limits.min_body_rate", 0) : k.MinBodyRate,
                grace is not null ? Duration(grace, "server.limits.body_rate_grace") : k.BodyRateGrace);
            return (input, transport);
        }

        private AuthOptions ReadAuth(YamlNode node)
        {
            var map = Map(node, "auth", "keys", "admin_key", "jwt");
            var admin = map.TryGetValue("admin_key", out var a) ? NonEmpty(a, "auth.admin_key") : null;
            var list = map.TryGetValue("keys", out var keys)
                ? Seq(keys, "auth.keys").Select((k, i) => Scalar(k, $"auth.keys[{i}]")).Where(k => k.Length > 0).ToImmutableArray()
                : [];
            return new AuthOptions(list, admin) { Jwt = map.TryGetValue("jwt", out var jwt) ? ReadJwt(jwt) : null };
        }

        private static readonly string[] JwtKeySources = ["hs256_secret", "public_keys", "jwks_file"];

        /// <summary><c>auth.jwt</c>: the issuer, the audience, one way to know the signing keys, and the claims to read.</summary>
        private JwtOptions ReadJwt(YamlNode node)
        {
            const string path = "auth.jwt";
            var map = Map(node, path, "issuer", "audience", "hs256_secret", "public_keys", "jwks_file", "tenant_claim", "user_claim", "role_claim", "clock_skew");
            var sources = JwtKeySources.Where(map.ContainsKey).ToList();
            if (sources.Count != 1)
            {
                throw Error(node, path, $"give exactly one of hs256_secret, public_keys (PEM files) or jwks_file{(sources.Count > 1 ? $", not {string.Join(" and ", sources)}" : "")}.");
            }
            var keys = ImmutableArray.CreateBuilder<Microsoft.IdentityModel.Tokens.SecurityKey>();
            string? secret = null;
            if (map.TryGetValue("hs256_secret", out var s))
            {
                secret = NonEmpty(s, path + ".hs256_secret");
                if (System.Text.Encoding.UTF8.GetByteCount(secret) < 32)
                {
                    throw Error(s, path + ".hs256_secret", "an HS256 secret must be at least 32 bytes (256 bits).");
                }
                keys.Add(new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(secret)));
            }
            if (map.TryGetValue("public_keys", out var pems))
            {
                var i = 0;
                foreach (var pem in Seq(pems, path + ".public_keys"))
                {
                    keys.Add(ReadPublicKey(pem, $"{path}.public_keys[{i++}]"));
                }
            }
            if (map.TryGetValue("jwks_file", out var jwks))
            {
                var file = NonEmpty(jwks, path + ".jwks_file");
                try
                {
                    keys.AddRange(new Microsoft.IdentityModel.Tokens.JsonWebKeySet(File.ReadAllText(file)).GetSigningKeys());
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or System.Text.Json.JsonException)
                {
                    throw Error(jwks, path + ".jwks_file", $"'{file}' is not a readable JWKS file: {ex.Message}");
                }
            }
            if (keys.Count == 0)
            {
                throw Error(node, path, "no signing key: the list or the JWKS file is empty.");
            }
            string Claim(string key, string fallback) => map.TryGetValue(key, out var v) ? NonEmpty(v, $"{path}.{key}") : fallback;
            return new JwtOptions(Required(map, node, path, "issuer"), map.TryGetValue("audience", out var aud) ? NonEmpty(aud, path + ".audience") : null, keys.ToImmutable())
            {
                Secret = secret,
                TenantClaim = Claim("tenant_claim", "tenant"),
                UserClaim = Claim("user_claim", "sub"),
                RoleClaim = Claim("role_claim", "role"),
                ClockSkew = map.TryGetValue("clock_skew", out var skew) ? Duration(skew, path + ".clock_skew") : TimeSpan.FromSeconds(30),
            };
        }

        /// <summary>An RSA or EC public key from a PEM file.</summary>
        private Microsoft.IdentityModel.Tokens.SecurityKey ReadPublicKey(YamlNode node, string path)
        {
            var file = NonEmpty(node, path);
            string pem;
            try
            {
                pem = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Error(node, path, $"cannot read '{file}': {ex.Message}");
            }
            try
            {
                var rsa = System.Security.Cryptography.RSA.Create();
                rsa.ImportFromPem(pem);
                return new Microsoft.IdentityModel.Tokens.RsaSecurityKey(rsa);
            }
            catch (Exception ex) when (ex is ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                try
                {
                    var ec = System.Security.Cryptography.ECDsa.Create();
                    ec.ImportFromPem(pem);
                    return new Microsoft.IdentityModel.Tokens.ECDsaSecurityKey(ec);
                }
                catch (Exception ex2) when (ex2 is ArgumentException or System.Security.Cryptography.CryptographicException)
                {
                    throw Error(node, path, $"'{file}' holds no RSA or EC public key in PEM form.");
                }
            }
        }

        public ProviderConfig ReadProvider(YamlNode node, string path, bool keysRequired = true)
        {
            var map = Map(node, path, "name", "type", "base_url", "keys", "auth", "auth_header", "auth_format", "headers",
                "connect_timeout", "first_byte_timeout", "idle_timeout", "max_tokens_field", "max_output_tokens",
                "default_max_tokens", "reasoning_effort", "anthropic_version", "preset", "api_version", "deployments",
                "key_strategy", "max_failures", "failure_cooldown", "key_affinity", "big_model", "small_model");
            var name = Required(map, node, path, "name");
            var typeNode = map.GetValueOrDefault("type") ?? throw Error(node, path, "'type' is required (openai | openai-responses | anthropic | gemini | azure-openai | mock).");
            var type = Scalar(typeNode, path + ".type");
            var kind = type switch
            {
                "openai" => ProviderKind.OpenAI,
                "anthropic" => ProviderKind.Anthropic,
                "gemini" => ProviderKind.Gemini,
                "azure-openai" => ProviderKind.AzureOpenAI,
                "openai-responses" => ProviderKind.OpenAIResponses,
                "mock" => ProviderKind.Mock,
                _ => throw Error(typeNode, path + ".type", $"unknown provider type '{type}'; expected one of openai, openai-responses, anthropic, gemini, azure-openai, mock."),
            };
            OpenAIPreset? preset = null;
            if (map.TryGetValue("preset", out var presetNode))
            {
                var presetName = Scalar(presetNode, path + ".preset");
                if (kind != ProviderKind.OpenAI)
                {
                    throw Error(presetNode, path + ".preset", "presets apply to type: openai only.");
                }
                preset = OpenAIPreset.Find(presetName) ?? throw Error(presetNode, path + ".preset", $"unknown preset '{presetName}'; expected one of {string.Join(", ", OpenAIPreset.Names)}.");
            }
            if (kind == ProviderKind.AzureOpenAI && !map.ContainsKey("base_url"))
            {
                throw Error(node, path + ".base_url", "azure-openai needs base_url (https://<resource>.openai.azure.com).");
            }
            var baseUrl = kind switch
            {
                ProviderKind.OpenAI => preset?.BaseUrl ?? "https://api.openai.com/v1",
                ProviderKind.OpenAIResponses => "https://api.openai.com/v1",
                ProviderKind.Anthropic => "https://api.anthropic.com",
                ProviderKind.Gemini => "https://generativelanguage.googleapis.com",
                _ => "http://mock.invalid",
            };
            if (map.TryGetValue("base_url", out var bu))
            {
                baseUrl = Scalar(bu, path + ".base_url");
                if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
                {
                    throw Error(bu, path + ".base_url", $"'{baseUrl}' is not an absolute http(s) URL.");
                }
            }
            var keys = map.TryGetValue("keys", out var k) ? ReadKeys(k, path + ".keys") : [];
            if (keys.Length == 0 && preset is { KeyOptional: true })
            {
                keys = [new UpstreamKey("", 1, 3, TimeSpan.FromSeconds(60), true)]; // local servers need no key: no auth header is sent
            }
            if (keys.Length == 0 && kind != ProviderKind.Mock && keysRequired)
            {
                throw Error(node, path + ".keys", $"provider '{name}' needs at least one API key in 'keys'.");
            }
            var auth = UpstreamAuthScheme.Default;
            if (map.TryGetValue("auth", out var an))
            {
                auth = Scalar(an, path + ".auth") switch
                {
                    "bearer" => UpstreamAuthScheme.Bearer,
                    "x-api-key" => UpstreamAuthScheme.ApiKeyHeader,
                    "header" => UpstreamAuthScheme.CustomHeader,
                    var other => throw Error(an, path + ".auth", $"unknown auth '{other}'; expected bearer, x-api-key or header."),
                };
            }
            var authHeader = map.TryGetValue("auth_header", out var ah) ? Scalar(ah, path + ".auth_header") : null;
            if (auth == UpstreamAuthScheme.CustomHeader && authHeader is null)
            {
                throw Error(node, path + ".auth_header", "'auth: header' needs 'auth_header' (the header name).");
            }
            var headers = ImmutableDictionary<string, string>.Empty;
            if (map.TryGetValue("headers", out var hn))
            {
                headers = (hn as YamlMappingNode ?? throw Error(hn, path + ".headers", "must be a mapping of header names to values."))
                    .Children.ToImmutableDictionary(kv => Scalar(kv.Key, path + ".headers"), kv => Scalar(kv.Value, path + ".headers"), StringComparer.OrdinalIgnoreCase);
            }
            var maxField = map.TryGetValue("max_tokens_field", out var mf) ? Scalar(mf, path + ".max_tokens_field") : preset?.MaxTokensField ?? "max_completion_tokens";
            if (maxField is not ("max_tokens" or "max_completion_tokens"))
            {
                throw Error(mf!, path + ".max_tokens_field", "must be max_tokens or max_completion_tokens.");
            }
            return new ProviderConfig
            {
                Name = name,
                Kind = kind,
                BaseUrl = new Uri(baseUrl.TrimEnd('/') + "/"),
                Keys = keys,
                Auth = auth,
                AuthHeader = authHeader,
                AuthFormat = map.TryGetValue("auth_format", out var af) ? Scalar(af, path + ".auth_format") : "{key}",
                Headers = headers,
                ConnectTimeout = map.TryGetValue("connect_timeout", out var ct) ? Duration(ct, path + ".connect_timeout") : TimeSpan.FromSeconds(10),
                FirstByteTimeout = map.TryGetValue("first_byte_timeout", out var fb) ? Duration(fb, path + ".first_byte_timeout") : TimeSpan.FromSeconds(120),
                IdleTimeout = map.TryGetValue("idle_timeout", out var it) ? Duration(it, path + ".idle_timeout") : TimeSpan.FromSeconds(120),
                MaxTokensField = maxField,
                MaxOutputTokens = map.TryGetValue("max_output_tokens", out var mo) ? Int(mo, path + ".max_output_tokens", 1) : null,
                DefaultMaxTokens = map.TryGetValue("default_max_tokens", out var dm) ? Int(dm, path + ".default_max_tokens", 1) : 8192,
                SendReasoningEffort = map.TryGetValue("reasoning_effort", out var re) && Bool(re, path + ".reasoning_effort"),
                AnthropicVersion = map.TryGetValue("anthropic_version", out var av) ? Scalar(av, path + ".anthropic_version") : "2023-06-01",
                KeyStrategy = map.TryGetValue("key_strategy", out var ks) ? KeyStrategyName(ks, path + ".key_strategy") : "round_robin",
                MaxFailures = map.TryGetValue("max_failures", out var pmf) ? Int(pmf, path + ".max_failures", 1) : 3,
                FailureCooldown = map.TryGetValue("failure_cooldown", out var fc) ? Duration(fc, path + ".failure_cooldown") : TimeSpan.FromSeconds(60),
                KeyAffinity = map.TryGetValue("key_affinity", out var ka) && Bool(ka, path + ".key_affinity"),
                BigModel = map.TryGetValue("big_model", out var pbm) ? Scalar(pbm, path + ".big_model") : null,
                SmallModel = map.TryGetValue("small_model", out var psm) ? Scalar(psm, path + ".small_model") : null,
                ApiVersion = map.TryGetValue("api_version", out var apiv) ? Scalar(apiv, path + ".api_version") : "2024-10-21",
                Deployments = map.TryGetValue("deployments", out var dn)
                    ? (dn as YamlMappingNode ?? throw Error(dn, path + ".deployments", "must be a mapping of model names to deployment names."))
                        .Children.ToImmutableDictionary(kv => Scalar(kv.Key, path + ".deployments"), kv => Scalar(kv.Value, path + ".deployments"), StringComparer.Ordinal)
                    : ImmutableDictionary<string, string>.Empty,
            };
        }

        private string KeyStrategyName(YamlNode node, string path)
        {
            var name = Scalar(node, path);
            return Keys.KeySelectionStrategies.Names.Contains(name)
                ? name
                : throw Error(node, path, $"unknown key strategy '{name}'; expected one of {string.Join(", ", Keys.KeySelectionStrategies.Names)}.");
        }

        public ImmutableArray<UpstreamKey> ReadKeys(YamlNode node, string path)
        {
            var list = ImmutableArray.CreateBuilder<UpstreamKey>();
            var i = 0;
            foreach (var item in Seq(node, path))
            {
                list.Add(ReadKey(item, $"{path}[{i++}]"));
            }
            return list.ToImmutable();
        }

        /// <summary>A key: its secret alone, or {key, weight?, max_failures?, cooldown?, enabled?}.</summary>
        public UpstreamKey ReadKey(YamlNode item, string p)
        {
            if (item is YamlScalarNode)
            {
                return new UpstreamKey(NonEmpty(item, p), 1, 3, TimeSpan.FromSeconds(60), true);
            }
            var map = Map(item, p, "key", "weight", "max_failures", "cooldown", "enabled");
            return new UpstreamKey(
                NonEmpty(map.GetValueOrDefault("key") ?? throw Error(item, p + ".key", "'key' is required."), p + ".key"),
                map.TryGetValue("weight", out var w) ? Int(w, p + ".weight", 0) : 1,
                map.TryGetValue("max_failures", out var mf) ? Int(mf, p + ".max_failures", 1) : 3,
                map.TryGetValue("cooldown", out var c) ? Duration(c, p + ".cooldown") : TimeSpan.FromSeconds(60),
                !map.TryGetValue("enabled", out var e) || Bool(e, p + ".enabled"));
        }

        public RouteConfig ReadRoute(YamlNode node, string path, IReadOnlyDictionary<string, ProviderConfig> providers)
        {
            var map = Map(node, path, "model", "targets", "strategy", "keywords", "aliases", "default", "mode", "retry", "big_model", "small_model", "rules");
            var isDefault = map.TryGetValue("default", out var dn) && Bool(dn, path + ".default");
            var keywords = map.TryGetValue("keywords", out var kn) ? Seq(kn, path + ".keywords").Select((k, i) => NonEmpty(k, $"{path}.keywords[{i}]")).ToImmutableArray() : [];
            var model = map.ContainsKey("model") || (!isDefault && keywords.IsEmpty) ? Required(map, node, path, "model") : "";
            var targets = ReadTargets(map.GetValueOrDefault("targets") ?? throw Error(node, path, "'targets' is required: list the providers that serve this model."),
                path + ".targets", providers);
            var strategy = map.TryGetValue("strategy", out var sn) ? ReadStrategy(sn, path + ".strategy") : "failover";
            var mode = RouteMode.Transformer;
            if (map.TryGetValue("mode", out var mn))
            {
                mode = Scalar(mn, path + ".mode") switch
                {
                    "direct" => RouteMode.Direct,
                    "transformer" => RouteMode.Transformer,
                    var other => throw Error(mn, path + ".mode", $"unknown mode '{other}'; expected direct or transformer."),
                };
                if (mode == RouteMode.Direct && targets.Any(t => t.Patch is not null))
                {
                    throw Error(mn, path + ".mode", "a direct route forwards bytes untouched: it cannot patch requests.");
                }
            }
            var route = new RouteConfig(model, targets)
            {
                Strategy = strategy,
                Keywords = keywords,
                Aliases = map.TryGetValue("aliases", out var an) ? Seq(an, path + ".aliases").Select((a, j) => NonEmpty(a, $"{path}.aliases[{j}]")).ToImmutableArray() : [],
                IsDefault = isDefault,
                Mode = mode,
                Retry = map.TryGetValue("retry", out var rn) ? ReadRetry(rn, path + ".retry") : RetryPolicy.Default,
                BigModel = map.TryGetValue("big_model", out var bm) ? Scalar(bm, path + ".big_model") : null,
                SmallModel = map.TryGetValue("small_model", out var sm) ? Scalar(sm, path + ".small_model") : null,
            };
            if (!map.TryGetValue("rules", out var rulesNode))
            {
                return route;
            }
            var rules = ImmutableArray.CreateBuilder<RouteRule>();
            var r = 0;
            foreach (var ruleNode in Seq(rulesNode, path + ".rules"))
            {
                var rp = $"{path}.rules[{r++}]";
                var rm = Map(ruleNode, rp, "when", "targets", "strategy");
                var when = ReadConditions(rm.GetValueOrDefault("when") ?? throw Error(ruleNode, rp, "'when' is required: say which requests this rule takes."), rp + ".when");
                var ruleTargets = ReadTargets(rm.GetValueOrDefault("targets") ?? throw Error(ruleNode, rp, "'targets' is required: list the providers that serve these requests."),
                    rp + ".targets", providers);
                if (mode == RouteMode.Direct && ruleTargets.Any(t => t.Patch is not null))
                {
                    throw Error(ruleNode, rp + ".targets", "a direct route forwards bytes untouched: it cannot patch requests.");
                }
                rules.Add(new RouteRule(when, route with
                {
                    Targets = ruleTargets,
                    Strategy = rm.TryGetValue("strategy", out var rs) ? ReadStrategy(rs, rp + ".strategy") : strategy,
                }));
            }
            return route with { Rules = rules.ToImmutable() };
        }

        private ImmutableArray<RouteTarget> ReadTargets(YamlNode targetsNode, string path, IReadOnlyDictionary<string, ProviderConfig> providers)
        {
            var targets = ImmutableArray.CreateBuilder<RouteTarget>();
            var i = 0;
            foreach (var t in Seq(targetsNode, path))
            {
                var p = $"{path}[{i++}]";
                var tm = Map(t, p, "provider", "model", "weight", "priority", "patch");
                var provider = Required(tm, t, p, "provider");
                if (!providers.ContainsKey(provider))
                {
                    throw Error(tm["provider"], p + ".provider", $"unknown provider '{provider}'; defined providers: {string.Join(", ", providers.Keys)}.");
                }
                targets.Add(new RouteTarget(provider, tm.TryGetValue("model", out var m) ? Scalar(m, p + ".model") : null)
                {
                    Weight = tm.TryGetValue("weight", out var w) ? Int(w, p + ".weight", 0) : 1,
                    Priority = tm.TryGetValue("priority", out var pr) ? Int(pr, p + ".priority", 0) : 0,
                    Patch = tm.TryGetValue("patch", out var pn) ? ReadPatch(pn, p + ".patch") : null,
                });
            }
            if (targets.Count == 0)
            {
                throw Error(targetsNode, path, "list at least one target.");
            }
            return targets.ToImmutable();
        }

        private string ReadStrategy(YamlNode node, string path)
        {
            var strategy = Scalar(node, path);
            return Routing.TargetSelectionStrategies.Names.Contains(strategy)
                ? strategy
                : throw Error(node, path, $"unknown strategy '{strategy}'; expected one of {string.Join(", ", Routing.TargetSelectionStrategies.Names)}.");
        }

        private RuleConditions ReadConditions(YamlNode node, string path)
        {
            var map = Map(node, path, "thinking", "min_input_tokens", "tools_include", "background", "client");
            if (map.Count == 0)
            {
                throw Error(node, path, "name at least one condition: thinking, min_input_tokens, tools_include, background or client.");
            }
            string? client = null;
            if (map.TryGetValue("client", out var cn))
            {
                client = Scalar(cn, path + ".client");
                if (!RuleConditions.Clients.Contains(client))
                {
                    throw Error(cn, path + ".client", $"unknown client '{client}'; expected one of {string.Join(", ", RuleConditions.Clients)}.");
                }
            }
            return new RuleConditions
            {
                Thinking = map.TryGetValue("thinking", out var th) ? Bool(th, path + ".thinking") : null,
                MinInputTokens = map.TryGetValue("min_input_tokens", out var mi) ? Int(mi, path + ".min_input_tokens", 1) : null,
                ToolsInclude = map.TryGetValue("tools_include", out var ti) ? NonEmpty(ti, path + ".tools_include") : null,
                Background = map.TryGetValue("background", out var bg) ? Bool(bg, path + ".background") : null,
                Client = client,
            };
        }

        private RequestPatch ReadPatch(YamlNode node, string path)
        {
            var map = Map(node, path, "max_tokens", "reasoning_effort", "drop");
            return new RequestPatch(
                map.TryGetValue("max_tokens", out var mt) ? Int(mt, path + ".max_tokens", 1) : null,
                map.TryGetValue("reasoning_effort", out var re) ? Scalar(re, path + ".reasoning_effort") : null,
                map.TryGetValue("drop", out var d) ? Seq(d, path + ".drop").Select((x, i) => NonEmpty(x, $"{path}.drop[{i}]")).ToImmutableArray() : []);
        }

        private RetryPolicy ReadRetry(YamlNode node, string path)
        {
            var map = Map(node, path, "max_retries", "statuses", "backoff", "max_backoff", "deadline");
            var d = RetryPolicy.Default;
            return new RetryPolicy(
                map.TryGetValue("max_retries", out var mr) ? Int(mr, path + ".max_retries", 0) : d.MaxRetries,
                map.TryGetValue("statuses", out var st) ? Seq(st, path + ".statuses").Select((x, i) => Int(x, $"{path}.statuses[{i}]", 100)).ToFrozenSet() : d.Statuses,
                map.TryGetValue("backoff", out var bo) ? Duration(bo, path + ".backoff") : d.Backoff,
                map.TryGetValue("max_backoff", out var mb) ? Duration(mb, path + ".max_backoff") : d.MaxBackoff,
                map.TryGetValue("deadline", out var dl) ? Duration(dl, path + ".deadline") : d.Deadline);
        }

        private Dictionary<string, YamlNode> Map(YamlNode node, string path, params string[] allowed)
        {
            if (node is not YamlMappingNode mapping)
            {
                throw Error(node, path, "must be a mapping (key: value).");
            }
            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = ((YamlScalarNode)keyNode).Value ?? "";
                if (!allowed.Contains(key))
                {
                    var where = path.Length == 0 ? "the top level" : $"'{path}'";
                    throw Error(keyNode, path.Length == 0 ? key : $"{path}.{key}", $"unknown key '{key}' in {where}; allowed keys: {string.Join(", ", allowed)}.");
                }
                result[key] = value;
            }
            return result;
        }

        private IEnumerable<YamlNode> Seq(YamlNode node, string path) =>
            node as YamlSequenceNode ?? throw Error(node, path, "must be a list.");

        private string Required(Dictionary<string, YamlNode> map, YamlNode owner, string path, string key) =>
            map.TryGetValue(key, out var v) ? NonEmpty(v, $"{path}.{key}") : throw Error(owner, $"{path}.{key}", $"'{key}' is required.");

        private string NonEmpty(YamlNode node, string path)
        {
            var s = Scalar(node, path);
            return s.Length > 0 ? s : throw Error(node, path, "must not be empty.");
        }

        private string Scalar(YamlNode node, string path)
        {
            if (node is not YamlScalarNode scalar)
            {
                throw Error(node, path, "must be a single value.");
            }
            var raw = scalar.Value ?? "";
            if (literal || env is null)
            {
                return raw;
            }
            return EnvPattern().Replace(raw, m =>
            {
                var name = m.Groups["name"].Value;
                var value = env(name);
                if (!string.IsNullOrEmpty(value))
                {
                    return value;
                }
                return m.Groups["default"].Success ? m.Groups["default"].Value : throw Error(node, path, $"environment variable '{name}' is not set.");
            });
        }

        private int Int(YamlNode node, string path, int min) => (int)Long(node, path, min, int.MaxValue);

        private long Long(YamlNode node, string path, long min, long max = long.MaxValue)
        {
            var s = Scalar(node, path);
            return long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
                ? v
                : throw Error(node, path, $"'{s}' is not a whole number ≥ {min}.");
        }

        private bool Bool(YamlNode node, string path) => Scalar(node, path) switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            var s => throw Error(node, path, $"'{s}' is not true or false."),
        };

        private TimeSpan Duration(YamlNode node, string path)
        {
            var s = Scalar(node, path);
            var m = DurationPattern().Match(s);
            if (!m.Success)
            {
                throw Error(node, path, $"'{s}' is not a duration (e.g. 500ms, 30s, 5m, 1h).");
            }
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var seconds = n * m.Groups[2].Value switch { "ms" => 0.001, "m" => 60, "h" => 3600, _ => 1 };
            return seconds <= MaxDurationSeconds
                ? TimeSpan.FromSeconds(seconds)
                : throw Error(node, path, $"'{s}' is longer than any timeout or cooldown needs (at most 365 days).");
        }

        private const double MaxDurationSeconds = 365 * 24 * 3600;

        private long Size(YamlNode node, string path)
        {
            var s = Scalar(node, path);
            var m = SizePattern().Match(s);
            if (!m.Success)
            {
                throw Error(node, path, $"'{s}' is not a size (e.g. 1048576, 512KB, 32MB).");
            }
            var unit = m.Groups[2].Value.ToUpperInvariant() switch
            {
                "KB" or "K" => 1024L,
                "MB" or "M" => 1024L * 1024,
                "GB" or "G" => 1024L * 1024 * 1024,
                _ => 1L,
            };
            return long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= MaxSizeBytes / unit
                ? n * unit
                : throw Error(node, path, $"'{s}' is larger than any limit needs (at most 1024GB).");
        }

        private const long MaxSizeBytes = 1024L * 1024 * 1024 * 1024;

        private ConfigException Error(YamlNode node, string path, string problem)
        {
            path = path.TrimStart('.'); // an object read at the top of a request body: "base_url", not ".base_url"
            var where = path.Length > 0 ? $" {path}:" : "";
            return literal
                ? new ConfigException(path.Length > 0 ? $"{path}: {problem}" : problem, path)
                : new ConfigException($"{source}:{node.Start.Line}:{node.Start.Column}:{where} {problem}", path);
        }

        [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(:-(?<default>[^}]*))?\}")]
        private static partial Regex EnvPattern();

        [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")]
        private static partial Regex DurationPattern();

        [GeneratedRegex(@"^\s*(\d+)\s*([KMG]B?|B)?\s*$", RegexOptions.IgnoreCase)]
        private static partial Regex SizePattern();
    }
}
