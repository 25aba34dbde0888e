namespace Gateway.Tls;

/// <summary>GREASE values (RFC 8701): reserved code points clients sprinkle into lists so that servers tolerate unknown ones.</summary>
internal static class TlsGrease
{
    /// <summary>True for the sixteen values <c>0x0A0A</c>, <c>0x1A1A</c> … <c>0xFAFA</c> (both bytes equal, low nibble A).</summary>
    public static bool Is(ushort value) => (value & 0x0F0F) == 0x0A0A && value >> 8 == (value & 0xFF);
}
