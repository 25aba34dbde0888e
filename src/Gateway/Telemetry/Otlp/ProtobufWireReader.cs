namespace Gateway.Telemetry.Otlp;

/// <summary>
/// Reads protobuf wire format field by field, over a span and without allocating: just enough to pick
/// a few fields out of a collector's answer. Every method returns false on malformed input instead
/// of throwing, because the bytes come from the network.
/// </summary>
internal ref struct ProtobufWireReader(ReadOnlySpan<byte> data)
{
    /// <summary>Wire type of varint fields (int32, int64, uint64, bool, enum).</summary>
    public const int Varint = 0;

    /// <summary>Wire type of 8-byte fields (fixed64, sfixed64, double).</summary>
    public const int Fixed64 = 1;

    /// <summary>Wire type of length-prefixed fields (string, bytes, messages, packed repeated).</summary>
    public const int LengthDelimited = 2;

    /// <summary>Wire type of 4-byte fields (fixed32, sfixed32, float).</summary>
    public const int Fixed32 = 5;

    private ReadOnlySpan<byte> rest = data;

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool AtEnd => rest.IsEmpty;

    /// <summary>Reads the next field's tag; false at a malformed tag (field 0, a wire type that does not exist).</summary>
    public bool TryReadTag(out int field, out int wireType)
    {
        field = 0;
        wireType = 0;
        if (!TryReadVarint(out var tag) || tag >> 3 is 0 or > int.MaxValue)
        {
            return false;
        }

        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return wireType is Varint or Fixed64 or LengthDelimited or Fixed32;
    }

    /// <summary>Reads a base-128 varint of at most ten bytes.</summary>
    public bool TryReadVarint(out ulong value)
    {
        value = 0;
        for (var i = 0; i < 10 && i < rest.Length; i++)
        {
            var b = rest[i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                rest = rest[(i + 1)..];
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads the payload of a length-delimited field; the span points into the input.</summary>
    public bool TryReadLengthDelimited(out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (!TryReadVarint(out var length) || length > (ulong)rest.Length)
        {
            return false;
        }

        payload = rest[..(int)length];
        rest = rest[(int)length..];
        return true;
    }

    /// <summary>Skips the value of a field of <paramref name="wireType"/> (an unknown field).</summary>
    public bool TrySkip(int wireType)
    {
        switch (wireType)
        {
            case Varint:
                return TryReadVarint(out _);
            case LengthDelimited:
                return TryReadLengthDelimited(out _);
            case Fixed64:
                return TrySkipBytes(8);
            case Fixed32:
                return TrySkipBytes(4);
            default:
                return false;
        }
    }

    private bool TrySkipBytes(int count)
    {
        if (rest.Length < count)
        {
            return false;
        }

        rest = rest[count..];
        return true;
    }
}
