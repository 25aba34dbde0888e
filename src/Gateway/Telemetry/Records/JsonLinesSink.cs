using System.Text.Json;

namespace Gateway.Telemetry.Records;

/// <summary>
/// The embedded sink: appends every gateway record (<c>gateway.access</c>,
/// <c>wire.connection</c>, <c>wire.anomaly</c>) to a file as one JSON object per line, and
/// flushes after each batch so that a reader sees records promptly.
/// </summary>
internal sealed class JsonLinesSink : EncodingSink
{
    // Each thread's own JSON writer, reset onto the batch it writes into.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly FileStream _file;
    private readonly AccessRecordFormPolicy _accessRecord;
    private bool _failed;

    /// <summary>
    /// Opens (creating its directory) <paramref name="path"/> for appending; <paramref name="accessRecord"/>
    /// says which form of access records it writes (full when not given).
    /// </summary>
    public JsonLinesSink(string path, BatchOptions options, TelemetryLoss loss, AccessRecordFormPolicy? accessRecord = null)
        : base("jsonl", TelemetrySignal.Logs, options, loss)
    {
        FullPath = Path.GetFullPath(path);
        _file = Open(FullPath);
        _accessRecord = accessRecord ?? AccessRecordFormPolicy.Full;
    }

    /// <summary>The absolute path written to.</summary>
    public string FullPath { get; }

    /// <summary>Opens <paramref name="fullPath"/> the way the sink does; used to check the path at start.</summary>
    public static FileStream Open(string fullPath)
    {
        if (Path.GetDirectoryName(fullPath) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        // Others may read (tests, tail -f) and rotate (delete/rename) the file while it is open.
        return new FileStream(fullPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
    }

    /// <inheritdoc />
    public override int ItemsOf(TelemetryRecord record) => record.ItemsFor(TelemetrySignal.Logs);

    /// <inheritdoc />
    protected override void Append(EncodedBatch batch, TelemetryRecord record)
    {
        // Straight into the thread's own batch: no line buffer to copy from.
        var writer = t_writer ??= new Utf8JsonWriter(batch.Writer, JsonLineFormatter.Options);
        JsonLineFormatter.Write(writer, batch.Writer, record.Log, _accessRecord.IsCore(record));
    }

    /// <inheritdoc />
    protected override Task<ExportOutcome> ExportAsync(IReadOnlyList<EncodedBatch> batch, int items, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var lines in batch)
            {
                _file.Write(lines.Bytes.Span);
            }

            _file.Flush();
            _failed = false;
            return Task.FromResult(ExportOutcome.Delivered);
        }
        catch (IOException e)
        {
            // Said once per failure streak; the sink is below the logging system and cannot use it.
            if (!_failed)
            {
                Console.Error.WriteLine($"gateway: cannot write records to {FullPath}: {e.Message}");
                _failed = true;
            }

            return Task.FromResult(ExportOutcome.Failed);
        }
    }

    /// <inheritdoc />
    protected override ValueTask DisposeCoreAsync()
    {
        _file.Dispose();
        return ValueTask.CompletedTask;
    }
}
