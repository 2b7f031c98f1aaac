using System.Diagnostics;

namespace Switchyard.Dispatch;

/// <summary>
/// Wraps an upstream body: a read that sees no bytes within the idle timeout is cancelled. One watchdog timer per
/// stream checks the read in progress every quarter of the timeout (so a stall is cut between 1× and 1.25× the
/// timeout), instead of re-arming a timer on every read: a read costs two field writes.
/// </summary>
internal sealed class IdleTimeoutStream : Stream
{
    private readonly Stream _inner;
    private readonly TimeSpan _idle;
    private readonly CancellationToken _outer;
    private readonly CancellationTokenSource _cts;
    private readonly ITimer _watchdog;
    private readonly CancellationTokenRegistration _deadline;
    private long _readStartedAt; // Stopwatch timestamp of the read in progress; 0 when none
    private volatile bool _stopping;

    /// <param name="deadline">Cancelled when the gateway ends its running streams (shutdown): the read in progress then fails with <see cref="Observability.GatewayStoppingException"/>.</param>
    public IdleTimeoutStream(Stream inner, TimeSpan idle, CancellationToken outer, CancellationToken deadline = default)
    {
        _inner = inner;
        _idle = idle;
        _outer = outer;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        var period = TimeSpan.FromTicks(Math.Max(idle.Ticks / 4, TimeSpan.FromMilliseconds(5).Ticks));
        _watchdog = TimeProvider.System.CreateTimer(static s => ((IdleTimeoutStream)s!).Check(), this, period, period);
        _deadline = deadline.UnsafeRegister(static s => ((IdleTimeoutStream)s!).Stop(), this);
    }

    public bool TimedOut { get; private set; }

    private void Stop()
    {
        _stopping = true;
        _cts.Cancel(); // never after Dispose: disposing the registration first waits for a running callback
    }

    private void Check()
    {
        var started = Volatile.Read(ref _readStartedAt);
        if (started != 0 && Stopwatch.GetElapsedTime(started) >= _idle)
        {
            TimedOut = true;
            _cts.Cancel();
        }
    }

    // Pooled: a stream reads once per upstream event, and an awaited read would otherwise allocate its state each time.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref _readStartedAt, Stopwatch.GetTimestamp());
        try
        {
            // The usual caller passes the request's own token, which the linked source already watches.
            using var reg = cancellationToken.CanBeCanceled && cancellationToken != _outer ? cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _cts) : default;
            return await _inner.ReadAsync(buffer, _cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping && !_outer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new Observability.GatewayStoppingException();
        }
        catch (OperationCanceledException) when (TimedOut && !_outer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The upstream sent nothing for {_idle.TotalSeconds:0.#}s.");
        }
        finally
        {
            Volatile.Write(ref _readStartedAt, 0); // time spent writing to a slow client is not upstream silence
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous reads are not used");
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _deadline.Dispose();
            _watchdog.Dispose();
            _cts.Dispose();
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
