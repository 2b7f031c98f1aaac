using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace Switchyard.Tests.E2E;

/// <summary>SIGHUP makes a running gateway reload its config file instead of terminating.</summary>
public sealed partial class SighupTests
{
    [Fact]
    public async Task SIGHUP_reloads_and_the_process_keeps_serving()
    {
        var dir = Directory.CreateTempSubdirectory("sy-hup").FullName;
        var log = Path.Combine(dir, "gw.jsonl");
        var config = Path.Combine(dir, "switchyard.yaml");
        await File.WriteAllTextAsync(config, $"server:\n  request_log: {log}\nproviders:\n  - {{name: mock, type: mock}}\nroutes:\n  - {{model: m, targets: [{{provider: mock}}]}}\n");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "switchyard.dll"), "serve", "--config", config, "--urls", "http://127.0.0.1:0" })
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        try
        {
            string? url = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (url is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException(await process.StandardError.ReadToEndAsync());
                url = Listening().Match(line) is { Success: true } m ? m.Groups[1].Value : null;
            }
            using (var kill = Process.Start("kill", ["-HUP", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!(File.Exists(log) && (await ReadShared(log)).Contains("\"SIGHUP: ", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            Assert.Contains("\"event\":\"reload\",\"message\":\"SIGHUP: ", await ReadShared(log), StringComparison.Ordinal);
            Assert.False(process.HasExited);
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            Assert.Equal("ok", JsonNode.Parse(await http.GetStringAsync("/health"))!["status"]!.GetValue<string>());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<string> ReadShared(string path)
    {
        await using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(s);
        return await r.ReadToEndAsync();
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
