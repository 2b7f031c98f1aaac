using Switchyard.Protocols.Canonical;

namespace Switchyard.Observability;

/// <summary>A client protocol's lowercase name as logs, rows and metric labels spell it (made once, not per request).</summary>
internal static class WireNames
{
    private static readonly string[] Names = [.. Enum.GetValues<WireProtocol>().Select(p => p.ToString().ToLowerInvariant())];

    public static string Of(WireProtocol wire) => Names[(int)wire];
}
