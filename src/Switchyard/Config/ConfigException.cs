namespace Switchyard.Config;

/// <summary>An invalid configuration: the message names the file, the line and the problem.</summary>
internal sealed class ConfigException(string message) : Exception(message);
