namespace Gateway.Requests;

/// <summary>Where the request's view of the rules (<see cref="RuleAttributes"/>) reads one attribute, resolved once per name.</summary>
internal enum RuleAttributeSource
{
    /// <summary>None of the below: the server span's attributes, once the response has ended.</summary>
    Late,

    /// <summary><c>http.request.header.*</c> through the headers' indexer.</summary>
    Header,

    /// <summary><c>http.request.header.*</c> of a header Kestrel keeps in a field of its own (<see cref="RuleAttributeReader.KnownHeader"/>).</summary>
    KnownHeader,

    /// <summary><c>http.request.method</c>.</summary>
    Method,
    UrlPath,
    UrlQuery,
    UrlScheme,
    ProtocolVersion,
    UserAgentOriginal,
    ServerAddress,
    RouteId,
    ClusterId,
    PeerAddress,
    PeerPort,
    LocalPort,
    ClientAddress,
    OsHint,
    ClaimsMismatch,
    ForwardedTrusted,
    ForwardedMismatch,
    DurationMs,

    /// <summary><c>wire.observed</c>.</summary>
    WireObserved,
    WireTtl,
    WireDscp,
    WireEcn,
    WireWindow,
    WireMss,
    WireWindowScale,
    WireHandshakeRtt,
    WireTtlChanges,
    WireRetransmitsOut,
    WireZeroWindowIn,
    WireZeroWindowOut,
    WirePacketsIn,
    WirePacketsOut,
    WireBytesIn,
    WireBytesOut,
    WireOptions,
    WireJa4t,
    WireDontFragment,
    WireResetBy,

    /// <summary>Another <c>wire.*</c> name (not <c>wire.request.*</c>): the facts have no such field, the server span may.</summary>
    WireOther,

    /// <summary><c>tls.client.ja4</c>.</summary>
    TlsJa4,
    TlsResumed,
    TlsServerName,
    TlsProtocolVersion,
    TlsCipher,
    TlsNextProtocol,
}
