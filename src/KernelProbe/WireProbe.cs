using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KernelProbe;

/// <summary>
/// The probe as one unit: loads bpf/probe.bpf.o, attaches the TC egress
/// program to the configured interfaces, attaches the socket filter to the
/// sockets it is handed, and answers "what did the wire see for this flow".
/// Disposing detaches everything it attached.
/// </summary>
public sealed class WireProbe : IDisposable
{
    /// <summary>Name of the socket-filter program in the object.</summary>
    public const string SocketProgramName = "gw_sock_ingress";

    /// <summary>Name of the TC program in the object.</summary>
    public const string TcProgramName = "gw_tc_egress";

    private readonly BpfObject obj;
    private readonly BpfMap flows;
    private readonly BpfMap sockets;
    private readonly BpfMap stats;
    private readonly BpfMap pending;
    private readonly List<TcAttachment> attachments = [];
    private readonly RingBufferReader? events;
    private readonly LiveTable live;
    private int disposed;

    private WireProbe(BpfObject obj, uint liveSlots, Action<ProbeEvent>? onEvent)
    {
        this.obj = obj;
        // The programs learn the live table's mask before anything is attached, then it is mapped.
        obj.Map("probe_config").Update(0u, new ProbeConfig { LiveMask = liveSlots - 1 });
        live = LiveTable.Map(obj.Map("probe_live"), liveSlots);
        SocketProgram = obj.Program(SocketProgramName);
        TcProgram = obj.Program(TcProgramName);
        flows = obj.Map("probe_flows");
        sockets = obj.Map("probe_sockets");
        stats = obj.Map("probe_stats");
        pending = obj.Map("probe_pending");
        if (onEvent is not null)
        {
            events = new RingBufferReader(obj.Map("probe_events"), data =>
            {
                if (ProbeEvent.Decode(data) is { } ev)
                    onEvent(ev);
            }, "wire-probe-events");
        }
    }

    /// <summary>The socket filter.</summary>
    public BpfProgram SocketProgram { get; }

    /// <summary>The TC egress program.</summary>
    public BpfProgram TcProgram { get; }

    /// <summary>The TC filters this probe attached.</summary>
    public IReadOnlyList<TcAttachment> Attachments => attachments;

    /// <summary>Why crash recovery is not possible for this probe's attachments; null when it is.</summary>
    public string? RegistryProblem { get; private set; }

    /// <summary>Capacity of the flow table.</summary>
    public uint FlowTableSize => flows.MaxEntries;

    /// <summary>Slots of the live table read through mmap.</summary>
    public uint LiveTableSize => live.Slots;

    /// <summary>
    /// Loads the programs and attaches TC egress to every configured interface.
    /// Stale filters of a crashed earlier gateway are removed first. On any
    /// failure everything attached so far is detached before the exception
    /// (whose message names the step that failed) propagates.
    /// </summary>
    public static WireProbe Start(WireProbeOptions options, Action<ProbeEvent>? onEvent = null)
    {
        uint liveSlots = options.EffectiveLiveTableSize;
        if (liveSlots == 0 || !System.Numerics.BitOperations.IsPow2(liveSlots))
            throw new ArgumentException($"LiveTableSize must be a power of two (1, 2, 4, ...), not {liveSlots}.", nameof(options));
        AttachmentRegistry? registry = options.RegistryDirectory is null ? null : new AttachmentRegistry(options.RegistryDirectory);
        registry?.SweepStale();

        BpfObject obj;
        try
        {
            obj = BpfObject.Load(options.ObjectPath, new Dictionary<string, uint>
            {
                ["probe_flows"] = options.FlowTableSize,
                ["probe_sockets"] = options.SocketTableSize,
                ["probe_pending"] = options.PendingHandshakeTableSize,
                ["probe_live"] = liveSlots,
                ["probe_events"] = options.EventBufferSize,
            });
        }
        catch (ProbeException e)
        {
            throw e.In("start wire probe");
        }

        WireProbe? probe = null;
        try
        {
            probe = new WireProbe(obj, liveSlots, onEvent);
            foreach (string name in options.Interfaces.Distinct(StringComparer.Ordinal))
            {
                probe.attachments.Add(TcAttachment.Attach(probe.TcProgram, name, TcDirection.Egress, registry));
                probe.RegistryProblem ??= registry?.Problem;
            }
            return probe;
        }
        catch (ProbeException e)
        {
            if (probe is not null)
                probe.Dispose();
            else
                obj.Dispose();
            throw e.In("start wire probe");
        }
    }

    /// <summary>
    /// Attaches the socket filter to a listen socket (before listen: accepted
    /// connections inherit it) or to an upstream socket.
    /// </summary>
    public void AttachSocket(Socket socket) => SocketFilter.Attach(socket, SocketProgram);

