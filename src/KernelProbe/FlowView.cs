namespace KernelProbe;

/// <summary>
/// A flow's record as read from the table, decoded on access: the facts of
/// <see cref="FlowRecord"/> without allocating one. For callers that read a flow
/// on every request (<see cref="WireProbe.TryReadFlow"/>);
/// <see cref="ToRecord"/> makes the object when one is to be kept.
/// </summary>
public readonly struct FlowView
{
    private readonly ProbeFlowRecord _raw;

    internal FlowView(in ProbeFlowRecord raw) => _raw = raw;

    /// <summary>Flags the programs set.</summary>
    public FlowFlags Flags => (FlowFlags)_raw.Flags;

    /// <summary>Monotonic time (ns) of the first recorded segment.</summary>
    public ulong FirstSeenNs => _raw.FirstSeenNs;

    /// <summary>Monotonic time (ns) of the latest recorded segment.</summary>
    public ulong LastSeenNs => _raw.LastSeenNs;

    /// <summary>Segments received by the gateway.</summary>
    public ulong PacketsIn => _raw.PacketsIn;

    /// <summary>Segments sent by the gateway.</summary>
    public ulong PacketsOut => _raw.PacketsOut;

    /// <summary>Payload bytes received.</summary>
    public ulong BytesIn => _raw.BytesIn;

    /// <summary>Payload bytes sent.</summary>
    public ulong BytesOut => _raw.BytesOut;

    /// <summary>Segments the gateway sent again.</summary>
    public ulong RetransmitsOut => _raw.RetransmitsOut;

    /// <summary>Segments received that carried payload.</summary>
    public ulong DataPacketsIn => _raw.DataPacketsIn;

    /// <summary>Segments sent that carried payload.</summary>
    public ulong DataPacketsOut => _raw.DataPacketsOut;

    /// <summary>
    /// Payload bytes the peer has sent so far, as a stream offset modulo 2^32 (from the highest
    /// sequence received); null when the peer's first sequence number is unknown.
    /// </summary>
    public uint? ReceivedOffset => HasHandshake && Flags.HasFlag(FlowFlags.RcvMax) ? _raw.RcvMax - _raw.PeerIsn - 1 : null;

    /// <summary>Payload bytes the gateway has sent so far (once each), as a stream offset modulo 2^32; null when unknown.</summary>
    /// <remarks>
    /// The gateway's FIN takes a sequence number of its own but carries no byte of the stream: once it
    /// has left, the highest sequence sent is one past the last payload byte. (The program sets the
    /// FIN flag just after it moves the highest sequence, so a reader may briefly see that sequence
    /// without the flag: one past the last payload byte, which a caller comparing with a known end waits out.)
    /// </remarks>
    public uint? SentOffset => LocalIsnKnown ? _raw.SndMax - _raw.LocalIsn - 1 - (Flags.HasFlag(FlowFlags.FinOut) ? 1u : 0u) : null;

    /// <summary>
    /// Payload bytes of the gateway's the peer has acknowledged, as a stream offset modulo 2^32 (from the highest
    /// acknowledgment it sent; one more once it acknowledged the gateway's FIN); null when unknown.
    /// </summary>
    public uint? AckedOffset => LocalIsnKnown && Flags.HasFlag(FlowFlags.AckMax) ? _raw.AckMax - _raw.LocalIsn - 1 : null;

    // The gateway's SYN or SYN-ACK went through the egress program: its sequence number is the origin of the sent offsets.
    private bool LocalIsnKnown => (Flags & (FlowFlags.SynIn | FlowFlags.SynOut)) != 0 && Flags.HasFlag(FlowFlags.SndMax);

    /// <summary>Turns so far: segments with payload the peer sent after the gateway had sent payload.</summary>
    public uint Turns => _raw.TurnSeq >> 1;

    /// <summary>The counters just before the latest turn (meaningful when <see cref="Turns"/> is not 0).</summary>
    public FlowTurn Turn => new(_raw.Turn.DataPacketsIn, _raw.Turn.BytesIn, _raw.Turn.DataPacketsOut, _raw.Turn.BytesOut, _raw.Turn.RetransmitsOut,
        HasHandshake ? _raw.Turn.PeerSeq - _raw.PeerIsn - 1 : null, LocalIsnKnown ? _raw.Turn.SndMax - _raw.LocalIsn - 1 : null);

    /// <summary>Handshake RTT in microseconds; null when not measured.</summary>
    public uint? HandshakeRttUs => Flags.HasFlag(FlowFlags.Rtt) ? _raw.HandshakeRttUs : null;

    /// <summary>Times the peer's TTL changed mid-connection.</summary>
    public uint TtlChanges => _raw.TtlChanges;

    /// <summary>Times the peer's advertised window dropped to zero.</summary>
    public uint ZeroWindowIn => _raw.ZeroWindowIn;

    /// <summary>Times the gateway's advertised window dropped to zero.</summary>
    public uint ZeroWindowOut => _raw.ZeroWindowOut;

    /// <summary>Who sent the first FIN or RST.</summary>
    public ConnectionCloser ClosedBy => (ConnectionCloser)_raw.ClosedBy;

    /// <summary>Who reset the connection, if anyone.</summary>
    public ConnectionCloser? ResetBy =>
        Flags.HasFlag(FlowFlags.RstIn) ? ConnectionCloser.Peer : Flags.HasFlag(FlowFlags.RstOut) ? ConnectionCloser.Gateway : null;

    /// <summary>TTL of the peer's latest segment.</summary>
    public byte LastTtl => _raw.LastTtl;

    /// <summary>Sequence number of the peer's handshake segment.</summary>
    public uint PeerIsn => _raw.PeerIsn;

    /// <summary>Sequence number of the gateway's SYN or SYN-ACK.</summary>
    public uint LocalIsn => _raw.LocalIsn;

    /// <summary>Whether the peer's handshake segment was seen.</summary>
    public bool HasHandshake => Flags.HasFlag(FlowFlags.Handshake);

    /// <summary>Whether the IPv4 don't-fragment bit was set on the handshake segment.</summary>
    public bool HandshakeDontFragment => Flags.HasFlag(FlowFlags.DontFragment);

    /// <summary>TTL or hop limit of the peer's handshake segment.</summary>
    public byte HandshakeTtl => _raw.HsTtl;

    /// <summary>TOS / traffic class byte of the peer's handshake segment.</summary>
    public byte HandshakeTos => _raw.HsTos;

    /// <summary>DSCP (upper six bits of the TOS byte).</summary>
    public int HandshakeDscp => HandshakeTos >> 2;

    /// <summary>ECN (lower two bits of the TOS byte).</summary>
    public int HandshakeEcn => HandshakeTos & 0x3;

    /// <summary>Raw window field of the handshake segment.</summary>
    public ushort HandshakeWindow => _raw.HsWindow;

    /// <summary>MSS option, null when absent.</summary>
    public ushort? HandshakeMss => Flags.HasFlag(FlowFlags.Mss) ? _raw.HsMss : null;

    /// <summary>Window-scale option, null when absent.</summary>
    public byte? HandshakeWindowScale => Flags.HasFlag(FlowFlags.WindowScale) ? _raw.HsWscale : null;

    /// <summary>How many option kinds the handshake carried (at most 16 are kept).</summary>
    public int HandshakeOptionCount => Math.Min((int)_raw.HsOptionCount, ProbeAbi.MaxOptionKinds);

    /// <summary>Copies the option kinds, in wire order, to <paramref name="destination"/> (16 bytes suffice); returns how many.</summary>
    public unsafe int CopyHandshakeOptionKinds(Span<byte> destination)
    {
        int count = HandshakeOptionCount;
        fixed (byte* options = _raw.HsOptions)
            new ReadOnlySpan<byte>(options, count).CopyTo(destination);
        return count;
    }

    /// <summary>
    /// The option kinds and their count packed into one value (count in the top byte), for caches
    /// keyed by the option list; null for a list too long to pack (more than 15 kinds).
    /// </summary>
    public UInt128? HandshakeOptionKey
    {
        get
        {
            Span<byte> kinds = stackalloc byte[ProbeAbi.MaxOptionKinds];
            int count = CopyHandshakeOptionKinds(kinds);
            return OptionKey(kinds[..count]);
        }
    }

    /// <summary>The same facts as an object.</summary>
    public FlowRecord ToRecord() => FlowRecord.From(this);

    internal static UInt128? OptionKey(ReadOnlySpan<byte> kinds)
    {
        if (kinds.Length > 15)
            return null;
        UInt128 key = (UInt128)kinds.Length << 120;
        for (int i = 0; i < kinds.Length; i++)
            key |= (UInt128)kinds[i] << (8 * i);
        return key;
    }
}
