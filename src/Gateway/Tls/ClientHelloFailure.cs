namespace Gateway.Tls;

/// <summary>Why a connection that began with a TLS handshake record yielded no ClientHello fingerprint.</summary>
internal enum ClientHelloFailure : byte
{
    /// <summary>Nothing went wrong.</summary>
    None,

    /// <summary>The connection ended (or the TLS layer stopped reading) before the whole ClientHello arrived.</summary>
    Truncated,

    /// <summary>A record header was invalid: a record of another type before the ClientHello was complete, or a length of 0 or above 2^14 + 256.</summary>
    MalformedRecord,

    /// <summary>The first handshake message was not a ClientHello.</summary>
    NotClientHello,

    /// <summary>The ClientHello's declared length is above the gateway's bound (<see cref="HandshakeMessageAssembler.MaxMessageBytes"/>).</summary>
    TooLarge,

    /// <summary>A length inside the ClientHello disagreed with the bytes around it (session id, ciphers, compression methods, extensions).</summary>
    Malformed,
}
