using System.Buffers;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// A write-only stream into a buffer rented from <see cref="ArrayPool{T}.Shared"/>, grown by renting a
/// larger one: where a compressed request body is built without a new array per export.
/// </summary>
internal sealed class PooledBufferStream(int initialCapacity) : Stream
{
    private byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));
    private int length;

    /// <summary>The bytes written so far; valid until the stream is disposed.</summary>
    public ReadOnlyMemory<byte> Written => rented.AsMemory(0, length);

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => length;

    /// <inheritdoc />
    public override long Position { get => length; set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(length < 0, this);
        if (rented.Length - length < buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(checked(Math.Max(rented.Length * 2, length + buffer.Length)));
            rented.AsSpan(0, length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(rented);
            rented = larger;
        }

        buffer.CopyTo(rented.AsSpan(length));
        length += buffer.Length;
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (length >= 0)
        {
            ArrayPool<byte>.Shared.Return(rented);
            rented = [];
            length = -1;
        }

        base.Dispose(disposing);
    }
}
