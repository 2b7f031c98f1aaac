namespace Switchyard.Observability;

/// <summary>
/// When streams still running at shutdown are ended: a little before <c>server.shutdown_timeout</c> runs out (a
/// second, or a quarter of a shorter timeout), so that each one ends with its client protocol's error event — the
/// client learns the gateway stopped, instead of seeing its connection cut at the timeout.
/// </summary>
internal sealed class StreamDeadline : IDisposable
{
    private readonly CancellationTokenSource _passed = new();
    private readonly CancellationTokenRegistration _stopping;

    public StreamDeadline(IHostApplicationLifetime lifetime, TimeSpan timeout)
    {
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, timeout.Ticks / 4));
        _stopping = lifetime.ApplicationStopping.Register(() => _passed.CancelAfter(timeout - margin));
    }

    /// <summary>Cancelled when running streams are to end.</summary>
    public CancellationToken Passed => _passed.Token;

    public void Dispose()
    {
        _stopping.Dispose();
        _passed.Dispose();
    }
}

/// <summary>A stream ended because the gateway is stopping (its shutdown timeout is nearly over).</summary>
internal sealed class GatewayStoppingException() : IOException("The gateway is shutting down: this stream was ended at its shutdown deadline. Retry the request.");
