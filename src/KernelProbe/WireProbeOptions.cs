namespace KernelProbe;

/// <summary>How to start a <see cref="WireProbe"/>; defaults suit one gateway on one host.</summary>
public sealed class WireProbeOptions
{
    /// <summary>The compiled object; default: bpf/probe.bpf.o next to this assembly.</summary>
    public string ObjectPath { get; set; } = Path.Combine(AppContext.BaseDirectory, "bpf", "probe.bpf.o");

    /// <summary>Interfaces whose egress hook gets the TC program (lo included when traffic is local).</summary>
    public IList<string> Interfaces { get; set; } = ["lo"];

    /// <summary>Capacity of the LRU flow table: flows beyond it evict the least recently used.</summary>
    public uint FlowTableSize { get; set; } = 65536;

    /// <summary>
    /// Slots of the live table, where the programs keep the records of the flows that hold a
    /// slot and the gateway reads them through mmap, without a system call per request (a
    /// power of two). A flow whose slot another live flow holds is kept in the flow table.
    /// Null: the flow table's size rounded up to a power of two, at most 65536 (176 bytes
    /// each, about 11 MiB).
    /// </summary>
    public uint? LiveTableSize { get; set; }

    /// <summary>The live table's size in effect.</summary>
    internal uint EffectiveLiveTableSize
    {
        get
        {
            if (LiveTableSize is { } size)
                return size;
            return Math.Min(System.Numerics.BitOperations.RoundUpToPowerOf2(Math.Max(1u, FlowTableSize)), 65536u);
        }
    }

    /// <summary>Capacity of the table of registered upstream sockets.</summary>
    public uint SocketTableSize { get; set; } = 65536;

    /// <summary>Capacity of the table of accepted handshakes not yet completed (LRU).</summary>
    public uint PendingHandshakeTableSize { get; set; } = 16384;

    /// <summary>
    /// Size in bytes of the ring buffer that carries kernel events to user space (a power of
    /// two, at least one page). When it is full the programs drop the event and count it
    /// (<see cref="ProbeStat.EventDropped"/>). Default 256 KiB.
    /// </summary>
    public uint EventBufferSize { get; set; } = 256 * 1024;

    /// <summary>Where TC attachments are recorded for crash recovery; null disables the records.</summary>
    public string? RegistryDirectory { get; set; } = AttachmentRegistry.DefaultDirectory;
}
