using System.Buffers.Binary;
using System.Globalization;

namespace Gateway.Telemetry.Records;

/// <summary>Span ids: 8 bytes kept as one big-endian <see cref="ulong"/>; 0 means none.</summary>
internal static class SpanIds
{
    /// <summary>A random span id (never 0).</summary>
    public static ulong NewRandom()
    {
        ulong id;
        do
        {
            id = (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue);
        }
        while (id == 0);

        return id;
    }

    /// <summary>16 lower-case hex digits.</summary>
    public static string ToHex(ulong id) => string.Create(16, id, static (chars, value) => WriteHex(value, chars));

    /// <summary>Writes <paramref name="value"/> as 16 lower-case hex digits to <paramref name="destination"/>.</summary>
    public static void WriteHex(ulong value, Span<char> destination)
    {
        const string digits = "0123456789abcdef";
        destination = destination[..16];
        for (var i = 15; i >= 0; i--)
        {
            destination[i] = digits[(int)(value & 0xF)];
            value >>= 4;
        }
    }

    /// <summary>Reads exactly 16 hex digits (either case).</summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out ulong value) =>
        ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && hex.Length == 16;
}
