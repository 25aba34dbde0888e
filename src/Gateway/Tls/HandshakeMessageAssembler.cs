using System.Buffers;
using System.Buffers.Binary;

namespace Gateway.Tls;

/// <summary>
/// Reassembles handshake messages from the TLS record layer as bytes arrive in pieces of any
/// size: a record split over several TCP segments, a message split over several records
/// (RFC 8446 5.1 allows both), several messages in one record.
/// </summary>
/// <remarks>
/// Memory is bounded by <see cref="MaxMessageBytes"/>: a longer declared message fails as
/// <see cref="ClientHelloFailure.TooLarge"/> before it is buffered. The buffer comes from the
/// shared array pool and goes back on <see cref="Dispose"/>.
/// </remarks>
internal sealed class HandshakeMessageAssembler(bool skipChangeCipherSpec) : IDisposable
{
    /// <summary>The longest handshake message kept (header included): a ClientHello with several post-quantum key shares is about 4 KiB.</summary>
    public const int MaxMessageBytes = 64 * 1024;

    private const byte ChangeCipherSpec = 20;
    private const byte Handshake = 22;
    private const int MaxRecordLength = 1 << 14;

    private readonly byte[] _header = new byte[5];
    private int _headerFill;
    private int _recordRemaining;
    private bool _skippingRecord;
    private byte[] _message = [];
    private int _messageFill;

    /// <summary>Why the bytes were refused, once <see cref="HandshakeProgress.Failed"/> was returned.</summary>
    public ClientHelloFailure Failure { get; private set; }

    /// <summary>Whether a ChangeCipherSpec record was skipped since the last <see cref="Next"/>.</summary>
    public bool ChangeCipherSpecSeen { get; private set; }

    /// <summary>The complete message's type (after <see cref="HandshakeProgress.Message"/>).</summary>
    public byte MessageType => _message[0];

    /// <summary>The complete message's body without its 4-byte header (after <see cref="HandshakeProgress.Message"/>).</summary>
    public ReadOnlySpan<byte> MessageBody => _message.AsSpan(4, ExpectedLength - 4);

    private int ExpectedLength => 4 + ((_message[1] << 16) | (_message[2] << 8) | _message[3]);

    /// <summary>
    /// Takes bytes until a message is complete or the bytes end; returns how many it took. After
    /// <see cref="HandshakeProgress.Message"/>, <see cref="Next"/> drops the message and the rest
    /// of the bytes can be fed again.
    /// </summary>
    public int Feed(ReadOnlySpan<byte> data, out HandshakeProgress progress)
    {
        var taken = 0;
        while (taken < data.Length)
        {
            if (_recordRemaining == 0)
            {
                var n = Math.Min(5 - _headerFill, data.Length - taken);
                data.Slice(taken, n).CopyTo(_header.AsSpan(_headerFill));
                _headerFill += n;
                taken += n;
                if (_headerFill < 5)
                {
                    break;
                }

                _headerFill = 0;
                if (!StartRecord())
                {
                    progress = HandshakeProgress.Failed;
                    return taken;
                }

                continue;
            }

            var available = Math.Min(_recordRemaining, data.Length - taken);
            if (_skippingRecord)
            {
                _recordRemaining -= available;
                taken += available;
                continue;
            }

            // Take no more than the current message needs: what follows belongs to the next one.
            var wanted = _messageFill < 4 ? 4 - _messageFill : ExpectedLength - _messageFill;
            var count = Math.Min(available, wanted);
            data.Slice(taken, count).CopyTo(Reserve(count));
            _messageFill += count;
            _recordRemaining -= count;
            taken += count;
            if (_messageFill == 4 && ExpectedLength > MaxMessageBytes)
            {
                Failure = ClientHelloFailure.TooLarge;
                progress = HandshakeProgress.Failed;
                return taken;
            }

            if (_messageFill >= 4 && _messageFill == ExpectedLength)
            {
                progress = HandshakeProgress.Message;
                return taken;
            }
        }

        progress = HandshakeProgress.NeedMore;
        return taken;
    }

    /// <summary>Forgets the complete message, to assemble the next one.</summary>
    public void Next()
    {
        _messageFill = 0;
        ChangeCipherSpecSeen = false;
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        if (_message.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_message);
            _message = [];
        }
    }

    private bool StartRecord()
    {
        var type = _header[0];
        var length = BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(3));
        // A record of another kind inside a message, a version that is not 3.x, an empty or
        // oversized record: not the handshake RFC 8446 5.1 describes.
        var kindOk = type == Handshake || (type == ChangeCipherSpec && skipChangeCipherSpec && _messageFill == 0);
        if (!kindOk || _header[1] != 3 || length == 0 || length > MaxRecordLength)
        {
            Failure = ClientHelloFailure.MalformedRecord;
            return false;
        }

        _skippingRecord = type == ChangeCipherSpec;
        ChangeCipherSpecSeen |= _skippingRecord;
        _recordRemaining = length;
        return true;
    }

    private Span<byte> Reserve(int count)
    {
        if (_messageFill + count > _message.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(512, Math.Max(_message.Length * 2, _messageFill + count)));
            _message.AsSpan(0, _messageFill).CopyTo(bigger);
            Dispose();
            _message = bigger;
        }

        return _message.AsSpan(_messageFill, count);
    }
}
