using System.Net.Sockets;
using Gateway.Correlation;

namespace Gateway.Forwarding;

/// <summary>
/// The stream of one upstream TCP connection. It knows its 5-tuple, stamps it on the
/// request currently using it (see <see cref="UpstreamAttempt"/>, step 3), and tells the
/// wire view when the gateway closes the connection.
/// </summary>
internal sealed class UpstreamConnectionStream : Stream
{
    private readonly NetworkStream _inner;
    private readonly Socket _socket;
    private readonly IWireView _wireView;
    private readonly ConnectionLedger _ledger;
    private int _closed;
    private long _read;
    private long _written;

    /// <summary>Wraps a connected socket; the stream owns it.</summary>
    public UpstreamConnectionStream(Socket socket, ConnectionTuple? tuple, IWireView wireView, ConnectionLedger ledger)
    {
        _socket = socket;
        _inner = new NetworkStream(socket, ownsSocket: true);
        _wireView = wireView;
        _ledger = ledger;
        Tuple = tuple;
    }

    /// <summary>The connection's 5-tuple from the gateway's side; null if the socket had no IP endpoints.</summary>
    public ConnectionTuple? Tuple { get; }

    /// <summary>Where the bytes read from and written to the connection so far end (the latest request's and response's ends).</summary>
    public StreamEnds Ends => new((uint)Volatile.Read(ref _read), (uint)Volatile.Read(ref _written));

    /// <inheritdoc />
    public override bool CanRead => _inner.CanRead;

    /// <inheritdoc />
    public override bool CanWrite => _inner.CanWrite;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanTimeout => _inner.CanTimeout;

    /// <inheritdoc />
    public override int ReadTimeout { get => _inner.ReadTimeout; set => _inner.ReadTimeout = value; }

    /// <inheritdoc />
    public override int WriteTimeout { get => _inner.WriteTimeout; set => _inner.WriteTimeout = value; }

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        Stamp();
        return Counted(_inner.Read(buffer, offset, count));
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        Stamp();
        return Counted(_inner.Read(buffer));
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Stamp();
        var read = _inner.ReadAsync(buffer, cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<int>(Counted(read.Result)) : CountedAsync(read);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> CountedAsync(ValueTask<int> read) => Counted(await read.ConfigureAwait(false));

    private int Counted(int read)
    {
        Volatile.Write(ref _read, _read + read);
        return read;
    }

    // Counted as handed over: a write that fails breaks the connection, which then carries no more requests.
    private void Counting(int length) => Volatile.Write(ref _written, _written + length);

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count)
    {
        Stamp();
        Counting(count);
        _inner.Write(buffer, offset, count);
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Stamp();
        Counting(buffer.Length);
        _inner.Write(buffer);
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Stamp();
        Counting(count);
        return _inner.WriteAsync(buffer, offset, count, cancellationToken);
    }

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Stamp();
        Counting(buffer.Length);
        return _inner.WriteAsync(buffer, cancellationToken);
    }

    /// <inheritdoc />
    public override void Flush() => _inner.Flush();

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Closing())
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (Closing())
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    // Once, by whichever of Dispose and DisposeAsync comes first, and before the socket is gone
    // (the view may still want the socket's cookie): the view and the ledger forget the connection.
    private bool Closing()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        _wireView.OnUpstreamSocketClosed(_socket, Tuple);
        if (Tuple is { } tuple)
        {
            _ledger.Forget(tuple);
        }

        return true;
    }

    /// <summary>True once the stream is disposed (the wire view and the ledger have forgotten the connection).</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// The HTTP version SocketsHttpHandler speaks on this connection (h2c by prior knowledge, or
    /// what TLS ALPN chose), told by <see cref="Http2RequestJoin"/> before the first request byte; null until then.
    /// </summary>
    public Version? HttpVersion { get; internal set; }

    /// <summary>True when the connection carries several requests at once (HTTP/2 and later): its reads and writes name no request.</summary>
    public bool Multiplexed => ConnectionLedger.IsMultiplexed(HttpVersion);

    private void Stamp()
    {
        // A read tried after the close (it fails) must not mark a request in flight on a forgotten connection.
        // A multiplexed connection is read and written by SocketsHttpHandler's own loops, whose async flow
        // belongs to whichever request opened the connection: Http2RequestJoin names its requests instead.
        if (Tuple is { } tuple && !IsClosed && !Multiplexed)
        {
            UpstreamAttempt.Current?.Stamp(tuple, this);
        }
    }
}
