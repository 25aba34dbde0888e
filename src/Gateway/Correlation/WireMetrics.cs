using System.Diagnostics.Metrics;
using Gateway.Telemetry;
using KernelProbe;

namespace Gateway.Correlation;

/// <summary>
/// The wire view's metrics (meter <c>Gateway.Wire</c>): the probe's per-CPU
/// counters, including events the ring buffer had to drop, and the anomaly
/// records written. Read when a metrics exporter collects.
/// </summary>
internal sealed class WireMetrics : IDisposable
{
    private readonly Meter meter = new(SemanticConventions.WireMeterName);
    private readonly Counter<long> anomalies;
    private readonly Counter<long> incomplete;

    /// <summary><c>reason</c> of <c>gateway.wire.incomplete</c>: the flow was not in the table at the end of the request.</summary>
    public const string NoFlow = "no_flow";

    /// <summary><c>reason</c> of <c>gateway.wire.incomplete</c>: the flow was recounted mid-connection (evicted before), without handshake facts.</summary>
    public const string NoHandshake = "no_handshake";

    public WireMetrics(IWireView view)
    {
        anomalies = meter.CreateCounter<long>("gateway.wire.anomalies", unit: "{record}",
            description: "wire.anomaly records written: kernel events on connections with no request in flight");
        incomplete = meter.CreateCounter<long>("gateway.wire.incomplete", unit: "{record}",
            description: "Access records whose downstream wire facts are incomplete because the flow table (an LRU) evicted the flow, by reason (no_flow, no_handshake)");
        if (view is not KernelWireView kernel)
        {
            return;
        }

        meter.CreateObservableCounter("gateway.probe.packets", () => Packets(kernel), unit: "{packet}",
            description: "Packets the kernel programs looked at, by outcome (recorded, not_ours, truncated, ...)");
        meter.CreateObservableCounter("gateway.probe.events.dropped", () => Read(kernel, ProbeStat.EventDropped), unit: "{event}",
            description: "Kernel events lost because the ring buffer was full (the programs never block)");
        meter.CreateObservableUpDownCounter("gateway.probe.flows", () => (long)kernel.Probe.Flows().Count, unit: "{flow}",
            description: "Flows in the kernel's flow table");
    }

    /// <summary>Counts one anomaly record of <paramref name="kind"/>.</summary>
    public void Anomaly(string kind) => anomalies.Add(1, new KeyValuePair<string, object?>(SemanticConventions.WireAnomalyKind.Name, kind));

    /// <summary>Counts one access record with incomplete wire facts; <paramref name="reason"/> null means complete.</summary>
    public void Incomplete(string? reason)
    {
        if (reason is not null)
        {
            incomplete.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void Dispose() => meter.Dispose();

    private static IEnumerable<Measurement<long>> Packets(KernelWireView kernel)
    {
        IReadOnlyDictionary<ProbeStat, ulong> stats;
        try
        {
            stats = kernel.Probe.Statistics();
        }
        catch (Exception e) when (e is ProbeException or ObjectDisposedException)
        {
            yield break;
        }
        foreach ((ProbeStat stat, ulong value) in stats)
            yield return new Measurement<long>((long)value, new KeyValuePair<string, object?>("outcome", SnakeCase(stat)));
    }

    private static long Read(KernelWireView kernel, ProbeStat stat)
    {
        try
        {
            return (long)kernel.Probe.Statistics()[stat];
        }
        catch (Exception e) when (e is ProbeException or ObjectDisposedException)
        {
            return 0;
        }
    }

    internal static string SnakeCase(ProbeStat stat) => Telemetry.SnakeCase.Of(stat.ToString());
}
