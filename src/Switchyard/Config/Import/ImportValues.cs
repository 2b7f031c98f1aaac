using System.Globalization;
using System.Text.Json.Nodes;

namespace Switchyard.Config.Import;

/// <summary>Reading the source's loosely typed values, and the fields every format has (where to listen, how much to log).</summary>
internal static class ImportValues
{
    public static string? Text(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0 ? null : s,
        JsonValue v when v.TryGetValue<long>(out var l) => l.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    public static double? Number(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => p,
        _ => null,
    };

    public static bool? Bool(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) && bool.TryParse(s, out var p) => p,
        _ => null,
    };

    /// <summary>Seconds as a Switchyard duration: <c>60s</c>, <c>1.5s</c>.</summary>
    public static string Seconds(double seconds) => seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";

    /// <summary>Milliseconds as a Switchyard duration.</summary>
    public static string Milliseconds(double ms) => ms % 1000 == 0 ? Seconds(ms / 1000) : ms.ToString("0", CultureInfo.InvariantCulture) + "ms";

    /// <summary>host / port → <c>server.urls</c>; a log level → <c>server.log_level</c>; <paramref name="hostField"/> and
    /// <paramref name="levelField"/> name the source's fields in the report.</summary>
    public static void Server(ImportReport report, string? host, double? port, string? logLevel, string hostField, string levelField)
    {
        if (host is not null || port is not null)
        {
            var h = host ?? "127.0.0.1";
            var url = $"http://{(h == "::" ? "[::]" : h)}:{(port ?? 8080).ToString(CultureInfo.InvariantCulture)}";
            report.Section("server")["urls"] = url;
            report.Mapped.Add($"{hostField} → server.urls: {url}" + (host is "0.0.0.0" or "::" ? " (all interfaces, as before: set auth.keys before exposing it)" : ""));
        }
        if (logLevel is not null)
        {
            var level = logLevel.ToLowerInvariant() switch
            {
                "debug" or "trace" => logLevel.ToLowerInvariant(),
                "info" or "information" => "information",
                "warn" or "warning" => "warning",
                "error" or "critical" or "fatal" => "error",
                _ => null,
            };
            if (level is null)
            {
                report.Unsupported.Add($"{levelField}: not a level Switchyard knows — left at information");
                return;
            }
            report.Section("server")["log_level"] = level;
            report.Mapped.Add($"{levelField} → server.log_level: {level}");
        }
    }
}
