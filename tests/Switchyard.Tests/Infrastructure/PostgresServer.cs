using System.Diagnostics;
using Xunit;

namespace Switchyard.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of a test's own (scripts/test-postgres.sh: Debian's package, a free loopback port, a throwaway
/// data directory), for tests that stop it: the shared server of the run must stay up for the others.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _dir;

    private PostgresServer(string dir, string connection) => (_dir, Connection) = (dir, connection);

    /// <summary>Its Npgsql connection string (database <c>postgres</c>).</summary>
    public string Connection { get; }

    public static async Task<PostgresServer> StartAsync()
    {
        var server = await ScriptAsync();
        var space = server.IndexOf(' ', StringComparison.Ordinal);
        return new PostgresServer(server[..space], server[(space + 1)..]);
    }

    /// <summary>Stops it cleanly, keeping its data (an outage).</summary>
    public Task PauseAsync() => ScriptAsync("pause", _dir);

    /// <summary>Starts it again on the same port with the same data.</summary>
    public Task ResumeAsync() => ScriptAsync("resume", _dir);

    private static async Task<string> ScriptAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(E2E.ReadmeDemoTests.RepositoryRoot(), "scripts", "test-postgres.sh"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"test-postgres.sh {string.Join(' ', args)}: {error}");
        return (await output).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        await ScriptAsync("stop", _dir);
        Npgsql.NpgsqlConnection.ClearAllPools();
    }
}
