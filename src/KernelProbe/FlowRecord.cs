namespace KernelProbe;

/// <summary>What the kernel recorded for one flow, decoded from <c>struct probe_flow_record</c>.</summary>
public sealed record FlowRecord
{
    /// <summary>Flags the programs set (handshake seen, who opened, FIN/RST).</summary>
    public FlowFlags Flags { get; init; }

    /// <summary>Monotonic time (ns, CLOCK_MONOTONIC) of the first recorded segment.</summary>
    public ulong FirstSeenNs { get; init; }

    /// <summary>Monotonic time (ns) of the latest recorded segment.</summary>
    public ulong LastSeenNs { get; init; }

    /// <summary>Segments received by the gateway.</summary>
    public ulong PacketsIn { get; init; }

    /// <summary>Segments sent by the gateway.</summary>
    public ulong PacketsOut { get; init; }

    /// <summary>Payload bytes received.</summary>
    public ulong BytesIn { get; init; }

    /// <summary>Payload bytes sent.</summary>
    public ulong BytesOut { get; init; }

    /// <summary>Segments the gateway sent again.</summary>
    public ulong RetransmitsOut { get; init; }

    /// <summary>Handshake RTT in microseconds (downstream: SYN-ACK to ACK; upstream: SYN to SYN-ACK); null when not measured.</summary>
    public uint? HandshakeRttUs { get; init; }

    /// <summary>Times the peer's TTL changed mid-connection.</summary>
    public uint TtlChanges { get; init; }

    /// <summary>Times the peer's advertised window dropped to zero.</summary>
    public uint ZeroWindowIn { get; init; }

    /// <summary>Times the gateway's advertised window dropped to zero.</summary>
    public uint ZeroWindowOut { get; init; }

    /// <summary>Who sent the first FIN or RST.</summary>
    public ConnectionCloser ClosedBy { get; init; }

    /// <summary>TTL of the peer's latest segment.</summary>
    public byte LastTtl { get; init; }

    /// <summary>Whether the IPv4 don't-fragment bit was set on the handshake segment (false for IPv6).</summary>
    public bool HandshakeDontFragment => Flags.HasFlag(FlowFlags.DontFragment);

    /// <summary>Who reset the connection, if anyone: the peer, the gateway, or null.</summary>
    public ConnectionCloser? ResetBy =>
        Flags.HasFlag(FlowFlags.RstIn) ? ConnectionCloser.Peer : Flags.HasFlag(FlowFlags.RstOut) ? ConnectionCloser.Gateway : null;

    /// <summary>
    /// The JA4T fingerprint of the handshake, <c>window_options_mss_wscale</c>
    /// (e.g. <c>64240_2-4-8-1-3_1460_7</c>); an absent option list, MSS or window
    /// scale is written as 0. Null without a handshake. JA4T is a JA4+ method under
    /// the FoxIO License 1.1: the gateway writes it only when asked (<c>KernelProbe:Ja4t</c>).
    /// </summary>
    public string? Ja4t => HasHandshake
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{HandshakeWindow}_{(HandshakeOptionKinds.Count == 0 ? "0" : HandshakeOptions)}_{HandshakeMss ?? 0}_{HandshakeWindowScale ?? 0}")
        : null;

    /// <summary>Sequence number of the peer's handshake segment.</summary>
    public uint PeerIsn { get; init; }

    /// <summary>Sequence number of the gateway's SYN or SYN-ACK.</summary>
    public uint LocalIsn { get; init; }

    /// <summary>Whether the peer's handshake segment was seen; the Handshake* values are meaningful only then.</summary>
    public bool HasHandshake => Flags.HasFlag(FlowFlags.Handshake);

    /// <summary>TTL or hop limit of the peer's handshake segment.</summary>
    public byte HandshakeTtl { get; init; }

    /// <summary>TOS / traffic class byte of the peer's handshake segment.</summary>
    public byte HandshakeTos { get; init; }

    /// <summary>DSCP (upper six bits of the TOS byte).</summary>
    public int HandshakeDscp => HandshakeTos >> 2;

    /// <summary>ECN (lower two bits of the TOS byte).</summary>
    public int HandshakeEcn => HandshakeTos & 0x3;

    /// <summary>Raw window field of the handshake segment.</summary>
    public ushort HandshakeWindow { get; init; }

    /// <summary>MSS option, null when absent.</summary>
    public ushort? HandshakeMss { get; init; }

    /// <summary>Window-scale option, null when absent.</summary>
    public byte? HandshakeWindowScale { get; init; }

    /// <summary>Option kinds in wire order.</summary>
    public IReadOnlyList<byte> HandshakeOptionKinds { get; init; } = [];

    /// <summary>Option kinds dash-separated, e.g. <c>2-4-8-1-3</c>; empty when none.</summary>
    public string HandshakeOptions => string.Join('-', HandshakeOptionKinds);

    // Option lists are few (clients of one kind send the same SYN) and never change once
    // read: records share one array per list instead of allocating one per lookup. Bounded.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<UInt128, byte[]> KindLists = new();

    private static byte[] SharedKinds(ReadOnlySpan<byte> kinds)
    {
        if (kinds.Length == 0)
            return [];
        if (FlowView.OptionKey(kinds) is not { } key)
            return kinds.ToArray();
        if (KindLists.TryGetValue(key, out byte[]? shared))
            return shared;
        byte[] copy = kinds.ToArray();
        if (KindLists.Count < 1024)
            KindLists.TryAdd(key, copy);
        return copy;
    }

    internal static FlowRecord FromRaw(in ProbeFlowRecord raw) => From(new FlowView(raw));

    /// <summary>The record of what <paramref name="view"/> reads (its option kinds shared by shape).</summary>
    internal static FlowRecord From(in FlowView view)
    {
        Span<byte> kinds = stackalloc byte[ProbeAbi.MaxOptionKinds];
        int count = view.CopyHandshakeOptionKinds(kinds);
        return new FlowRecord
        {
            Flags = view.Flags,
            FirstSeenNs = view.FirstSeenNs,
            LastSeenNs = view.LastSeenNs,
            PacketsIn = view.PacketsIn,
            PacketsOut = view.PacketsOut,
            BytesIn = view.BytesIn,
            BytesOut = view.BytesOut,
            PeerIsn = view.PeerIsn,
            RetransmitsOut = view.RetransmitsOut,
            HandshakeRttUs = view.HandshakeRttUs,
            TtlChanges = view.TtlChanges,
            ZeroWindowIn = view.ZeroWindowIn,
            ZeroWindowOut = view.ZeroWindowOut,
            ClosedBy = view.ClosedBy,
            LastTtl = view.LastTtl,
            LocalIsn = view.LocalIsn,
            HandshakeTtl = view.HandshakeTtl,
            HandshakeTos = view.HandshakeTos,
            HandshakeWindow = view.HandshakeWindow,
            HandshakeMss = view.HandshakeMss,
            HandshakeWindowScale = view.HandshakeWindowScale,
            HandshakeOptionKinds = SharedKinds(kinds[..count]),
        };
    }
}
