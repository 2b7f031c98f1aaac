namespace Switchyard.Protocols.Canonical;

/// <summary>FNV-1a over a string's UTF-16 code units: stable across processes and runs (unlike string.GetHashCode).</summary>
public static class StableHash
{
    public static uint Fnv1a32(string s)
    {
        var hash = 2166136261u;
        foreach (var ch in s)
        {
            hash = (hash ^ ch) * 16777619u;
        }
        return hash;
    }

    public static ulong Fnv1a64(string s)
    {
        var hash = 14695981039346656037UL;
        foreach (var ch in s)
        {
            hash = (hash ^ ch) * 1099511628211UL;
        }
        return hash;
    }
}
