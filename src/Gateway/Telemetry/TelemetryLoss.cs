using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Gateway.Telemetry;

/// <summary>
/// What the gateway's telemetry pipelines lost and why, per signal and exporter, as
/// metrics of the <c>Gateway.Telemetry</c> meter. Fed by the record sinks (items refused
/// because a bounded queue was full, export calls that failed) and by the metric exporter;
/// read by <see cref="TelemetryLossReporter"/>.
/// </summary>
/// <remarks>
/// An item can be lost at two places only: the door of a sink's queue and the exporter's
/// answer. Counting at both gives exact numbers.
/// </remarks>
internal sealed class TelemetryLoss : IDisposable
{
    /// <summary>Reason: the processor's bounded queue was full when the item ended.</summary>
    public const string QueueFull = "queue_full";

    /// <summary>Reason: the exporter answered failure (collector down, refusing, timing out).</summary>
    public const string ExportFailed = "export_failed";

    /// <summary>Reason: the collector accepted the export but rejected these items (OTLP partial success).</summary>
    public const string Rejected = "rejected";

    private readonly ConcurrentDictionary<(TelemetrySignal Signal, string Exporter, string Reason), StrongBox> dropped = new();
    private readonly ConcurrentDictionary<(TelemetrySignal Signal, string Exporter), StrongBox> failures = new();
    private readonly ConcurrentDictionary<(TelemetrySignal Signal, string Exporter), StrongBox> exported = new();
    private readonly Meter meter = new(SemanticConventions.TelemetryMeterName);

    public TelemetryLoss()
    {
        meter.CreateObservableCounter(SemanticConventions.MetricTelemetryDropped, () =>
                dropped.Select(p => Measure(p.Value, p.Key.Signal, p.Key.Exporter, (SemanticConventions.TelemetryReason, p.Key.Reason))),
            unit: "{item}", description: "Spans, log records or metric streams the gateway could not deliver, by signal, exporter and reason (queue_full, export_failed, rejected)");
        meter.CreateObservableCounter(SemanticConventions.MetricTelemetryExportFailures, () =>
                failures.Select(p => Measure(p.Value, p.Key.Signal, p.Key.Exporter)),
            unit: "{export}", description: "Export calls that failed, by signal and exporter");
        meter.CreateObservableCounter(SemanticConventions.MetricTelemetryExported, () =>
                exported.Select(p => Measure(p.Value, p.Key.Signal, p.Key.Exporter)),
            unit: "{item}", description: "Items exported successfully, by signal and exporter");
    }

    /// <summary>Counts <paramref name="items"/> items the queue of <paramref name="exporter"/> refused.</summary>
    public void OnQueueFull(TelemetrySignal signal, string exporter, int items = 1) =>
        Interlocked.Add(ref dropped.GetOrAdd((signal, exporter, QueueFull), _ => new StrongBox()).Value, items);

    /// <summary>Counts <paramref name="calls"/> failed export call(s) that lost <paramref name="items"/> items.</summary>
    public void OnExportFailed(TelemetrySignal signal, string exporter, int items, int calls = 1)
    {
        Interlocked.Add(ref dropped.GetOrAdd((signal, exporter, ExportFailed), _ => new StrongBox()).Value, items);
        if (calls > 0)
        {
            Interlocked.Add(ref failures.GetOrAdd((signal, exporter), _ => new StrongBox()).Value, calls);
        }
    }

    /// <summary>Counts <paramref name="items"/> items the receiver took but said it rejected (OTLP partial success).</summary>
    public void OnRejected(TelemetrySignal signal, string exporter, long items) =>
        Interlocked.Add(ref dropped.GetOrAdd((signal, exporter, Rejected), _ => new StrongBox()).Value, items);

    /// <summary>Counts <paramref name="items"/> items exported successfully.</summary>
    public void OnExported(TelemetrySignal signal, string exporter, int items) =>
        Interlocked.Add(ref exported.GetOrAdd((signal, exporter), _ => new StrongBox()).Value, items);

    /// <summary>Everything dropped so far, by signal, exporter and reason.</summary>
    public IReadOnlyDictionary<(TelemetrySignal Signal, string Exporter, string Reason), long> Dropped() =>
        dropped.ToDictionary(p => p.Key, p => Interlocked.Read(ref p.Value.Value));

    /// <summary>Failed export calls so far, in all.</summary>
    public long FailedExports => failures.Values.Sum(b => Interlocked.Read(ref b.Value));

    /// <summary>Items exported successfully so far, in all.</summary>
    public long Exported => exported.Values.Sum(b => Interlocked.Read(ref b.Value));

    public void Dispose() => meter.Dispose();

    private static Measurement<long> Measure(StrongBox box, TelemetrySignal signal, string exporter, params (string Key, string Value)[] more)
    {
        var tags = new List<KeyValuePair<string, object?>>(2 + more.Length)
        {
            new(SemanticConventions.TelemetrySignal, Name(signal)),
            new(SemanticConventions.TelemetryExporter, exporter),
        };
        foreach (var (key, value) in more)
        {
            tags.Add(new(key, value));
        }

        return new Measurement<long>(Interlocked.Read(ref box.Value), tags);
    }

    /// <summary>The signal's name as the metrics and the warning write it.</summary>
    public static string Name(TelemetrySignal signal) => signal switch
    {
        TelemetrySignal.Traces => "traces",
        TelemetrySignal.Logs => "logs",
        _ => "metrics",
    };

    private sealed class StrongBox
    {
        public long Value;
    }
}
