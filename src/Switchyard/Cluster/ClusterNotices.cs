using Switchyard.Config;

namespace Switchyard.Cluster;

/// <summary>
/// What one instance tells the others the moment it happens: an upstream key rests (a 429 with its retry-after) or was
/// rejected, a provider cools down, the config overlay or the tenants changed. In single mode nobody listens.
/// </summary>
internal interface IClusterNotices
{
    void KeyResting(string provider, UpstreamKey key, DateTimeOffset until);
    void KeyRejected(string provider, UpstreamKey key, string reason);
    void KeySwitched(string provider, UpstreamKey key, bool enabled);
    void ProviderResting(string provider, DateTimeOffset until);
    void ConfigChanged();
    void TenancyChanged();
}

/// <summary>Single mode: one instance, nothing to tell.</summary>
internal sealed class NoClusterNotices : IClusterNotices
{
    public static readonly NoClusterNotices Instance = new();

    public void KeyResting(string provider, UpstreamKey key, DateTimeOffset until) { }
    public void KeyRejected(string provider, UpstreamKey key, string reason) { }
    public void KeySwitched(string provider, UpstreamKey key, bool enabled) { }
    public void ProviderResting(string provider, DateTimeOffset until) { }
    public void ConfigChanged() { }
    public void TenancyChanged() { }
}
