using System.IO.Pipelines;

namespace Gateway.Correlation;

/// <summary>A pipe reader that counts the bytes its reader consumed (see <see cref="TransportByteCounts"/>).</summary>
internal sealed class CountingPipeReader(PipeReader inner) : PipeReader
{
    private System.Buffers.ReadOnlySequence<byte> last;
    private long consumed;

    /// <summary>Bytes consumed so far.</summary>
    public long Consumed => Volatile.Read(ref consumed);

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumedTo) => AdvanceTo(consumedTo, consumedTo);

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumedTo, SequencePosition examined)
    {
        // The reader hands back a position in the buffer of its latest read.
        Volatile.Write(ref consumed, consumed + last.Slice(last.Start, consumedTo).Length);
        last = default;
        inner.AdvanceTo(consumedTo, examined);
    }

    /// <inheritdoc />
    public override void CancelPendingRead() => inner.CancelPendingRead();

    /// <inheritdoc />
    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    /// <inheritdoc />
    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    /// <inheritdoc />
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        last = result.Buffer;
        return result;
    }

    /// <inheritdoc />
    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        last = result.Buffer;
        return true;
    }
}
