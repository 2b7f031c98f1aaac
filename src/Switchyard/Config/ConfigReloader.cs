using System.Runtime.InteropServices;

namespace Switchyard.Config;

/// <summary>The outcome of one reload attempt, for the endpoint, the CLI and the log.</summary>
internal sealed record ReloadResult(bool Ok, string Message);

/// <summary>
/// Loads, validates and swaps the config file on a file change (debounced), <c>SIGHUP</c> or
/// <c>POST /providers/reload</c>. An invalid file is refused with its precise error and the config in force stays;
/// in-flight requests finish on the snapshot they started with; key and provider health survive for entries that
/// still exist (their state is keyed by provider name and key).
/// </summary>
internal sealed partial class ConfigReloader(ConfigHolder holder, ConfigSource source, Observability.RequestLog requestLog, ILogger<ConfigReloader> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private FileSystemWatcher? _watcher;
    private PosixSignalRegistration? _sighup;
    private Timer? _debounce;

    public async Task<ReloadResult> ReloadAsync(string trigger)
    {
        if (source.Path is not { } path)
        {
            return new ReloadResult(false, "The gateway runs the embedded demo: there is no config file to reload.");
        }
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            GatewayConfig next;
            try
            {
                next = ConfigLoader.LoadFile(path);
            }
            catch (ConfigException ex)
            {
                LogRejected(logger, trigger, ex.Message);
                requestLog.Event("reload_rejected", $"{trigger}: {ex.Message}");
                return new ReloadResult(false, ex.Message);
            }
            var before = holder.Current.Config;
            var summary = Describe(before, holder.Swap(next).Config);
            LogReloaded(logger, trigger, summary);
            requestLog.Event("reload", $"{trigger}: {summary}");
            return new ReloadResult(true, summary);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>What changed, in one line: providers added, removed and changed, and the route count.</summary>
    internal static string Describe(GatewayConfig before, GatewayConfig after)
    {
        var added = after.Providers.Keys.Except(before.Providers.Keys).Order(StringComparer.Ordinal).ToList();
        var removed = before.Providers.Keys.Except(after.Providers.Keys).Order(StringComparer.Ordinal).ToList();
        var changed = after.Providers.Keys.Intersect(before.Providers.Keys)
            .Where(k => !ProviderEquals(before.Providers[k], after.Providers[k])).Order(StringComparer.Ordinal).ToList();
        var parts = new List<string>();
        if (added.Count > 0)
        {
            parts.Add("providers added: " + string.Join(", ", added));
        }
        if (removed.Count > 0)
        {
            parts.Add("providers removed: " + string.Join(", ", removed));
        }
        if (changed.Count > 0)
        {
            parts.Add("providers changed: " + string.Join(", ", changed));
        }
        parts.Add($"routes: {before.Routes.Length} → {after.Routes.Length}");
        return string.Join("; ", parts);
    }

    /// <summary>Value equality, collections included (records compare collections by reference).</summary>
    private static bool ProviderEquals(ProviderConfig a, ProviderConfig b) =>
        a with { Keys = b.Keys, Headers = b.Headers, Deployments = b.Deployments } == b
        && a.Keys.SequenceEqual(b.Keys)
        && a.Headers.OrderBy(h => h.Key, StringComparer.Ordinal).SequenceEqual(b.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        && a.Deployments.OrderBy(d => d.Key, StringComparer.Ordinal).SequenceEqual(b.Deployments.OrderBy(d => d.Key, StringComparer.Ordinal));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (source.Path is not { } path)
        {
            return Task.CompletedTask;
        }
        var full = Path.GetFullPath(path);
        _debounce = new Timer(_ => _ = ReloadAsync("file change"), null, Timeout.Infinite, Timeout.Infinite);
        // Watch the folder, not the file: editors replace files by renaming, which a file watch would lose.
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
        _watcher.Created += (_, _) => _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
        _watcher.Renamed += (_, _) => _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
        _watcher.EnableRaisingEvents = true;
        if (!OperatingSystem.IsWindows())
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
            {
                ctx.Cancel = true; // SIGHUP means "reload", not "terminate"
                _ = ReloadAsync("SIGHUP");
            });
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _watcher = null;
        _sighup?.Dispose();
        _sighup = null;
        _debounce?.Dispose();
        _debounce = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Config reloaded ({Trigger}): {Summary}")]
    private static partial void LogReloaded(ILogger logger, string trigger, string summary);

    [LoggerMessage(Level = LogLevel.Error, Message = "Config reload ({Trigger}) rejected, the previous config stays in force: {Error}")]
    private static partial void LogRejected(ILogger logger, string trigger, string error);
}

/// <summary>The file the running config came from; null for the embedded demo.</summary>
internal sealed record ConfigSource(string? Path);
