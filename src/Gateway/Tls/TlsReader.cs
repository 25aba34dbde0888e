using System.Buffers.Binary;

namespace Gateway.Tls;

/// <summary>A bounds-checked cursor over TLS's big-endian, length-prefixed fields: every read says whether the bytes were there.</summary>
internal ref struct TlsReader(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    /// <summary>Bytes not read yet.</summary>
    public readonly int Remaining => _rest.Length;

    /// <summary>Reads one byte.</summary>
    public bool TryByte(out byte value)
    {
        value = 0;
        if (_rest.Length < 1)
        {
            return false;
        }

        value = _rest[0];
        _rest = _rest[1..];
        return true;
    }

    /// <summary>Reads a big-endian 16-bit value.</summary>
    public bool TryUInt16(out ushort value)
    {
        value = 0;
        if (_rest.Length < 2)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        _rest = _rest[2..];
        return true;
    }

    /// <summary>Reads <paramref name="count"/> bytes.</summary>
    public bool TryBytes(int count, out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        if (count < 0 || _rest.Length < count)
        {
            return false;
        }

        bytes = _rest[..count];
        _rest = _rest[count..];
        return true;
    }

    /// <summary>Reads a vector with a one-byte length prefix.</summary>
    public bool TryVector8(out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        return TryByte(out var length) && TryBytes(length, out bytes);
    }

    /// <summary>Reads a vector with a two-byte length prefix.</summary>
    public bool TryVector16(out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        return TryUInt16(out var length) && TryBytes(length, out bytes);
    }

    /// <summary>Reads a vector of 16-bit values (its byte length must be even).</summary>
    public static bool TryUInt16List(ReadOnlySpan<byte> bytes, out ushort[] values)
    {
        values = [];
        if (bytes.Length % 2 != 0)
        {
            return false;
        }

        values = new ushort[bytes.Length / 2];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt16BigEndian(bytes[(2 * i)..]);
        }

        return true;
    }
}