    /// <summary>
    /// Prepares an upstream socket before connect: attaches the socket filter
    /// and registers the socket's cookie, so that the egress program
    /// recognises its SYN. Returns the cookie, for <see cref="ForgetSocket"/>.
    /// </summary>
    public ulong RegisterUpstreamSocket(Socket socket)
    {
        AttachSocket(socket);
        ulong cookie = SocketFilter.Cookie(socket);
        sockets.Update(cookie, (byte)1);
        return cookie;
    }

    /// <summary>Forgets a registered upstream socket.</summary>
    public void ForgetSocket(ulong cookie) => sockets.Delete(cookie);

    /// <summary>What the kernel recorded for <paramref name="key"/> so far (from its live slot when it holds one, else the table).</summary>
    public bool TryGetFlow(FlowKey key, out FlowRecord? record)
    {
        bool found = TryRead(key.ToRaw(), out ProbeFlowRecord value);
        record = found ? FlowRecord.FromRaw(value) : null;
        return found;
    }

    /// <summary>
    /// What the kernel recorded for a flow, read without allocating; false when it has no
    /// record. A flow that holds its slot in the mapped live table is kept there and read with
    /// a few loads (no system call); any other flow is read from the table.
    /// </summary>
    public bool TryReadFlow(FlowKey key, out FlowView view)
    {
        bool found = TryRead(key.ToRaw(), out ProbeFlowRecord record);
        view = found ? new FlowView(record) : default;
        return found;
    }

    // Where the programs keep the flow: its live slot when it holds it, else the table. Either way one state
    // the record really had (LiveTable.Snapshot): the table's copy is made by the kernel, as unordered as a
    // struct copy, so it is read until two lookups in a row agree. A record that kept changing reads as none.
    private bool TryRead(ProbeFlowKey raw, out ProbeFlowRecord record)
    {
        switch (live.TryRead(raw, out record))
        {
            case LiveRead.Read:
                return true;
            case LiveRead.Moving:
                return false;
        }

        if (!flows.TryLookup(raw, out ProbeFlowRecord first))
            return false;
        for (int attempt = 0; attempt < LiveTable.SnapshotAttempts; attempt++)
        {
            if (!flows.TryLookup(raw, out record))
                return false;
            if (MemoryMarshal.AsBytes(new ReadOnlySpan<ProbeFlowRecord>(in first)).SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<ProbeFlowRecord>(in record)))
                && !LiveTable.TurnBeingWritten(record))
                return true;
            first = record;
        }

        record = default;
        return false;
    }

    /// <summary>The flow as its slot in the mapped live table holds it; false when the slot holds another flow (then the table keeps it).</summary>
    public bool TryReadLiveFlow(FlowKey key, out FlowView view)
    {
        bool found = live.TryRead(key.ToRaw(), out ProbeFlowRecord record) == LiveRead.Read;
        view = found ? new FlowView(record) : default;
        return found;
    }

    /// <summary>Removes a flow (its connection closed); false when it was not there.</summary>
    public bool RemoveFlow(FlowKey key) => flows.Delete(key.ToRaw());

    /// <summary>Every flow currently in the table.</summary>
    public IReadOnlyList<FlowKey> Flows() => flows.Keys<ProbeFlowKey>().Select(k => FlowKey.FromRaw(k)).ToList();

    /// <summary>
    /// Accepted handshakes whose SYN arrived more than <paramref name="olderThan"/>
    /// ago and that the peer never completed (scans, lost ACKs, a full backlog).
    /// They are removed from the table as they are returned.
    /// </summary>
    public IReadOnlyList<(FlowKey Flow, TimeSpan Age)> TakeStaleHandshakes(TimeSpan olderThan)
    {
        ulong now = MonotonicClock.NowNs();
        var stale = new List<(FlowKey, TimeSpan)>();
        foreach (ProbeFlowKey raw in pending.Keys<ProbeFlowKey>())
        {
            if (!pending.TryLookup(raw, out ProbePending entry) || now < entry.SynNs)
                continue;
            var age = TimeSpan.FromTicks((long)((now - entry.SynNs) / 100));
            if (age < olderThan)
                continue;
            if (pending.Delete(raw))
                stale.Add((FlowKey.FromRaw(raw), age));
        }
        return stale;
    }

    /// <summary>The per-CPU counters, summed.</summary>
    public IReadOnlyDictionary<ProbeStat, ulong> Statistics()
    {
        var result = new Dictionary<ProbeStat, ulong>();
        foreach (ProbeStat stat in Enum.GetValues<ProbeStat>())
            result[stat] = stats.SumPerCpu((uint)stat);
        return result;
    }

    /// <summary>Detaches every TC filter, stops the event reader and unloads the programs.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        foreach (TcAttachment attachment in attachments)
            attachment.Dispose();
        live.Dispose();
        events?.Dispose();
        obj.Dispose();
    }
}
