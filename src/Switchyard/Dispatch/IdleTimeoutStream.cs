namespace Switchyard.Dispatch;

/// <summary>Wraps an upstream body: every read must see bytes within the idle timeout, else the read is cancelled.</summary>
internal sealed class IdleTimeoutStream(Stream inner, TimeSpan idle, CancellationToken outer) : Stream
{
    private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);

    public bool TimedOut { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _cts.CancelAfter(idle);
        try
        {
            // The usual caller passes the request's own token, which the linked source already watches.
            using var reg = cancellationToken.CanBeCanceled && cancellationToken != outer ? cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _cts) : default;
            var n = await inner.ReadAsync(buffer, _cts.Token).ConfigureAwait(false);
            _cts.CancelAfter(Timeout.InfiniteTimeSpan); // disarm: time spent writing to a slow client is not upstream silence
            return n;
        }
        catch (OperationCanceledException) when (!outer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            TimedOut = true;
            throw new TimeoutException($"The upstream sent nothing for {idle.TotalSeconds:0.#}s.");
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
            _cts.Dispose();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
