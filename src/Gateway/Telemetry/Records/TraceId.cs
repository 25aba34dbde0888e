using System.Buffers.Binary;

namespace Gateway.Telemetry.Records;

/// <summary>A W3C trace id: 16 bytes, kept as two big-endian halves so that it costs no allocation.</summary>
internal readonly record struct TraceId(ulong High, ulong Low)
{
    /// <summary>True for the all-zero id, which W3C forbids on the wire.</summary>
    public bool IsEmpty => High == 0 && Low == 0;

    /// <summary>A random id (never all zero).</summary>
    public static TraceId NewRandom()
    {
        Span<byte> bytes = stackalloc byte[16];
        TraceId id;
        do
        {
            Random.Shared.NextBytes(bytes);
            id = FromBytes(bytes);
        }
        while (id.IsEmpty);

        return id;
    }

    /// <summary>The id whose 16 bytes are <paramref name="bytes"/>.</summary>
    public static TraceId FromBytes(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));

    /// <summary>Writes the 16 bytes to <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    /// <summary>32 lower-case hex digits.</summary>
    public string ToHex() => string.Create(32, this, static (chars, id) => id.WriteHex(chars));

    /// <summary>Writes the 32 lower-case hex digits to <paramref name="destination"/>.</summary>
    public void WriteHex(Span<char> destination)
    {
        SpanIds.WriteHex(High, destination);
        SpanIds.WriteHex(Low, destination[16..]);
    }

    /// <summary>Reads 32 hex digits; false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> hex, out TraceId id)
    {
        id = default;
        if (hex.Length != 32
            || !SpanIds.TryParseHex(hex[..16], out var high)
            || !SpanIds.TryParseHex(hex[16..], out var low))
        {
            return false;
        }

        id = new TraceId(high, low);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => ToHex();
}
