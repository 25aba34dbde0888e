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
    }

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

    /// <summary>Runs the TC egress program (what the host sends) and checks TC_ACT_OK.</summary>
    public void Send(TcpFrame frame, uint gsoSegs = 0)
    {
        TestRunResult result = Tc.TestRun(frame.Build(), context: gsoSegs == 0 ? default : SkbContext(gsoSegs));
        Assert.Equal(0u, result.ReturnValue);
    }

    public FlowRecord? Flow(FlowKey key) =>
        Flows.TryLookup(key.ToRaw(), out ProbeFlowRecord raw) ? FlowRecord.FromRaw(raw) : null;

    public int FlowCount => Flows.Keys<ProbeFlowKey>().Count;

    public ulong Stat(ProbeStat stat) => Stats.SumPerCpu((uint)stat);

    /// <summary>A struct __sk_buff with only gso_segs set (offset 164, 192 bytes in all).</summary>
    private static byte[] SkbContext(uint gsoSegs)
    {
        byte[] ctx = new byte[192];
        BinaryPrimitives.WriteUInt32LittleEndian(ctx.AsSpan(164), gsoSegs);
        return ctx;
    }

    public void Dispose() => Object.Dispose();
}
