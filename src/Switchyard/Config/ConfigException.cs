namespace Switchyard.Config;

/// <summary>An invalid configuration: the message names the file, the line and the problem.</summary>
/// <param name="Field">The key path that is wrong (e.g. <c>providers[0].base_url</c>), when there is one.</param>
internal sealed class ConfigException(string message, string? field = null) : Exception(message)
{
    public string? Field { get; } = field;
}
