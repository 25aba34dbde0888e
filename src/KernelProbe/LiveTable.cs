using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using KernelProbe.Native;

namespace KernelProbe;

/// <summary>
/// The live table (<c>probe_live</c>, an mmap-able array where the programs keep the record
/// of each flow that holds its slot), mapped read-only into this process: a flow is read
/// with a few loads instead of a <c>bpf()</c> system call. A flow whose slot another live
/// flow holds is kept in the flow table and read from there (<see cref="WireProbe.TryReadFlow"/>).
/// </summary>
/// <remarks>
/// The mapping is released by the finalizer, not by <see cref="Dispose"/>: a request that
/// still holds the probe while it is disposed can never read unmapped memory. Disposing
/// only turns reads off.
/// </remarks>
internal sealed unsafe class LiveTable : IDisposable
{
    private const int ProtRead = 1;
    private const int MapShared = 1;

    private readonly byte* _base;
    private readonly nuint _length;
    private readonly uint _mask;
    private volatile bool _disposed;

    private LiveTable(byte* mapped, nuint length, uint mask)
    {
        _base = mapped;
        _length = length;
        _mask = mask;
    }

    /// <summary>Slots in the table (a power of two).</summary>
    public uint Slots => _mask + 1;

    /// <summary>Maps <paramref name="map"/>, whose programs were told (probe_config) to use <paramref name="slots"/> slots.</summary>
    public static LiveTable Map(BpfMap map, uint slots)
    {
        var length = (nuint)slots * (nuint)sizeof(ProbeLiveSlot);
        var page = (nuint)Environment.SystemPageSize;
        length = (length + page - 1) / page * page;
        var address = LibBpf.Mmap(0, length, ProtRead, MapShared, map.Fd, 0);
        if (address == -1)
            throw new ProbeException($"map {map.Name} into memory ({length} bytes)", Marshal.GetLastPInvokeError());
        return new LiveTable((byte*)address, length, slots - 1);
    }

    /// <summary>The flow's record as its slot holds it; false when the slot holds another flow (or none).</summary>
    public bool TryRead(ProbeFlowKey key, out ProbeFlowRecord record)
    {
        if (_disposed)
        {
            record = default;
            return false;
        }

        var slot = (ProbeLiveSlot*)(_base + ((nuint)(ProbeLiveSlot.Index(key) & _mask) * (nuint)sizeof(ProbeLiveSlot)));
        bool found = false;
        record = default;
        if (Holds(slot, &key))
        {
            record = slot->Rec;
            // The programs write a new owner's key before its record: the same key after the
            // copy means the copy is this flow's. Loads are ordered on x86; elsewhere, fence them.
            if (!X86Base.IsSupported)
                Interlocked.MemoryBarrier();
            found = Holds(slot, &key);
        }

        // The mapping lives as long as this object: keep it alive until the reads are done.
        GC.KeepAlive(this);
        return found;
    }

    private static bool Holds(ProbeLiveSlot* slot, ProbeFlowKey* key)
    {
        var held = (ulong*)&slot->Key;
        var wanted = (ulong*)key;
        return Volatile.Read(ref held[0]) == wanted[0] && Volatile.Read(ref held[1]) == wanted[1]
            && Volatile.Read(ref held[2]) == wanted[2] && Volatile.Read(ref held[3]) == wanted[3]
            && Volatile.Read(ref held[4]) == wanted[4];
    }

    /// <summary>Stops reads (the mapping itself goes with the finalizer).</summary>
    public void Dispose() => _disposed = true;

    ~LiveTable() => LibBpf.Munmap((nint)_base, _length);
}
