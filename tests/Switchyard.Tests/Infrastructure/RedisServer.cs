using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Switchyard.Tests.Infrastructure;

/// <summary>
/// A real, throwaway redis-server (Debian's package; <c>.ci/run</c> and <c>scripts/test.sh</c> install it) on a free
/// 127.0.0.1 port, without persistence. Each cluster test has its own, so one test may stop and restart it.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _dir;
    private Process? _process;

    private RedisServer(int port, string dir) => (Port, _dir) = (port, dir);

    public int Port { get; }

    /// <summary>The configuration string the gateway's <c>cluster.redis</c> takes.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(LoopbackPort.Free(), Directory.CreateTempSubdirectory("sy-redis").FullName);
        await server.StartAgainAsync();
        return server;
    }

    private static string Binary => File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server"
        : throw new Xunit.Sdk.XunitException("redis-server is not installed: run the tests with `bash scripts/test.sh` (it installs Debian's redis-server).");

    /// <summary>Starts it (again, on the same port, empty: it keeps nothing on disk).</summary>
    public async Task StartAgainAsync()
    {
        var psi = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir, "--protected-mode", "no" })
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi)!;
        _ = _process.StandardOutput.ReadToEndAsync();
        _ = _process.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (await PingsAsync())
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"redis-server did not answer on port {Port}");
    }

    /// <summary>Kills it at once (an outage).</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    private async Task<bool> PingsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var n = await stream.ReadAsync(buffer);
            return n >= 5 && System.Text.Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
