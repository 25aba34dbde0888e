using System.Buffers;
using System.IO.Pipelines;

namespace Gateway.Tls;

/// <summary>
/// A transport's input as the TLS layer reads it, shown to a <see cref="TlsHandshakeObserver"/>
/// without taking or holding back a byte: the observer sees each byte once, when the reader
/// first receives it, and stops being called once it has what it needs.
/// </summary>
internal sealed class ObservingPipeReader(PipeReader inner, TlsHandshakeObserver observer) : PipeReader
{
    private ReadOnlySequence<byte> _last;
    private long _consumed;
    private long _seen;
    private bool _watching = true;

    /// <inheritdoc />
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
        _watching ? Observed(inner.ReadAsync(cancellationToken)) : inner.ReadAsync(cancellationToken);

    /// <inheritdoc />
    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        if (_watching)
        {
            Observe(result);
        }

        return true;
    }

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_watching)
        {
            _consumed += _last.Slice(_last.Start, consumed).Length;
        }

        inner.AdvanceTo(consumed, examined);
    }

    /// <inheritdoc />
    public override void CancelPendingRead() => inner.CancelPendingRead();

    /// <inheritdoc />
    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    /// <inheritdoc />
    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private async ValueTask<ReadResult> Observed(ValueTask<ReadResult> read)
    {
        var result = await read.ConfigureAwait(false);
        Observe(result);
        return result;
    }

    private void Observe(in ReadResult result)
    {
        // The buffer starts at the first byte not consumed yet; the part before _seen was shown already.
        var buffer = result.Buffer;
        var shown = _seen - _consumed;
        if (buffer.Length > shown)
        {
            observer.OnInput(buffer.Slice(shown));
            _seen = _consumed + buffer.Length;
        }

        if (result.IsCompleted)
        {
            observer.OnInputEnded();
        }

        _watching = observer.WatchingInput;
        _last = _watching ? buffer : default;
    }
}
