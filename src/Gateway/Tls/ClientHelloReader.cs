using System.Text;

namespace Gateway.Tls;

/// <summary>Reads the body of a ClientHello handshake message (without its 4-byte handshake header).</summary>
/// <remarks>
/// Strict about lengths, lenient about content: a length that disagrees with the bytes around it
/// is <see cref="ClientHelloFailure.Malformed"/>, while unknown extensions, repeated extensions or
/// odd values are kept as sent, since the fingerprint describes what the client sent, not whether
/// the TLS layer will accept it.
/// </remarks>
internal static class ClientHelloReader
{
    private const ushort ServerNameExtension = 0x0000;
    private const ushort SignatureAlgorithmsExtension = 0x000D;
    private const ushort AlpnExtension = 0x0010;
    private const ushort SupportedVersionsExtension = 0x002B;

    // Bounds what one hello can make the gateway allocate, whatever its lengths say.
    private const int MaxServerNameBytes = 255;

    /// <summary>Parses <paramref name="body"/>; returns <see cref="ClientHelloFailure.None"/> and the hello, or why not.</summary>
    public static ClientHelloFailure TryRead(ReadOnlySpan<byte> body, out ClientHello? hello)
    {
        hello = null;
        var reader = new TlsReader(body);
        if (!reader.TryUInt16(out var legacyVersion)
            || !reader.TryBytes(32, out _)
            || !reader.TryVector8(out var sessionId) || sessionId.Length > 32
            || !reader.TryVector16(out var cipherBytes) || !TlsReader.TryUInt16List(cipherBytes, out var ciphers)
            || !reader.TryVector8(out var compression) || compression.Length == 0)
        {
            return ClientHelloFailure.Malformed;
        }

        // A TLS 1.2 hello may end here (RFC 5246 7.4.1.2: extensions are optional).
        var extensions = new List<ushort>();
        ushort[]? supportedVersions = null;
        ushort[] signatureAlgorithms = [];
        var hasServerName = false;
        string? serverName = null;
        byte[][]? alpn = null;
        if (reader.Remaining > 0)
        {
            if (!reader.TryVector16(out var extensionBytes) || reader.Remaining != 0)
            {
                return ClientHelloFailure.Malformed;
            }

            var list = new TlsReader(extensionBytes);
            while (list.Remaining > 0)
            {
                if (!list.TryUInt16(out var type) || !list.TryVector16(out var data))
                {
                    return ClientHelloFailure.Malformed;
                }

                extensions.Add(type);
                var ok = type switch
                {
                    ServerNameExtension => TryServerName(data, out serverName),
                    AlpnExtension => TryAlpn(data, out alpn),
                    SupportedVersionsExtension => TrySupportedVersions(data, out supportedVersions),
                    SignatureAlgorithmsExtension => TrySignatureAlgorithms(data, out signatureAlgorithms),
                    _ => true,
                };
                if (!ok)
                {
                    return ClientHelloFailure.Malformed;
                }

                hasServerName |= type == ServerNameExtension;
            }
        }

        hello = new ClientHello
        {
            LegacyVersion = legacyVersion,
            SupportedVersions = supportedVersions,
            SessionId = sessionId.ToArray(),
            CipherSuites = ciphers,
            Extensions = [.. extensions],
            SignatureAlgorithms = signatureAlgorithms,
            HasServerName = hasServerName,
            ServerName = serverName,
            Alpn = alpn,
        };
        return ClientHelloFailure.None;
    }

    // RFC 6066 3: a list of (name_type, name); the first host_name (type 0) counts. An empty
    // extension is what a server sends back, and some clients send it too: present, no name.
    private static bool TryServerName(ReadOnlySpan<byte> data, out string? name)
    {
        name = null;
        if (data.IsEmpty)
        {
            return true;
        }

        var outer = new TlsReader(data);
        if (!outer.TryVector16(out var list) || outer.Remaining != 0)
        {
            return false;
        }

        var entries = new TlsReader(list);
        while (entries.Remaining > 0)
        {
            if (!entries.TryByte(out var kind) || !entries.TryVector16(out var value))
            {
                return false;
            }

            if (kind == 0 && name is null)
            {
                name = Printable(value.Length > MaxServerNameBytes ? value[..MaxServerNameBytes] : value);
            }
        }

        return true;
    }

    // RFC 7301 3.1: a list of non-empty names with a one-byte length each. An empty name is
    // kept (JA4 writes it as "00"); a list that does not add up is malformed.
    private static bool TryAlpn(ReadOnlySpan<byte> data, out byte[][]? protocols)
    {
        protocols = null;
        var outer = new TlsReader(data);
        if (!outer.TryVector16(out var list) || outer.Remaining != 0)
        {
            return false;
        }

        var names = new List<byte[]>();
        var entries = new TlsReader(list);
        while (entries.Remaining > 0)
        {
            if (!entries.TryVector8(out var name))
            {
                return false;
            }

            names.Add(name.ToArray());
        }

        protocols = [.. names];
        return true;
    }

    private static bool TrySupportedVersions(ReadOnlySpan<byte> data, out ushort[]? versions)
    {
        versions = null;
        var outer = new TlsReader(data);
        if (!outer.TryVector8(out var list) || outer.Remaining != 0 || !TlsReader.TryUInt16List(list, out var values))
        {
            return false;
        }

        versions = values;
        return true;
    }

    private static bool TrySignatureAlgorithms(ReadOnlySpan<byte> data, out ushort[] algorithms)
    {
        algorithms = [];
        var outer = new TlsReader(data);
        return outer.TryVector16(out var list) && outer.Remaining == 0 && TlsReader.TryUInt16List(list, out algorithms);
    }

    /// <summary>Printable ASCII as is, every other byte as <c>\xNN</c>: what a client sent never reaches a record unescaped.</summary>
    internal static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x21 and < 0x7F && b != (byte)'\\')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
