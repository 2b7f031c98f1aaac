namespace Switchyard.Inbound;

/// <summary>Request ids: a per-process random prefix and a counter — unique, cheap, and sortable within a process.</summary>
internal static class RequestIds
{
    private static readonly string Prefix = "req_" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
    private static long _counter;

    public static string Next() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Prefix}{Interlocked.Increment(ref _counter):x10}");
}
