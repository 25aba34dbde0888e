using System.Buffers.Binary;

namespace KernelProbe.Tests;

/// <summary>One freshly loaded object and the maps the tests read.</summary>
internal sealed class Harness : IDisposable
{
    public Harness(uint flowTableSize = 1024)
    {
        Object = KernelRequirement.LoadFresh(flowTableSize);
        Socket = Object.Program(WireProbe.SocketProgramName);
        Tc = Object.Program(WireProbe.TcProgramName);
        Flows = Object.Map("probe_flows");
        Stats = Object.Map("probe_stats");
        // As WireProbe does: the programs learn the live table's size before any packet, then it is mapped.
        BpfMap live = Object.Map("probe_live");
        Object.Map("probe_config").Update(0u, new ProbeConfig { LiveMask = live.MaxEntries - 1 });
        Live = LiveTable.Map(live, live.MaxEntries);
    }

    public LiveTable Live { get; }

    public BpfObject Object { get; }
    public BpfProgram Socket { get; }
    public BpfProgram Tc { get; }
    public BpfMap Flows { get; }
    public BpfMap Stats { get; }

    /// <summary>Runs the socket filter (what the gateway receives) and checks it never drops.</summary>
    public void Receive(TcpFrame frame, uint gsoSegs = 0)
    {
        byte[] bytes = frame.Build();
        TestRunResult result = Socket.TestRun(bytes, context: gsoSegs == 0 ? default : SkbContext(gsoSegs));
        // test-run hands the filter the packet from the IP header on: keeping
        // the whole packet means returning at least that length.
        Assert.True(result.ReturnValue >= bytes.Length - 14, $"socket filter returned {result.ReturnValue} for a {bytes.Length - 14}-byte packet: it would cut or drop it");
    }

    /// <summary>Runs the socket filter on raw bytes.</summary>
    public uint ReceiveRaw(byte[] bytes) => Socket.TestRun(bytes).ReturnValue;

    /// <summary>Runs the TC egress program (what the host sends) and checks it gave no verdict (TC_ACT_UNSPEC: later filters run, the packet passes).</summary>
    public void Send(TcpFrame frame, uint gsoSegs = 0)
    {
        TestRunResult result = Tc.TestRun(frame.Build(), context: gsoSegs == 0 ? default : SkbContext(gsoSegs));
        Assert.Equal(unchecked((uint)-1), result.ReturnValue);
    }

    /// <summary>The flow's record where the programs keep it: its live slot when it holds it, else the table (null when it has no record).</summary>
    public FlowRecord? Flow(FlowKey key)
    {
        ProbeFlowKey raw = key.ToRaw();
        if (!Flows.TryLookup(raw, out ProbeFlowRecord table))
            return null;
        return FlowRecord.FromRaw(Live.TryRead(raw, out ProbeFlowRecord kept) == LiveRead.Read ? kept : table);
    }

    /// <summary>The flow as the gateway reads it per request (live slot, else table); default when it has no record.</summary>
    public FlowView View(FlowKey key)
    {
        ProbeFlowKey raw = key.ToRaw();
        if (!Flows.TryLookup(raw, out ProbeFlowRecord table))
            return default;
        return new FlowView(Live.TryRead(raw, out ProbeFlowRecord kept) == LiveRead.Read ? kept : table);
    }

    public int FlowCount => Flows.Keys<ProbeFlowKey>().Count;

    public int PendingCount => Object.Map("probe_pending").Keys<ProbeFlowKey>().Count;

    /// <summary>Starts collecting the ring buffer's events; disposed with the harness.</summary>
    public EventCollector CollectEvents()
    {
        var collector = new EventCollector(Object.Map("probe_events"));
        collectors.Add(collector);
        return collector;
    }

    private readonly List<EventCollector> collectors = [];

    public ulong Stat(ProbeStat stat) => Stats.SumPerCpu((uint)stat);

    /// <summary>A struct __sk_buff with only gso_segs set (offset 164, 192 bytes in all).</summary>
    private static byte[] SkbContext(uint gsoSegs)
    {
        byte[] ctx = new byte[192];
        BinaryPrimitives.WriteUInt32LittleEndian(ctx.AsSpan(164), gsoSegs);
        return ctx;
    }

    public void Dispose()
    {
        foreach (EventCollector c in collectors)
            c.Dispose();
        Live.Dispose();
        Object.Dispose();
    }
}

/// <summary>Events read from the probe's ring buffer on the reader's thread.</summary>
internal sealed class EventCollector : IDisposable
{
    private readonly List<ProbeEvent> events = [];
    private readonly RingBufferReader reader;

    public EventCollector(BpfMap ring) =>
        reader = new RingBufferReader(ring, data =>
        {
            if (ProbeEvent.Decode(data) is { } ev)
                lock (events) events.Add(ev);
        });

    /// <summary>Waits (at most 5 s) until at least <paramref name="count"/> events arrived, then a little longer for strays.</summary>
    public IReadOnlyList<ProbeEvent> WaitFor(int count)
    {
        SpinWait.SpinUntil(() => { lock (events) return events.Count >= count; }, TimeSpan.FromSeconds(5));
        Thread.Sleep(100);
        lock (events) return events.ToList();
    }

    public void Dispose() => reader.Dispose();
}
