using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    /// <summary>
    /// The flow's record as its slot holds it: <see cref="LiveRead.Read"/> with a state the record really had
    /// (<see cref="Snapshot"/>); <see cref="LiveRead.NotHeld"/> when the slot holds another flow (or none);
    /// <see cref="LiveRead.Moving"/> when the record changed under every one of the reader's attempts.
    /// </summary>
    public LiveRead TryRead(ProbeFlowKey key, out ProbeFlowRecord record)
    {
        record = default;
        if (_disposed)
            return LiveRead.NotHeld;

        var slot = (ProbeLiveSlot*)(_base + ((nuint)(ProbeLiveSlot.Index(key) & _mask) * (nuint)sizeof(ProbeLiveSlot)));
        LiveRead result = LiveRead.NotHeld;
        if (Holds(slot, &key))
        {
            bool still = Snapshot(&slot->Rec, out record);
            // The programs write a new owner's key before its record: the same key after the copy means the
            // copy is this flow's (the key loads are acquire loads, ordered after the copy's).
            result = !Holds(slot, &key) ? LiveRead.NotHeld : still ? LiveRead.Read : LiveRead.Moving;
        }

        // The mapping lives as long as this object: keep it alive until the reads are done.
        GC.KeepAlive(this);
        return result;
    }

    /// <summary>
    /// Copies a record the programs keep updating into <paramref name="record"/>, as one state it really
    /// had. A plain struct copy is no such thing: its loads may run in any order (a block copy may load the
    /// end first, or use string instructions, whose loads x86 does not order), so it could take the
    /// highest sequence sent after the segment that moved it and the segment counters from before it:
    /// a share one segment short, bytes exact. Here every word is an acquire load, and the record is copied
    /// again until two copies in a row agree: the fields readers combine only grow (counters, the highest
    /// sequences, the turn kept and the turns, the flag bits they read), so a field that reads the
    /// same before and after the moment between the two copies had that value at that moment, and the
    /// copy is the record as it stood then. The programs update a record's counters before the sequence
    /// they move, with a full barrier between (probe.bpf.c, add_ordered: on arm64 a plain atomic add would
    /// not order them), so that state never shows a sequence without its segments. The turn is the one
    /// group of fields written together: a state with its sequence lock odd (<see cref="TurnBeingWritten"/>)
    /// is half of one turn and half of another, and is copied again. False when the record changed between
    /// every two copies (a few microseconds of attempts).
    /// </summary>
    internal static bool Snapshot(ProbeFlowRecord* source, out ProbeFlowRecord record)
    {
        ProbeFlowRecord first, second = default;
        CopyWords(source, &first);
        for (int attempt = 0; attempt < SnapshotAttempts; attempt++)
        {
            CopyWords(source, &second);
            if (SameWords(&first, &second) && !TurnBeingWritten(second))
            {
                record = second;
                return true;
            }

            first = second;
        }

        record = second;
        return false;
    }

    /// <summary>True while the programs write the record's turn (its sequence lock is odd): the turn's fields are not one turn's.</summary>
    internal static bool TurnBeingWritten(in ProbeFlowRecord record) => (record.TurnSeq & 1) != 0;

    /// <summary>Copies after the first that <see cref="Snapshot"/> makes at most.</summary>
    internal const int SnapshotAttempts = 64;

    private static readonly int Words = sizeof(ProbeFlowRecord) / sizeof(ulong);

    private static void CopyWords(ProbeFlowRecord* source, ProbeFlowRecord* target)
    {
        var from = (ulong*)source;
        var to = (ulong*)target;
        for (int i = 0; i < Words; i++)
            to[i] = Volatile.Read(ref from[i]);
    }

    private static bool SameWords(ProbeFlowRecord* a, ProbeFlowRecord* b)
    {
        var x = (ulong*)a;
        var y = (ulong*)b;
        for (int i = 0; i < Words; i++)
        {
            if (x[i] != y[i])
                return false;
        }

        return true;
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

/// <summary>What <see cref="LiveTable.TryRead"/> found in a flow's slot.</summary>
internal enum LiveRead
{
    /// <summary>The slot holds the flow: the record was read.</summary>
    Read,

    /// <summary>The slot holds another flow, or none: the table keeps the flow's record, if it has one.</summary>
    NotHeld,

    /// <summary>The slot holds the flow, but its record changed under every attempt to read it.</summary>
    Moving,
}
