using System.Runtime.InteropServices;

namespace KernelProbe;

// C# mirrors of bpf/probe.h. Field order, sizes and padding must match the C
// structs exactly; AbiLayoutTests compares them with the compiled object's BTF.

/// <summary>Mirror of <c>struct probe_flow_key</c>.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
internal unsafe struct ProbeFlowKey
{
    public fixed byte LocalAddr[16];
    public fixed byte PeerAddr[16];
    public ushort LocalPort;
    public ushort PeerPort;
    public byte Family;
    public byte Protocol;
    public fixed byte Pad[2];
}

/// <summary>Mirror of <c>struct probe_turn</c>: the counters just before the peer's latest turn.</summary>
[StructLayout(LayoutKind.Sequential, Size = 48)]
internal struct ProbeTurn
{
    public ulong DataPacketsIn;
    public ulong BytesIn;
    public ulong DataPacketsOut;
    public ulong BytesOut;
    public ulong RetransmitsOut;
    public uint PeerSeq;
    public uint SndMax;
}

/// <summary>Mirror of <c>struct probe_flow_record</c>.</summary>
[StructLayout(LayoutKind.Sequential, Size = 208)]
internal unsafe struct ProbeFlowRecord
{
    public ulong FirstSeenNs;
    public ulong LastSeenNs;
    public ulong PacketsIn;
    public ulong PacketsOut;
    public ulong BytesIn;
    public ulong BytesOut;
    public ulong RetransmitsOut;
    public ulong SynOutNs;
    public uint PeerIsn;
    public uint LocalIsn;
    public uint Flags;
    public uint HandshakeRttUs;
    public uint SndMax;
    public uint TtlChanges;
    public uint ZeroWindowIn;
    public uint ZeroWindowOut;
    public ushort HsWindow;
    public ushort HsMss;
    public byte HsTtl;
    public byte HsTos;
    public byte HsWscale;
    public byte HsOptionCount;
    public fixed byte HsOptions[16];
    public byte LastTtl;
    public fixed byte Pad[3];
    public uint ClosedBy;
    public uint RcvMax;
    public uint TurnSeq;
    public ulong DataPacketsIn;
    public ulong DataPacketsOut;
    public ProbeTurn Turn;
    public uint AckMax;
    public uint Pad2;
}

/// <summary>Mirror of <c>struct probe_live_slot</c>: a flow record's copy in the mmap-able table.</summary>
[StructLayout(LayoutKind.Sequential, Size = 256)]
internal struct ProbeLiveSlot
{
    public ProbeFlowKey Key;
    public uint Claims;
    public uint Pad;
    public ProbeFlowRecord Rec;

    /// <summary>
    /// Slot of <paramref name="key"/> before the mask: the programs' <c>live_slot</c> (probe.bpf.c)
    /// over the key's five 64-bit words, which this must match bit for bit.
    /// </summary>
    public static unsafe uint Index(in ProbeFlowKey key)
    {
        fixed (ProbeFlowKey* k = &key)
        {
            var w = (ulong*)k;
            ulong h = 0;
            h = (h ^ w[0]) * ProbeAbi.LiveMultiplier;
            h = (h ^ w[1]) * ProbeAbi.LiveMultiplier;
            h = (h ^ w[2]) * ProbeAbi.LiveMultiplier;
            h = (h ^ w[3]) * ProbeAbi.LiveMultiplier;
            h = (h ^ w[4]) * ProbeAbi.LiveMultiplier;
            return (uint)(h >> 32);
        }
    }
}

/// <summary>Mirror of <c>struct probe_config</c>.</summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
internal struct ProbeConfig
{
    public uint LiveMask;
    public uint Pad;
}

/// <summary>Mirror of <c>struct probe_event</c>.</summary>
[StructLayout(LayoutKind.Sequential, Size = 72)]
internal unsafe struct ProbeEventRaw
{
    public ulong TimeNs;
    public ProbeFlowKey Key;
    public uint Kind;
    public uint Seq;
    public uint Segments;
    public ushort Window;
    public byte TcpFlags;
    public byte Ttl;
    public byte PreviousTtl;
    public fixed byte Pad[7];
}

/// <summary>Mirror of <c>struct probe_pending</c>.</summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
internal struct ProbePending
{
    public ulong SynNs;
}

