namespace Gateway.Correlation;

/// <summary>
/// What the kernel saw on one connection, in the terms of the <c>wire.*</c>
/// attribute schema. Handshake fields are null when the handshake segment was
/// not seen (the record was started mid-connection) or the option was absent.
/// </summary>
public sealed record WireFacts
{
    /// <summary>TTL (IPv4) or hop limit (IPv6) of the peer's handshake segment.</summary>
    public int? Ttl { get; init; }

    /// <summary>DSCP of the peer's handshake segment.</summary>
    public int? Dscp { get; init; }

    /// <summary>ECN bits of the peer's handshake segment.</summary>
    public int? Ecn { get; init; }

    /// <summary>Raw window field of the peer's handshake segment.</summary>
    public int? Window { get; init; }

    /// <summary>MSS option of the peer's handshake segment.</summary>
    public int? Mss { get; init; }

    /// <summary>Window-scale option; null when the peer did not send one.</summary>
    public int? WindowScale { get; init; }

    /// <summary>Option kinds in wire order, dash-separated (<c>2-4-8-1-3</c>).</summary>
    public string? Options { get; init; }

    /// <summary>TCP segments the gateway received on this connection so far.</summary>
    public long PacketsIn { get; init; }

    /// <summary>TCP segments the gateway sent on this connection so far.</summary>
    public long PacketsOut { get; init; }

    /// <summary>TCP payload bytes received so far.</summary>
    public long BytesIn { get; init; }

    /// <summary>TCP payload bytes sent so far.</summary>
    public long BytesOut { get; init; }
}
