using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.E2E;

/// <summary>The README's first command, as a user types it, starts the demo, which answers the README's curls.</summary>
public sealed partial class ReadmeDemoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_README_run_command_serves_the_demo()
    {
        var root = RepositoryRoot();
        var readme = await File.ReadAllTextAsync(Path.Combine(root, "README.md"));
        const string command = "dotnet run --project src/Switchyard -c Release";
        Assert.Contains(command, readme, StringComparison.Ordinal);

        var built = File.Exists(Path.Combine(root, "src", "Switchyard", "bin", "Release", "net10.0", "switchyard.dll"));
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The README's command, plus a free port instead of 8080 (and no rebuild when scripts/test.sh built it already).
        foreach (var arg in command.Split(' ').Skip(1).Concat(built ? ["--no-build"] : []).Concat(["--", "--urls", "http://127.0.0.1:0"]))
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        try
        {
            string? url = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            while (url is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the gateway exited: " + await process.StandardError.ReadToEndAsync());
                output.WriteLine(line);
                var m = ListeningLine().Match(line);
                url = m.Success ? m.Groups[1].Value : null;
            }
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var answer = JsonNode.Parse(await (await http.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}""", System.Text.Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync())!;
            Assert.Equal("Mock response to: Hello", answer["choices"]![0]!["message"]!["content"]!.GetValue<string>());
            using var anthropic = await http.PostAsync("/v1/messages", new StringContent("""{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Hello"}]}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, anthropic.StatusCode);
            Assert.Equal("ok", JsonNode.Parse(await http.GetStringAsync("/health"))!["status"]!.GetValue<string>());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switchyard.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found");
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
