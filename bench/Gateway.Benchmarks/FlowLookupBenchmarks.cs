using System.Net;
using BenchmarkDotNet.Attributes;
using Gateway.Correlation;
using KernelProbe;
using KernelProbe.Tests;

namespace Gateway.Benchmarks;

/// <summary>
/// The per-request flow lookup against a loaded probe whose table holds 4096 flows
/// (made by running the socket filter on their SYNs): the kernel map lookup through
/// libbpf, and the gateway's <see cref="KernelWireView.Lookup"/> on top of it. Needs
/// root (CAP_BPF); skipped otherwise.
/// </summary>
public class FlowLookupBenchmarks
{
    private const int Flows = 4096;
    private static readonly IPAddress Client = IPAddress.Parse("198.18.0.1");
    private static readonly IPAddress Gateway = IPAddress.Parse("198.18.0.2");

    private WireProbe _probe = null!;
    private KernelWireView _view = null!;
    private FlowKey _hit;
    private FlowKey _miss;
    private ConnectionTuple _tuple;

    /// <summary>Null when the probe can be loaded here; otherwise why not.</summary>
    public static string? CannotRunBecause()
    {
        try
        {
            using var probe = StartProbe();
            return null;
        }
        catch (ProbeException e)
        {
            return $"loading the BPF probe failed (needs root or CAP_BPF): {e.Message}";
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _probe = StartProbe();
        _view = new KernelWireView(_probe, new WireEventRouter(new ConnectionLedger()));
        for (var i = 0; i < Flows; i++)
        {
            var syn = new TcpFrame { Source = Client, Destination = Gateway, SourcePort = (ushort)(40000 + i), DestinationPort = 8080, Options = TcpFrame.LinuxSynOptions(65495, 10) };
            _probe.SocketProgram.TestRun(syn.Build());
        }

        _hit = new FlowKey(Gateway, 8080, Client, 40000 + (Flows / 2));
        _miss = new FlowKey(Gateway, 8080, Client, 40000 + Flows + 7);
        _tuple = new ConnectionTuple(Gateway, 8080, Client, 40000 + (Flows / 2));
        if (!_probe.TryGetFlow(_hit, out _))
        {
            throw new InvalidOperationException("the pre-populated flow is not in the table");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _view.Dispose();

    /// <summary>WireProbe.TryGetFlow of a flow in the table: key conversion, bpf(MAP_LOOKUP_ELEM), record decoding.</summary>
    [Benchmark]
    public FlowRecord? TryGetFlow_Hit()
    {
        _probe.TryGetFlow(_hit, out var record);
        return record;
    }

    /// <summary>WireProbe.TryReadFlow of a flow in the table: the same lookup read into a struct (what the gateway does).</summary>
    [Benchmark]
    public ulong TryReadFlow_Hit() => _probe.TryReadFlow(_hit, out var view) ? view.PacketsIn : 0;

    /// <summary>WireProbe.TryGetFlow of a flow not in the table.</summary>
    [Benchmark]
    public bool TryGetFlow_Miss() => _probe.TryGetFlow(_miss, out _);

    /// <summary>What the gateway calls per request: the lookup mapped onto WireFacts.</summary>
    [Benchmark]
    public WireFacts? WireView_Lookup() => _view.Lookup(_tuple);

    private static WireProbe StartProbe() =>
        WireProbe.Start(new WireProbeOptions { Interfaces = [], RegistryDirectory = null });
}
