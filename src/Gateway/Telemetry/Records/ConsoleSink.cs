using System.Text;

namespace Gateway.Telemetry.Records;

/// <summary>
/// Prints one <see cref="ConsoleLineFormatter"/> line per <c>gateway.access</c> record, and one per
/// <c>wire.anomaly</c>, to standard output.
/// </summary>
/// <remarks>
/// Lines are formatted as UTF-8 when the record is offered, into the offering thread's open batch
/// like the JSON lines (<see cref="EncodingSink"/>), and a batch reaches the stream in one write:
/// one system call per batch (every 100 ms, or sooner at 512 lines) instead of a
/// <see cref="Console.Out"/> write, chunked and flushed, per line. Console.Out's writer flushes
/// every few hundred characters; at the request rate of one core that dropped most lines
/// (<c>gateway.telemetry.dropped{exporter=console,reason=queue_full}</c>).
/// </remarks>
internal sealed class ConsoleSink : EncodingSink
{
    // Each thread's own line, reused.
    [ThreadStatic]
    private static StringBuilder? t_line;

    private readonly Stream _output;
    private readonly AccessRecordFormPolicy _accessRecord;
    private bool _failed;

    /// <summary>
    /// A sink writing to <paramref name="output"/> (standard output: <see cref="Console.OpenStandardOutput()"/>);
    /// <paramref name="accessRecord"/> says which form of access records it prints (full when not given).
    /// </summary>
    public ConsoleSink(Stream output, BatchOptions options, TelemetryLoss loss, AccessRecordFormPolicy? accessRecord = null)
        : base("console", TelemetrySignal.Logs, options, loss)
    {
        _output = output;
        _accessRecord = accessRecord ?? AccessRecordFormPolicy.Full;
    }

    /// <inheritdoc />
    public override int ItemsOf(TelemetryRecord record) =>
        record.HasLog && record.Log.EventName is SemanticConventions.AccessEvent or SemanticConventions.AnomalyEvent ? 1 : 0;

    /// <inheritdoc />
    protected override void Append(EncodedBatch batch, TelemetryRecord record)
    {
        var line = t_line ??= new StringBuilder(256);
        line.Clear();
        if (record.Log.EventName == SemanticConventions.AccessEvent)
        {
            ConsoleLineFormatter.Append(line, record.Log.Attributes, _accessRecord.IsCore(record));
        }
        else
        {
            // Built from kernel facts only (addresses, ports, counters), but escaped all the same.
            line.Append("WIRE ");
            ConsoleLineFormatter.AppendEscaped(line, record.Log.Body);
        }

        line.Append('\n');
        var writer = batch.Writer;
        foreach (var chunk in line.GetChunks())
        {
            // Escaped lines hold no lone surrogate; anything else would become U+FFFD here.
            var bytes = writer.Reserve(Encoding.UTF8.GetMaxByteCount(chunk.Length));
            writer.Advance(Encoding.UTF8.GetBytes(chunk.Span, bytes));
        }

        if (line.Capacity > 16 * 1024)
        {
            // A huge path or query once: not kept for the thread's next line.
            t_line = null;
        }
    }

    /// <inheritdoc />
    protected override Task<ExportOutcome> ExportAsync(IReadOnlyList<EncodedBatch> batch, int items, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var lines in batch)
            {
                _output.Write(lines.Bytes.Span);
            }

            _output.Flush();
            _failed = false;
            return Task.FromResult(ExportOutcome.Delivered);
        }
        catch (IOException e)
        {
            // Standard output closed (a pipe whose reader left): said once per failure streak, on stderr.
            if (!_failed)
            {
                Console.Error.WriteLine($"gateway: cannot write console lines: {e.Message}");
                _failed = true;
            }

            return Task.FromResult(ExportOutcome.Failed);
        }
    }
}
