namespace Gateway.Tls;

/// <summary>
/// What the gateway read of a connection's TLS handshake in the clear: the client's first
/// ClientHello and its JA4, and whether the server resumed a session. On the connection's
/// features (and so on every request's) when the connection began with a TLS handshake record.
/// </summary>
/// <remarks>Filled during the handshake, before the first request on the connection is parsed; read-only after it.</remarks>
internal sealed class TlsHelloFeature
{
    /// <summary>The first ClientHello, or null when it could not be read (<see cref="Failure"/> says why).</summary>
    public ClientHello? ClientHello { get; internal set; }

    /// <summary>The JA4 fingerprint of <see cref="ClientHello"/>.</summary>
    public string? Ja4 { get; internal set; }

    /// <summary>Why there is no ClientHello; <see cref="ClientHelloFailure.None"/> while it is still arriving or once read.</summary>
    public ClientHelloFailure Failure { get; internal set; }

    /// <summary>Whether the server's hello accepted an earlier session (TLS 1.3: a pre-shared key; TLS 1.2: an abbreviated handshake); null when not known.</summary>
    public bool? Resumed { get; internal set; }

    /// <summary>The connection's <c>tls.*</c> facts once the first request computed them.</summary>
    internal TlsConnectionFacts? Facts { get; set; }
}
