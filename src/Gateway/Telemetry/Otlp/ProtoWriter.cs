using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// Writes protobuf into one growable buffer that is reused from batch to batch. Nested
/// messages reserve a 4-byte length and fill it in at the end (a varint padded with
/// continuation bits, which every protobuf reader accepts), so each message is written once,
/// front to back, without measuring it first. As an <see cref="IBufferWriter{T}"/> it also
/// takes other encodings (the embedded sink's JSON lines) into the same reused buffer.
/// </summary>
internal sealed class ProtoWriter : IBufferWriter<byte>
{
    /// <summary>Wire type of varints.</summary>
    public const int Varint = 0;

    /// <summary>Wire type of fixed 64-bit values.</summary>
    public const int Fixed64 = 1;

    /// <summary>Wire type of length-delimited values (strings, bytes, messages).</summary>
    public const int Delimited = 2;

    /// <summary>Wire type of fixed 32-bit values.</summary>
    public const int Fixed32 = 5;

    private const int ReservedLength = 4;
    private const int MaxNestedLength = (1 << 28) - 1;

    private byte[] _buffer;
    private int _position;

    /// <summary>A writer with <paramref name="capacity"/> bytes to start with.</summary>
    public ProtoWriter(int capacity = 64 * 1024) => _buffer = new byte[capacity];

    /// <summary>Bytes written so far.</summary>
    public int Length => _position;

    /// <summary>Bytes it holds before it grows.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Forgets what was written from <paramref name="length"/> on.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)_position, nameof(length));
        _position = length;
    }

    /// <summary>What has been written.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _position);

    /// <summary>Starts over, keeping the buffer (shrunk back when one huge batch grew it).</summary>
    public void Reset(int keepAtMost = 4 << 20)
    {
        if (_buffer.Length > keepAtMost)
        {
            _buffer = new byte[keepAtMost];
        }

        _position = 0;
    }

    /// <summary>Writes a field tag.</summary>
    public void Tag(int field, int wireType) => WriteVarint((uint)((field << 3) | wireType));

    /// <summary>Copies pre-encoded bytes (a tag and value written once at start).</summary>
    public void Raw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_position));
        _position += bytes.Length;
    }

    /// <summary>Writes an unsigned varint.</summary>
    public void WriteVarint(ulong value)
    {
        Ensure(10);
        var buffer = _buffer;
        var position = _position;
        while (value >= 0x80)
        {
            buffer[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[position++] = (byte)value;
        _position = position;
    }

    /// <summary>A varint field (int64 values go as their two's complement, 10 bytes when negative).</summary>
    public void VarintField(int field, long value)
    {
        Tag(field, Varint);
        WriteVarint((ulong)value);
    }

    /// <summary>A bool field.</summary>
    public void BoolField(int field, bool value)
    {
        Tag(field, Varint);
        WriteVarint(value ? 1u : 0u);
    }

    /// <summary>A fixed64 field.</summary>
    public void Fixed64Field(int field, ulong value)
    {
        Tag(field, Fixed64);
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_position), value);
        _position += 8;
    }

    /// <summary>A fixed32 field.</summary>
    public void Fixed32Field(int field, uint value)
    {
        Tag(field, Fixed32);
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    /// <summary>A double field.</summary>
    public void DoubleField(int field, double value) => Fixed64Field(field, (ulong)BitConverter.DoubleToInt64Bits(value));

    /// <summary>
    /// A string field, as UTF-8. Invalid UTF-16 (a lone surrogate a client smuggled into a header)
    /// becomes U+FFFD: protobuf strings must be valid UTF-8.
    /// </summary>
    public void StringField(int field, string value) => StringField(field, value.AsSpan());

    /// <summary>A string field from characters, as UTF-8 (invalid UTF-16 becomes U+FFFD).</summary>
    public void StringField(int field, ReadOnlySpan<char> value)
    {
        Tag(field, Delimited);
        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarint((uint)length);
        Ensure(length);
        _position += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position));
    }

    /// <summary>A bytes field.</summary>
    public void BytesField(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, Delimited);
        WriteVarint((uint)value.Length);
        Raw(value);
    }

    /// <summary>Bytes the varint of <paramref name="value"/> takes.</summary>
    public static int VarintSize(ulong value) => value < 0x80 ? 1 : (70 - System.Numerics.BitOperations.LeadingZeroCount(value)) / 7;

    /// <summary>The bytes written from <paramref name="start"/> on (valid until the next write).</summary>
    public ReadOnlySpan<byte> Since(int start) => _buffer.AsSpan(start, _position - start);

    /// <summary>The bytes written from <paramref name="start"/> on, to be changed in place (valid until the next write).</summary>
    public Span<byte> WrittenSince(int start) => _buffer.AsSpan(start, _position - start);

    /// <summary>Room for exactly <paramref name="length"/> bytes at the end; call <see cref="Advance"/> once they are written.</summary>
    public Span<byte> Reserve(int length)
    {
        Ensure(length);
        return _buffer.AsSpan(_position, length);
    }

    /// <summary>Counts <paramref name="length"/> bytes written into <see cref="Reserve"/>'s (or <see cref="GetSpan"/>'s) span.</summary>
    public void Advance(int length) => _position += length;

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 256));
        return _buffer.AsSpan(_position);
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 256));
        return _buffer.AsMemory(_position);
    }

    /// <summary>Writes a varint into <paramref name="destination"/> at <paramref name="at"/>, moving it on.</summary>
    public static void WriteVarint(Span<byte> destination, ref int at, ulong value)
    {
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[at++] = (byte)value;
    }

    /// <summary>Starts a nested message in <paramref name="field"/>; pass the result to <see cref="EndMessage"/>.</summary>
    public int BeginMessage(int field)
    {
        Tag(field, Delimited);
        Ensure(ReservedLength);
        _position += ReservedLength;
        return _position;
    }

    /// <summary>Ends the message begun at <paramref name="start"/>, writing its length.</summary>
    public void EndMessage(int start)
    {
        var length = _position - start;
        if (length > MaxNestedLength)
        {
            throw new InvalidOperationException($"A nested OTLP message of {length} bytes is over the {MaxNestedLength}-byte limit of this writer.");
        }

        var at = _buffer.AsSpan(start - ReservedLength, ReservedLength);
        at[0] = (byte)((length & 0x7F) | 0x80);
        at[1] = (byte)(((length >> 7) & 0x7F) | 0x80);
        at[2] = (byte)(((length >> 14) & 0x7F) | 0x80);
        at[3] = (byte)((length >> 21) & 0x7F);
    }

    private void Ensure(int more)
    {
        if (_position + more > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _position + more));
        }
    }
}
