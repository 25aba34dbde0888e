using System.IO.Pipelines;

namespace Gateway.Tls;

/// <summary>
/// A transport's output as the TLS layer writes it, shown to a <see cref="TlsHandshakeObserver"/>
/// as each write is committed, until the observer has what it needs; the bytes go on unchanged.
/// </summary>
internal sealed class ObservingPipeWriter(PipeWriter inner, TlsHandshakeObserver observer) : PipeWriter
{
    private Memory<byte> _lent;
    private bool _watching = true;

    /// <inheritdoc />
    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    /// <inheritdoc />
    public override long UnflushedBytes => inner.UnflushedBytes;

    /// <inheritdoc />
    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (!_watching)
        {
            return inner.GetMemory(sizeHint);
        }

        // Kept so that Advance can show what was written into it.
        _lent = inner.GetMemory(sizeHint);
        return _lent;
    }

    /// <inheritdoc />
    public override Span<byte> GetSpan(int sizeHint = 0) => _watching ? GetMemory(sizeHint).Span : inner.GetSpan(sizeHint);

    /// <inheritdoc />
    public override void Advance(int bytes)
    {
        if (_watching)
        {
            observer.OnOutput(_lent.Span[..bytes]);
            _watching = observer.WatchingOutput;
            _lent = default;
        }

        inner.Advance(bytes);
    }

    /// <inheritdoc />
    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        if (_watching)
        {
            observer.OnOutput(source.Span);
            _watching = observer.WatchingOutput;
        }

        return inner.WriteAsync(source, cancellationToken);
    }

    /// <inheritdoc />
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    /// <inheritdoc />
    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    /// <inheritdoc />
    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
}
