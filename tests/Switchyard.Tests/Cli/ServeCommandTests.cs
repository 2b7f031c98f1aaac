using System.Net;
using System.Net.Sockets;
using Switchyard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.Cli;

/// <summary>The real executable, started where it cannot listen.</summary>
public sealed class ServeCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_port_already_in_use_is_a_clear_line_and_exit_code_1_not_a_crash()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var dir = Directory.CreateTempSubdirectory("sy-port").FullName;
        var config = Path.Combine(dir, "switchyard.yaml");
        await File.WriteAllTextAsync(config, """
            server: {request_log: off}
            storage: {path: data/switchyard.db}
            providers: [{name: mock, type: mock}]
            routes: [{model: "*", targets: [{provider: mock}]}]
            """);
        try
        {
            var result = await ChildProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "switchyard.dll"), "serve", "--config", config, "--urls", $"http://127.0.0.1:{port}"],
                output, workingDirectory: dir, timeout: TimeSpan.FromMinutes(1));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"switchyard: cannot listen on http://127.0.0.1:{port}: the address is in use", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("at Microsoft.", result.Stdout + result.Stderr, StringComparison.Ordinal); // no stack trace
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
