using System.Runtime.InteropServices;

namespace KernelProbe;

/// <summary>A notable event the kernel programs reported through the ring buffer.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Flow">The flow it happened on.</param>
/// <param name="TimeNs">CLOCK_MONOTONIC time in nanoseconds.</param>
/// <param name="TcpFlags">TCP flags of the segment.</param>
public sealed record ProbeEvent(ProbeEventKind Kind, FlowKey Flow, ulong TimeNs, byte TcpFlags)
{
    internal static ProbeEvent? Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < Marshal.SizeOf<ProbeEventRaw>())
            return null;
        ProbeEventRaw raw = MemoryMarshal.Read<ProbeEventRaw>(data);
        return new ProbeEvent((ProbeEventKind)raw.Kind, FlowKey.FromRaw(raw.Key), raw.TimeNs, raw.TcpFlags);
    }
}
