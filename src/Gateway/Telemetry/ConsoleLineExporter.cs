using System.Text;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Gateway.Telemetry;

/// <summary>Prints one <see cref="ConsoleLineFormatter"/> line per <c>gateway.access</c> record, and one per <c>wire.anomaly</c>.</summary>
internal sealed class ConsoleLineExporter(TextWriter output) : BaseExporter<LogRecord>
{
    /// <inheritdoc />
    public override ExportResult Export(in Batch<LogRecord> batch)
    {
        var lines = new StringBuilder();
        foreach (var record in batch)
        {
            if (record.EventId.Name == SemanticConventions.AccessEvent && record.Attributes is { } attributes)
            {
                lines.Append(ConsoleLineFormatter.Format(attributes)).Append('\n');
            }
            else if (record.EventId.Name == SemanticConventions.AnomalyEvent && record.Body is { } body)
            {
                // Built from kernel facts only (addresses, ports, counters), but escaped all the same.
                lines.Append("WIRE ");
                ConsoleLineFormatter.AppendEscaped(lines, body);
                lines.Append('\n');
            }
        }

        if (lines.Length > 0)
        {
            output.Write(lines.ToString());
            output.Flush();
        }

        return ExportResult.Success;
    }
}
