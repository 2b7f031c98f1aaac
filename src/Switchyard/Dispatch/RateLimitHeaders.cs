using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchyard.Dispatch;

/// <summary>
/// Reads the upstream's rate-limit headers so a key with no requests left is rested before it answers 429:
/// OpenAI's <c>x-ratelimit-remaining-requests</c> / <c>x-ratelimit-reset-requests</c> ("6m0s", "20ms") and Anthropic's
/// <c>anthropic-ratelimit-requests-remaining</c> / <c>anthropic-ratelimit-requests-reset</c> (an RFC 3339 time).
/// </summary>
internal static partial class RateLimitHeaders
{
    public static DateTimeOffset? ExhaustedUntil(HttpResponseMessage response, DateTimeOffset now)
    {
        if (Remaining(response, "x-ratelimit-remaining-requests") == 0 && Header(response, "x-ratelimit-reset-requests") is { } reset && ParseGoDuration(reset) is { } wait)
        {
            return now + wait;
        }
        if (Remaining(response, "anthropic-ratelimit-requests-remaining") == 0 && Header(response, "anthropic-ratelimit-requests-reset") is { } at
            && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
        {
            return when;
        }
        return null;
    }

    private static long? Remaining(HttpResponseMessage response, string name) =>
        Header(response, name) is { } v && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>"1h2m3.5s", "6m0s", "20ms".</summary>
    internal static TimeSpan? ParseGoDuration(string text)
    {
        var total = TimeSpan.Zero;
        var matched = false;
        foreach (Match m in DurationPart().Matches(text))
        {
            matched = true;
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "ms" => TimeSpan.FromMilliseconds(n),
                _ => TimeSpan.FromSeconds(n),
            };
        }
        return matched ? total : null;
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|h|m|s)")]
    private static partial Regex DurationPart();
}
