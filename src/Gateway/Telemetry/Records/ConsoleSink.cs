using System.Text;

namespace Gateway.Telemetry.Records;

/// <summary>Prints one <see cref="ConsoleLineFormatter"/> line per <c>gateway.access</c> record, and one per <c>wire.anomaly</c>.</summary>
internal sealed class ConsoleSink(TextWriter output, BatchOptions options, TelemetryLoss loss)
    : RecordSink("console", TelemetrySignal.Logs, options, loss)
{
    private readonly StringBuilder _lines = new();

    /// <inheritdoc />
    public override int ItemsOf(TelemetryRecord record) =>
        record.HasLog && record.Log.EventName is SemanticConventions.AccessEvent or SemanticConventions.AnomalyEvent ? 1 : 0;

    /// <inheritdoc />
    protected override Task<ExportOutcome> ExportAsync(IReadOnlyList<TelemetryRecord> batch, int items, CancellationToken cancellationToken)
    {
        _lines.Clear();
        foreach (var record in batch)
        {
            if (record.Log.EventName == SemanticConventions.AccessEvent)
            {
                _lines.Append(ConsoleLineFormatter.Format(record.Log.Attributes)).Append('\n');
            }
            else
            {
                // Built from kernel facts only (addresses, ports, counters), but escaped all the same.
                _lines.Append("WIRE ");
                ConsoleLineFormatter.AppendEscaped(_lines, record.Log.Body);
                _lines.Append('\n');
            }
        }

        output.Write(_lines.ToString());
        output.Flush();
        return Task.FromResult(ExportOutcome.Delivered);
    }
}
