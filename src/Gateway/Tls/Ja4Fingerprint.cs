using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Tls;

/// <summary>
/// The JA4 fingerprint of a ClientHello (FoxIO's JA4 TLS client fingerprint, BSD-3-Clause;
/// method: technical_details/JA4.md of FoxIO-LLC/ja4), for TLS over TCP, written from the
/// method's description.
/// </summary>
/// <remarks>
/// <c>t</c>, the version (two characters), <c>d</c> with SNI or <c>i</c> without, the counts of
/// cipher suites and extensions (two digits each, at most 99), the first and last character of the
/// first ALPN value; then <c>_</c> and the first 12 hex digits of SHA-256 over the sorted cipher
/// list; then <c>_</c> and the same over the sorted extension list (without SNI and ALPN) followed
/// by <c>_</c> and the signature algorithms in wire order. GREASE values never count.
/// </remarks>
internal static class Ja4Fingerprint
{
    private const ushort ServerNameExtension = 0x0000;
    private const ushort AlpnExtension = 0x0010;
    private const string Empty = "000000000000";

    /// <summary>The JA4 fingerprint of <paramref name="hello"/>, e.g. <c>t13d1516h2_8daaf6152771_e5627efa2ab1</c>.</summary>
    public static string Compute(ClientHello hello)
    {
        var ciphers = WithoutGrease(hello.CipherSuites);
        var extensions = WithoutGrease(hello.Extensions);
        var a = string.Create(CultureInfo.InvariantCulture,
            $"t{Version(hello.Version)}{(hello.HasServerName ? 'd' : 'i')}{Math.Min(ciphers.Count, 99):D2}{Math.Min(extensions.Count, 99):D2}{Alpn(hello.Alpn)}");

        ciphers.Sort();
        var b = ciphers.Count == 0 ? Empty : Hash12(HexList(ciphers));

        extensions.RemoveAll(e => e is ServerNameExtension or AlpnExtension);
        extensions.Sort();
        string c;
        if (extensions.Count == 0)
        {
            c = Empty;
        }
        else
        {
            var text = HexList(extensions);
            var algorithms = WithoutGrease(hello.SignatureAlgorithms);
            if (algorithms.Count > 0)
            {
                text += "_" + HexList(algorithms);
            }

            c = Hash12(text);
        }

        return $"{a}_{b}_{c}";
    }

    /// <summary>The two-character version: <c>13</c>, <c>12</c>, <c>11</c>, <c>10</c>, <c>s3</c>, <c>s2</c>, the DTLS <c>d1</c>..<c>d3</c>, else <c>00</c>.</summary>
    internal static string Version(ushort version) => version switch
    {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xFEFF => "d1",
        0xFEFD => "d2",
        0xFEFC => "d3",
        _ => "00",
    };

    /// <summary>
    /// First and last character of the first ALPN value when both are ASCII letters or digits;
    /// <c>99</c> when its first byte is not ASCII; otherwise the first and last hex digit of that
    /// value; <c>00</c> when there is none or it is empty.
    /// </summary>
    /// <remarks>
    /// JA4.md asks for the hex digits whenever the first or last byte is not alphanumeric, but all
    /// three of FoxIO's own implementations (Python, Rust, Wireshark) write <c>99</c> when the first
    /// byte is not ASCII, and their outputs are what fingerprint databases hold: for that case the
    /// tools win (the vector of pcap/tls-non-ascii-alpn.pcapng checks it). For the other cases the
    /// tools disagree among themselves, and the written method is followed.
    /// </remarks>
    internal static string Alpn(byte[][]? protocols)
    {
        if (protocols is not { Length: > 0 } || protocols[0].Length == 0)
        {
            return "00";
        }

        var first = protocols[0][0];
        var last = protocols[0][^1];
        if (first > 0x7F)
        {
            return "99";
        }

        if (IsAlphanumeric(first) && IsAlphanumeric(last))
        {
            return string.Concat((char)first, (char)last);
        }

        const string hex = "0123456789abcdef";
        return string.Concat(hex[first >> 4], hex[last & 0xF]);
    }

    private static bool IsAlphanumeric(byte b) => b is (>= 0x30 and <= 0x39) or (>= 0x41 and <= 0x5A) or (>= 0x61 and <= 0x7A);

    private static List<ushort> WithoutGrease(ushort[] values)
    {
        var list = new List<ushort>(values.Length);
        foreach (var value in values)
        {
            if (!TlsGrease.Is(value))
            {
                list.Add(value);
            }
        }

        return list;
    }

    private static string HexList(List<ushort> values)
    {
        var text = new StringBuilder(values.Count * 5);
        foreach (var value in values)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(value.ToString("x4", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static string Hash12(string text)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.ASCII.GetBytes(text), digest);
        return Convert.ToHexStringLower(digest[..6]);
    }
}
