namespace Gateway.ClientIdentity;

/// <summary>What a request's client said about itself and what its connection showed, as <see cref="ClaimsMismatch"/> compares them.</summary>
public readonly record struct ClientEvidence
{
    /// <summary>The <c>User-Agent</c> header.</summary>
    public string? UserAgent { get; init; }

    /// <summary>The request's <c>Host</c> (without port).</summary>
    public string? Host { get; init; }

    /// <summary>Whether the request carried a <c>Forwarded</c> or <c>X-Forwarded-For</c> chain.</summary>
    public bool ForwardedClaimed { get; init; }

    /// <summary>The <c>gateway.client.os_hint</c> of the connection's SYN; null when not seen.</summary>
    public string? OsHint { get; init; }

    /// <summary>Whether the connection is TLS and its ClientHello was read.</summary>
    public bool TlsSeen { get; init; }

    /// <summary>The ClientHello's SNI host name, when one was sent.</summary>
    public string? ServerName { get; init; }

    /// <summary>Whether the ClientHello offered ALPN.</summary>
    public bool OfferedAlpn { get; init; }

    /// <summary>Whether the ClientHello offered TLS 1.3.</summary>
    public bool OfferedTls13 { get; init; }
}
