using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Switchyard.Tests.Infrastructure;

/// <summary>
/// The real gateway as its own process (<c>dotnet switchyard.dll serve --config …</c>) on a free loopback port, for
/// what only a process shows: signals, <c>kill -9</c>, exit codes, files left behind.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly Task _stdout, _stderr;

    private GatewayProcess(Process process, string url, StringBuilder output, Task stdout, Task stderr)
    {
        _process = process;
        Url = url;
        _output = output;
        _stdout = stdout;
        _stderr = stderr;
    }

    public string Url { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>What the process wrote to stdout and stderr so far (the pumps keep appending).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<GatewayProcess> StartAsync(string configPath, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "switchyard.dll"), "serve", "--config", configPath, "--urls", "http://127.0.0.1:0" })
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }
        var process = Process.Start(psi)!;
        var output = new StringBuilder();
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task PumpAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
                if (Listening().Match(line) is { Success: true } m)
                {
                    url.TrySetResult(m.Groups[1].Value);
                }
            }
        }
        var stdout = PumpAsync(process.StandardOutput);
        var stderr = PumpAsync(process.StandardError);
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(url.Task, exited, Task.Delay(TimeSpan.FromMinutes(1)));
        if (first != url.Task)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            string text;
            lock (output)
            {
                text = output.ToString();
            }
            throw new InvalidOperationException($"the gateway did not start: {text}");
        }
        return new GatewayProcess(process, await url.Task, output, stdout, stderr);
    }

    /// <summary>Sends a signal (<c>TERM</c>, <c>KILL</c>, <c>HUP</c>) as an operator's <c>kill</c> does.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>Waits for the process to end; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        await Task.WhenAll(_stdout, _stderr).WaitAsync(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
