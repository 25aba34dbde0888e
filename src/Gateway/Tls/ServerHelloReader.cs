namespace Gateway.Tls;

/// <summary>Reads what a ServerHello says about the handshake it starts: which version, whether it is a HelloRetryRequest, whether a pre-shared key was accepted.</summary>
internal static class ServerHelloReader
{
    /// <summary>Handshake type of a ServerHello.</summary>
    public const byte ServerHelloType = 2;

    private const ushort PreSharedKeyExtension = 0x0029;
    private const ushort SupportedVersionsExtension = 0x002B;

    // RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello whose random is SHA-256("HelloRetryRequest").
    private static ReadOnlySpan<byte> HelloRetryRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    /// <summary>
    /// Parses a ServerHello body; false when it is malformed. <paramref name="version"/> is the
    /// selected version (<c>supported_versions</c>, else <c>legacy_version</c>).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out ushort version, out bool helloRetry, out bool pskAccepted)
    {
        version = 0;
        helloRetry = false;
        pskAccepted = false;
        var reader = new TlsReader(body);
        if (!reader.TryUInt16(out var legacy) || !reader.TryBytes(32, out var random)
            || !reader.TryVector8(out _) || !reader.TryUInt16(out _) || !reader.TryByte(out _))
        {
            return false;
        }

        version = legacy;
        helloRetry = random.SequenceEqual(HelloRetryRandom);
        if (reader.Remaining == 0)
        {
            return true;
        }

        if (!reader.TryVector16(out var extensions))
        {
            return false;
        }

        var list = new TlsReader(extensions);
        while (list.Remaining > 0)
        {
            if (!list.TryUInt16(out var type) || !list.TryVector16(out var data))
            {
                return false;
            }

            if (type == SupportedVersionsExtension && data.Length == 2)
            {
                version = (ushort)((data[0] << 8) | data[1]);
            }

            pskAccepted |= type == PreSharedKeyExtension;
        }

        return true;
    }
}
