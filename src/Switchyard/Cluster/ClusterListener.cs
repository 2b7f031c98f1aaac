using System.Globalization;
using StackExchange.Redis;
using Switchyard.Config;
using Switchyard.Keys;
using Switchyard.Routing;
using Switchyard.Tenancy;

namespace Switchyard.Cluster;

/// <summary>
/// Applies what the cluster's other instances tell (<see cref="RedisNotices"/>), in the order they told it: a resting
/// or rejected key, a key switched by an operator, a cooling provider, a changed overlay or tenancy. At start it also
/// reads the rests still running, so a new instance does not learn each one from its own 429.
/// </summary>
internal sealed partial class ClusterListener(RedisHotState redis, RedisNotices notices, RedisLimits limits, ConfigHolder config, ConfigChanges changes, VirtualKeys virtualKeys,
    IKeyStateStore keyStates, IProviderHealthStore health, ILogger<ClusterListener> logger) : IHostedService
{
    private ChannelMessageQueue? _queue;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _queue = await redis.Subscriber.SubscribeAsync(notices.Channel).ConfigureAwait(false);
            _queue.OnMessage(OnMessageAsync);
            await ReadRestsAsync().ConfigureAwait(false);
            await limits.WarmUpAsync().ConfigureAwait(false);
        }
        catch (RedisException ex)
        {
            // Redis is down at start: StackExchange.Redis subscribes again when it reconnects; rests are learnt as they happen.
            LogNotListening(logger, ex.Message);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_queue is not null)
        {
            await _queue.UnsubscribeAsync().ConfigureAwait(false);
        }
    }

    private async Task ReadRestsAsync()
    {
        var db = redis.Database;
        foreach (var server in redis.Servers)
        {
            await foreach (var key in server.KeysAsync(db.Database, notices.RestKeyPrefix + "*").ConfigureAwait(false))
            {
                if (await db.StringGetAsync(key).ConfigureAwait(false) is { HasValue: true } value && long.TryParse(value.ToString(), CultureInfo.InvariantCulture, out var ms))
                {
                    var name = key.ToString()[notices.RestKeyPrefix.Length..];
                    var until = DateTimeOffset.FromUnixTimeMilliseconds(ms);
                    if (name.StartsWith("key:", StringComparison.Ordinal) && name[4..].Split(RedisNotices.Separator) is [var provider, var id])
                    {
                        WithKey(provider, id, (_, state) => state.Exhausted(until));
                    }
                    else if (name.StartsWith("provider:", StringComparison.Ordinal))
                    {
                        health.Get(name["provider:".Length..]).RestUntil(until);
                    }
                }
            }
        }
    }

    private async Task OnMessageAsync(ChannelMessage message)
    {
        var fields = message.Message.ToString().Split(RedisNotices.Separator);
        if (fields.Length < 2 || fields[0] == notices.Sender)
        {
            return; // our own
        }
        try
        {
            switch (fields[1..])
            {
                case ["key-rest", var provider, var id, var ms] when long.TryParse(ms, CultureInfo.InvariantCulture, out var until):
                    WithKey(provider, id, (_, state) => state.Exhausted(DateTimeOffset.FromUnixTimeMilliseconds(until)));
                    break;
                case ["key-rejected", var provider, var id, var reason]:
                    WithKey(provider, id, (_, state) => state.Disable(reason));
                    break;
                case ["key-enabled" or "key-disabled", var provider, var id]:
                    WithKey(provider, id, (key, _) => changes.SwitchKey(provider, key, fields[1] == "key-enabled"));
                    break;
                case ["provider-rest", var provider, var ms] when long.TryParse(ms, CultureInfo.InvariantCulture, out var until):
                    health.Get(provider).RestUntil(DateTimeOffset.FromUnixTimeMilliseconds(until));
                    break;
                case ["config"]:
                    await changes.LoadAsync(CancellationToken.None).ConfigureAwait(false);
                    break;
                case ["tenancy"]:
                    await virtualKeys.LoadAsync(CancellationToken.None).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The store may be down for a moment: the next notice (or a restart) reads it again; the instance keeps serving.
            LogNoticeFailed(logger, fields[1], ex.Message);
        }
    }

    private void WithKey(string provider, string id, Action<UpstreamKey, KeyState> apply)
    {
        if (config.Current.Config.Providers.TryGetValue(provider, out var p))
        {
            foreach (var key in p.Keys)
            {
                if (RedisNotices.KeyId(key) == id)
                {
                    apply(key, keyStates.Get(provider, key));
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not listening to the cluster's notices yet: {Reason}")]
    private static partial void LogNotListening(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A cluster notice ({Kind}) could not be applied: {Reason}")]
    private static partial void LogNoticeFailed(ILogger logger, string kind, string reason);
}
