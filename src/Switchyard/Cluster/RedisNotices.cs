using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;
using Switchyard.Config;

namespace Switchyard.Cluster;

/// <summary>
/// Notices published on the cluster's channel (<c>{prefix}:events</c>), one line each: <c>instance|kind|fields…</c>.
/// Rests are also kept as keys that expire with them, so an instance that starts later learns the ones still running.
/// Keys are named by a hash of their secret, never the secret.
/// </summary>
internal sealed class RedisNotices(RedisHotState redis) : IClusterNotices
{
    public const char Separator = '\u001f'; // unit separator: never in a provider name, a reason, a number

    public RedisChannel Channel { get; } = RedisChannel.Literal(redis.Key("events"));

    /// <summary>Distinguishes this process from another with the same instance name (a restart, a second one on the machine).</summary>
    public string Sender { get; } = $"{redis.Options.Instance}#{Environment.ProcessId}.{RandomNumberGenerator.GetHexString(6, lowercase: true)}";

    public static string KeyId(UpstreamKey key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.Secret)))[..16];

    public string RestKeyPrefix => redis.Key("rest:");

    public void KeyResting(string provider, UpstreamKey key, DateTimeOffset until)
    {
        var id = KeyId(key);
        var ms = until.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        redis.Write(async db =>
        {
            await db.StringSetAsync(redis.Key($"rest:key:{provider}{Separator}{id}"), ms, Expiration(until)).ConfigureAwait(false);
            await db.PublishAsync(Channel, Line("key-rest", provider, id, ms)).ConfigureAwait(false);
        });
    }

    public void KeyRejected(string provider, UpstreamKey key, string reason) =>
        Publish(Line("key-rejected", provider, KeyId(key), reason));

    public void ProviderResting(string provider, DateTimeOffset until)
    {
        var ms = until.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        redis.Write(async db =>
        {
            await db.StringSetAsync(redis.Key($"rest:provider:{provider}"), ms, Expiration(until)).ConfigureAwait(false);
            await db.PublishAsync(Channel, Line("provider-rest", provider, ms)).ConfigureAwait(false);
        });
    }

    public void KeySwitched(string provider, UpstreamKey key, bool enabled) =>
        Publish(Line(enabled ? "key-enabled" : "key-disabled", provider, KeyId(key)));

    public void ConfigChanged() => Publish(Line("config"));

    public void TenancyChanged() => Publish(Line("tenancy"));

    private void Publish(string line) => redis.Write(db => db.PublishAsync(Channel, line));

    private string Line(params string[] fields) => string.Join(Separator, [Sender, .. fields]);

    private static TimeSpan Expiration(DateTimeOffset until) => TimeSpan.FromMilliseconds(Math.Max(1, (until - DateTimeOffset.UtcNow).TotalMilliseconds));
}
