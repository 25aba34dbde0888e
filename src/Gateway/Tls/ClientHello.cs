namespace Gateway.Tls;

/// <summary>
/// What a ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2) offered, as sent: lists keep their wire
/// order and their GREASE values. Read by <see cref="ClientHelloReader"/>.
/// </summary>
internal sealed class ClientHello
{
    /// <summary>The <c>legacy_version</c> field (0x0303 for TLS 1.2 and 1.3 clients).</summary>
    public required ushort LegacyVersion { get; init; }

    /// <summary>The <c>supported_versions</c> extension's list, or null when the extension is absent.</summary>
    public required ushort[]? SupportedVersions { get; init; }

    /// <summary>The legacy session id (empty when none was sent).</summary>
    public required byte[] SessionId { get; init; }

    /// <summary>Cipher suites in wire order.</summary>
    public required ushort[] CipherSuites { get; init; }

    /// <summary>Extension types in wire order.</summary>
    public required ushort[] Extensions { get; init; }

    /// <summary>The <c>signature_algorithms</c> extension's list in wire order (empty when absent).</summary>
    public required ushort[] SignatureAlgorithms { get; init; }

    /// <summary>Whether a <c>server_name</c> extension was sent.</summary>
    public required bool HasServerName { get; init; }

    /// <summary>The first <c>host_name</c> of the <c>server_name</c> extension, bytes outside printable ASCII written <c>\xNN</c>; null when none.</summary>
    public required string? ServerName { get; init; }

    /// <summary>The ALPN protocol names offered, in order, as raw bytes; null when the extension is absent.</summary>
    public required byte[][]? Alpn { get; init; }

    /// <summary>The highest non-GREASE version of <c>supported_versions</c>, else <see cref="LegacyVersion"/>.</summary>
    public ushort Version
    {
        get
        {
            if (SupportedVersions is null)
            {
                return LegacyVersion;
            }

            ushort highest = 0;
            foreach (var version in SupportedVersions)
            {
                if (!TlsGrease.Is(version) && version > highest)
                {
                    highest = version;
                }
            }

            return highest;
        }
    }
}
