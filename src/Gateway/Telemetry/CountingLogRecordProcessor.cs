using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Gateway.Telemetry;

/// <summary>
/// The SDK's batch log processor behind an <see cref="ExportQueueGate"/>: a record that would
/// not fit in the bounded queue is counted as <c>queue_full</c> instead of vanishing. Deriving
/// from the SDK's processor (rather than wrapping it) keeps the SDK's pooling of log records right.
/// </summary>
internal sealed class CountingLogRecordProcessor(CountingExporter<LogRecord> counted, BatchExportProcessorOptions<LogRecord> options, TelemetryLoss loss)
    : BatchLogRecordExportProcessor(counted, options.MaxQueueSize, options.ScheduledDelayMilliseconds, options.ExporterTimeoutMilliseconds, options.MaxExportBatchSize)
{
    private readonly string name = counted.Name;
    private readonly ExportQueueGate gate = counted.Gate = new ExportQueueGate(options.MaxQueueSize, options.MaxExportBatchSize);

    /// <inheritdoc />
    public override void OnEnd(LogRecord data)
    {
        if (!gate.TryEnter())
        {
            loss.OnQueueFull(TelemetrySignal.Logs, name);
            return;
        }

        base.OnEnd(data);
    }
}
