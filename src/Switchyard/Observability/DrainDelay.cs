namespace Switchyard.Observability;

/// <summary>
/// <c>server.drain_delay</c>: on SIGTERM readiness answers 503 at once (the host's stopping token), and this keeps the
/// listener taking requests for the delay, so that a load balancer polling readiness stops sending here before new
/// connections are refused. Runs before every hosted service's stop, within the shutdown timeout.
/// </summary>
internal sealed partial class DrainDelay(TimeSpan delay, ILogger<DrainDelay> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        LogDraining(logger, delay.TotalSeconds);
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the shutdown timeout ran out first: stop now
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: readiness answers 503; new requests are taken for {Seconds:0.#}s more, then the listener closes")]
    private static partial void LogDraining(ILogger logger, double seconds);
}
