using System.IO.Pipelines;

namespace Gateway.Correlation;

/// <summary>A pipe writer that counts the bytes written through it (see <see cref="TransportByteCounts"/>).</summary>
internal sealed class CountingPipeWriter(PipeWriter inner) : PipeWriter
{
    private long written;

    /// <summary>Bytes written so far.</summary>
    public long Written => Volatile.Read(ref written);

    /// <inheritdoc />
    public override void Advance(int bytes)
    {
        inner.Advance(bytes);
        Volatile.Write(ref written, written + bytes);
    }

    /// <inheritdoc />
    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    /// <inheritdoc />
    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    /// <inheritdoc />
    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    /// <inheritdoc />
    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    /// <inheritdoc />
    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    /// <inheritdoc />
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    /// <inheritdoc />
    public override long UnflushedBytes => inner.UnflushedBytes;
}