/// <summary>Mirror of <c>enum probe_flow_flags</c>.</summary>
[Flags]
public enum FlowFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>The peer's handshake segment was parsed.</summary>
    Handshake = 1u << 0,
    /// <summary>The peer opened the connection (accepted by the gateway).</summary>
    SynIn = 1u << 1,
    /// <summary>The gateway opened the connection (upstream).</summary>
    SynOut = 1u << 2,
    /// <summary>The handshake carried an MSS option.</summary>
    Mss = 1u << 3,
    /// <summary>The handshake carried a window-scale option.</summary>
    WindowScale = 1u << 4,
    /// <summary>The option list was longer than recorded or malformed.</summary>
    OptionsTruncated = 1u << 5,
    /// <summary>The peer sent FIN.</summary>
    FinIn = 1u << 6,
    /// <summary>The gateway sent FIN.</summary>
    FinOut = 1u << 7,
    /// <summary>The peer sent RST.</summary>
    RstIn = 1u << 8,
    /// <summary>The gateway sent RST.</summary>
    RstOut = 1u << 9,
    /// <summary>IPv4 don't-fragment bit on the peer's handshake segment.</summary>
    DontFragment = 1u << 10,
    /// <summary>The handshake RTT was measured.</summary>
    Rtt = 1u << 11,
    /// <summary>The highest sent sequence is known (retransmissions can be told apart).</summary>
    SndMax = 1u << 12,
    /// <summary>The peer acknowledged an accepted handshake.</summary>
    Established = 1u << 13,
    /// <summary>The peer's latest segment advertised a zero window.</summary>
    ZeroWindowIn = 1u << 14,
    /// <summary>The gateway's latest segment advertised a zero window.</summary>
    ZeroWindowOut = 1u << 15,
    /// <summary>The gateway sent data after the peer's latest data: the peer's next data is a turn.</summary>
    SentLast = 1u << 16,
    /// <summary>The highest received sequence is known.</summary>
    RcvMax = 1u << 17,
    /// <summary>The highest acknowledgment the peer sent is known.</summary>
    AckMax = 1u << 18,
}

/// <summary>Mirror of <c>enum probe_closer</c>: who sent the first FIN or RST.</summary>
public enum ConnectionCloser : uint
{
    /// <summary>Nobody yet.</summary>
    None = 0,
    /// <summary>The peer.</summary>
    Peer = 1,
    /// <summary>The gateway.</summary>
    Gateway = 2,
}

/// <summary>Mirror of <c>enum probe_stat</c>: why the programs did or did not record a packet.</summary>
public enum ProbeStat
{
    /// <summary>Packets the programs looked at.</summary>
    Seen = 0,
    /// <summary>Packets that updated a flow record.</summary>
    Recorded,
    /// <summary>Not IPv4 or IPv6.</summary>
    NotIp,
    /// <summary>IP, but not TCP (or TCP behind IPv6 extension headers).</summary>
    NotTcp,
    /// <summary>A header ended before its declared length.</summary>
    Truncated,
    /// <summary>IHL or data offset below the minimum.</summary>
    Malformed,
    /// <summary>A non-first IPv4 fragment.</summary>
    Fragment,
    /// <summary>An egress segment of a socket that is not the gateway's.</summary>
    NotOurs,
    /// <summary>The flow table refused an insert.</summary>
    MapUpdateFailed,
    /// <summary>An event was lost because the ring buffer was full.</summary>
    EventDropped,
    /// <summary>A payload-less segment of a flow already removed (its connection closed).</summary>
    Untracked,
    /// <summary>Frames that carried 802.1Q / 802.1ad tags.</summary>
    Vlan,
    /// <summary>IPv6 packets whose TCP header sat behind extension headers.</summary>
    IPv6Extensions,
    /// <summary>IPv6 packets with more extension headers than the walk follows.</summary>
    IPv6ChainTooLong,
    /// <summary>New flows whose slot in the mmap-able copy another live flow held (read through the map instead).</summary>
    LiveBusy,
}

/// <summary>Mirror of <c>enum probe_event_kind</c>.</summary>
public enum ProbeEventKind : uint
{
    /// <summary>The peer reset the connection.</summary>
    ResetIn = 1,
    /// <summary>The gateway reset the connection.</summary>
    ResetOut = 2,
    /// <summary>The gateway sent a segment again.</summary>
    Retransmit = 3,
    /// <summary>The peer's TTL changed mid-connection.</summary>
    TtlChange = 4,
    /// <summary>The peer advertised a zero window.</summary>
    ZeroWindowIn = 5,
    /// <summary>The gateway advertised a zero window.</summary>
    ZeroWindowOut = 6,
}

/// <summary>Constants of probe.h.</summary>
internal static class ProbeAbi
{
    internal const int StatCount = 15;
    internal const ulong LiveMultiplier = 0x9E3779B97F4A7C15UL;
    internal const byte FamilyIPv4 = 4;
    internal const byte FamilyIPv6 = 6;
    internal const int MaxOptionKinds = 16;
}
