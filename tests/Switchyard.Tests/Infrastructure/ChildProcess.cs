using System.Diagnostics;
using Xunit.Abstractions;

namespace Switchyard.Tests.Infrastructure;

/// <summary>Runs a real client (a CLI, a node script) to its end with stdin closed, its output captured and shown in the test log.</summary>
public static class ChildProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, ITestOutputHelper output, IReadOnlyDictionary<string, string>? env = null,
        string? workingDirectory = null, IEnumerable<string>? removeEnv = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }
        foreach (var name in removeEnv ?? [])
        {
            psi.Environment.Remove(name);
        }
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} did not finish within {timeout ?? TimeSpan.FromMinutes(3)}");
        }
        var result = new Result(process.ExitCode, await stdout, await stderr);
        output.WriteLine(result.Stdout);
        output.WriteLine(result.Stderr);
        return result;
    }
}
