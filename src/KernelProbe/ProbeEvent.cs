using System.Runtime.InteropServices;

namespace KernelProbe;

/// <summary>A notable event the kernel programs reported through the ring buffer.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Flow">The flow it happened on.</param>
/// <param name="TimeNs">CLOCK_MONOTONIC time in nanoseconds.</param>
/// <param name="TcpFlags">TCP flags of the segment.</param>
public sealed record ProbeEvent(ProbeEventKind Kind, FlowKey Flow, ulong TimeNs, byte TcpFlags)
{
    /// <summary>Sequence number of the segment.</summary>
    public uint Seq { get; init; }

    /// <summary>Segments the skb carried (a retransmitted GSO skb carries several).</summary>
    public uint Segments { get; init; }

    /// <summary>Raw window field of the segment.</summary>
    public ushort Window { get; init; }

    /// <summary>TTL / hop limit of the segment.</summary>
    public byte Ttl { get; init; }

    /// <summary>For <see cref="ProbeEventKind.TtlChange"/>: the TTL before.</summary>
    public byte PreviousTtl { get; init; }

    internal static ProbeEvent? Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < Marshal.SizeOf<ProbeEventRaw>())
            return null;
        ProbeEventRaw raw = MemoryMarshal.Read<ProbeEventRaw>(data);
        return new ProbeEvent((ProbeEventKind)raw.Kind, FlowKey.FromRaw(raw.Key), raw.TimeNs, raw.TcpFlags)
        {
            Seq = raw.Seq,
            Segments = raw.Segments,
            Window = raw.Window,
            Ttl = raw.Ttl,
            PreviousTtl = raw.PreviousTtl,
        };
    }
}
