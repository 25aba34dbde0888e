namespace Gateway.Correlation;

/// <summary>
/// What the kernel saw on one connection, in the terms of the <c>wire.*</c>
/// attribute schema. Handshake fields are null when the handshake segment was
/// not seen (the record was started mid-connection) or the option was absent.
/// </summary>
/// <remarks>
/// A value, not an object: both legs of every request read their connection's facts once,
/// and as a class they were the largest allocation the wire view made per request
/// (two of about 170 bytes).
/// </remarks>
public readonly record struct WireFacts
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

    /// <summary>The JA4T fingerprint of the handshake, <c>window_options_mss_wscale</c>; null unless <c>KernelProbe:Ja4t</c> is on.</summary>
    public string? Ja4t { get; init; }

    /// <summary>IPv4 don't-fragment bit of the peer's handshake segment; null for IPv6 or without handshake.</summary>
    public bool? DontFragment { get; init; }

    /// <summary>Handshake RTT in microseconds, measured in the kernel; null when not measured.</summary>
    public long? HandshakeRttUs { get; init; }

    /// <summary>Segments the gateway sent again on this connection so far.</summary>
    public long RetransmitsOut { get; init; }

    /// <summary>Times the peer's TTL changed mid-connection.</summary>
    public long TtlChanges { get; init; }

    /// <summary>Times the peer's advertised window dropped to zero.</summary>
    public long ZeroWindowIn { get; init; }

    /// <summary>Times the gateway's advertised window dropped to zero.</summary>
    public long ZeroWindowOut { get; init; }

    /// <summary><c>peer</c> or <c>gateway</c> when the connection was reset; null otherwise.</summary>
    public string? ResetBy { get; init; }

    /// <summary><c>peer</c> or <c>gateway</c>: who sent the first FIN or RST; null while open.</summary>
    public string? ClosedBy { get; init; }

    /// <summary>Time from the first to the latest segment the kernel recorded, in milliseconds.</summary>
    public double DurationMs { get; init; }

    /// <summary>TCP segments the gateway received on this connection so far.</summary>
    public long PacketsIn { get; init; }

    /// <summary>TCP segments the gateway sent on this connection so far.</summary>
    public long PacketsOut { get; init; }

    /// <summary>TCP payload bytes received so far.</summary>
    public long BytesIn { get; init; }

    /// <summary>TCP payload bytes sent so far.</summary>
    public long BytesOut { get; init; }

    /// <summary>Segments with payload received so far (what the per-request packet counts are made of).</summary>
    public long DataPacketsIn { get; init; }

    /// <summary>Segments with payload sent so far.</summary>
    public long DataPacketsOut { get; init; }

    /// <summary>Stream offset (modulo 2^32) up to which the peer has sent; null when its first sequence number is unknown.</summary>
    public uint? ReceivedOffset { get; init; }

    /// <summary>Stream offset (modulo 2^32) up to which the gateway has sent; null when its first sequence number is unknown.</summary>
    public uint? SentOffset { get; init; }

    /// <summary>
    /// Stream offset (modulo 2^32) up to which the peer has acknowledged what the gateway sent (one past the
    /// last payload byte once it acknowledged the gateway's FIN); null when unknown.
    /// </summary>
    public uint? AckedOffset { get; init; }

    /// <summary>Turns so far: the peer's first data after the gateway's (see <see cref="KernelProbe.FlowTurn"/>).</summary>
    public uint Turns { get; init; }

    /// <summary>The counters just before the latest turn.</summary>
    public KernelProbe.FlowTurn Turn { get; init; }
}
