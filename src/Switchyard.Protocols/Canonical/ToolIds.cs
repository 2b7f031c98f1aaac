using System.Text;

namespace Switchyard.Protocols.Canonical;

/// <summary>Tool-call id rules of each protocol (P12).</summary>
public static class ToolIds
{
    /// <summary>
    /// Anthropic ids must match <c>^[a-zA-Z0-9_-]+$</c>. Conforming ids pass unchanged; others are rewritten
    /// deterministically (invalid characters → '_', plus a hash of the original) so a call and its result agree.
    /// </summary>
    public static string ForAnthropic(string id)
    {
        if (id.Length > 0 && IsAnthropicSafe(id))
        {
            return id;
        }
        var sb = new StringBuilder(id.Length + 9);
        foreach (var ch in id)
        {
            sb.Append(char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-' ? ch : '_');
        }
        sb.Append('_').Append(StableHash.Fnv1a32(id).ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static bool IsAnthropicSafe(string id)
    {
        foreach (var ch in id)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }
}
