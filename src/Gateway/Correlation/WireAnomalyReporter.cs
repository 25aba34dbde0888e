using System.Globalization;
using Gateway.Configuration;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using KernelProbe;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Correlation;

/// <summary>
/// Writes a <c>wire.anomaly</c> record for every kernel event that happened on a
/// connection with no request in flight, and for every accepted handshake the
/// client never completed (checked every few seconds). Also warns, at most
/// every 30 s, when the probe's ring buffer dropped events.
/// </summary>
internal sealed partial class WireAnomalyReporter(
    IWireView view, RecordPipeline records, WireMetrics metrics, IOptions<KernelProbeSettings> settings,
    PolicySnapshotSource policies, ILogger<WireAnomalyReporter> logger) : IHostedService, IDisposable
{
    private readonly TimeSpan handshakeTimeout = TimeSpan.FromSeconds(settings.Value.HandshakeTimeoutSeconds);
    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(30);
    private Timer? timer;
    private ulong droppedReported;
    private DateTime lastDropReport = DateTime.MinValue;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (view is KernelWireView kernel)
        {
            kernel.Events.Anomaly += Report;
            // Scanning at half the timeout reports a stuck handshake at most 1.5 timeouts late.
            var interval = TimeSpan.FromTicks(Math.Min(handshakeTimeout.Ticks / 2, TimeSpan.FromSeconds(5).Ticks));
            timer = new Timer(_ => Scan(kernel), null, interval, interval);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (view is KernelWireView kernel)
        {
            kernel.Events.Anomaly -= Report;
        }

        timer?.Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => timer?.Dispose();

    private void Report(WireAnomaly anomaly)
    {
        try
        {
            // A client's address goes through the privacy setting; a backend's is the operator's own.
            var tuple = anomaly.Tuple;
            IPeerAddressFormat? privacy = view is KernelWireView kernel && kernel.IsUpstream(tuple) ? null : policies.Current.Anonymizer;
            var record = records.Rent();
            var attributes = record.Log.Attributes;
            attributes.Add(SemanticConventions.WireAnomalyKind, anomaly.Kind);
            attributes.AddConnection(tuple, privacy);
            attributes.AddRange(anomaly.Details);
            var shown = privacy is { IsActive: true }
                ? $"{tuple.LocalAddress}:{tuple.LocalPort} <- {privacy.Apply(tuple.PeerAddress)}:{tuple.PeerPort}"
                : tuple.ToString();
            record.HasLog = true;
            record.Log.EventName = SemanticConventions.AnomalyEvent;
            record.Log.Severity = LogData.Warn;
            record.Log.TimeUnixNano = UnixTime.NowNanos();
            record.Log.Body = $"wire {anomaly.Kind.Replace('_', ' ')} on {shown} with no request in flight";
            records.Submit(record);
            metrics.Anomaly(anomaly.Kind);
        }
        catch (Exception e)
        {
            Log.ReportFailed(logger, e);
        }
    }

    private void Scan(KernelWireView kernel)
    {
        try
        {
            foreach ((FlowKey flow, TimeSpan age) in kernel.Probe.TakeStaleHandshakes(handshakeTimeout))
            {
                var tuple = new ConnectionTuple(flow.LocalAddress, flow.LocalPort, flow.PeerAddress, flow.PeerPort);
                Report(new WireAnomaly(WireEventKinds.HandshakeIncomplete, tuple,
                    [new(SemanticConventions.WireAnomalyHandshakeAgeMs.Name, (long)age.TotalMilliseconds)]));
            }

            ulong dropped = kernel.Probe.Statistics()[ProbeStat.EventDropped];
            if (dropped > droppedReported && DateTime.UtcNow - lastDropReport >= DropReportInterval)
            {
                Log.EventsDropped(logger, dropped - droppedReported, dropped);
                droppedReported = dropped;
                lastDropReport = DateTime.UtcNow;
            }
        }
        catch (Exception e) when (e is ProbeException or ObjectDisposedException)
        {
            Log.ReportFailed(logger, e);
        }
    }
}
