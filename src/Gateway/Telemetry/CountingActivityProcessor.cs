using System.Diagnostics;
using OpenTelemetry;

namespace Gateway.Telemetry;

/// <summary>
/// The SDK's batch span processor behind an <see cref="ExportQueueGate"/>: a span that would
/// not fit in the bounded queue is counted as <c>queue_full</c> instead of vanishing.
/// </summary>
internal sealed class CountingActivityProcessor(CountingExporter<Activity> counted, BatchExportProcessorOptions<Activity> options, TelemetryLoss loss)
    : BatchActivityExportProcessor(counted, options.MaxQueueSize, options.ScheduledDelayMilliseconds, options.ExporterTimeoutMilliseconds, options.MaxExportBatchSize)
{
    private readonly string name = counted.Name;
    private readonly ExportQueueGate gate = counted.Gate = new ExportQueueGate(options.MaxQueueSize, options.MaxExportBatchSize);

    /// <inheritdoc />
    public override void OnEnd(Activity data)
    {
        if (!data.Recorded)
        {
            return;
        }

        if (!gate.TryEnter())
        {
            loss.OnQueueFull(TelemetrySignal.Traces, name);
            return;
        }

        base.OnEnd(data);
    }
}
