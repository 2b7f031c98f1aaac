using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Switchyard.Bench;

internal sealed record WrkResult(double Rps, double P50Ms, double P99Ms, long Requests, long Errors, long Non2xx, double Seconds);

/// <summary>Drives wrk (Debian's package) with a Lua script that POSTs a fixed body and prints a JSON summary.</summary>
internal static class Wrk
{
    public static async Task<WrkResult> RunAsync(string url, string body, IDictionary<string, string> headers, int connections, TimeSpan duration, string workDir)
    {
        var script = Path.Combine(workDir, $"wrk-{Guid.NewGuid():N}.lua");
        var lua = new StringBuilder();
        lua.AppendLine("wrk.method = \"POST\"");
        lua.AppendLine("wrk.headers[\"Content-Type\"] = \"application/json\"");
        foreach (var (k, v) in headers)
        {
            lua.AppendLine($"wrk.headers[{Quote(k)}] = {Quote(v)}");
        }
        lua.AppendLine($"wrk.body = {Quote(body)}");
        lua.AppendLine("""
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format('\nRESULT {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d}\n',
                summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99)))
            end
            """);
        await File.WriteAllTextAsync(script, lua.ToString());
        var psi = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-t1", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--timeout", "10s", "-s", script, url })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        File.Delete(script);
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("wrk printed no result: " + output + await p.StandardError.ReadToEndAsync());
        var json = JsonNode.Parse(line[7..])!;
        var requests = json["requests"]!.GetValue<long>();
        var seconds = json["duration_us"]!.GetValue<long>() / 1e6;
        return new WrkResult(requests / seconds, json["p50_us"]!.GetValue<long>() / 1000.0, json["p99_us"]!.GetValue<long>() / 1000.0, requests,
            json["errors"]!.GetValue<long>(), json["non2xx"]!.GetValue<long>(), seconds);
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
