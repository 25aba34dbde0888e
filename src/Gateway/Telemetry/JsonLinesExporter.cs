using System.Buffers;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Gateway.Telemetry;

/// <summary>
/// The embedded sink: appends every gateway record (<c>gateway.access</c>,
/// <c>wire.connection</c>) to a file as one JSON object per line, and flushes after each
/// batch so that a reader sees records promptly.
/// </summary>
internal sealed class JsonLinesExporter : BaseExporter<LogRecord>
{
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly FileStream _file;
    private bool _failed;

    /// <summary>Opens (creating its directory) <paramref name="path"/> for appending.</summary>
    public JsonLinesExporter(string path)
    {
        FullPath = Path.GetFullPath(path);
        _file = Open(FullPath);
    }

    /// <summary>The absolute path written to.</summary>
    public string FullPath { get; }

    /// <summary>Opens <paramref name="fullPath"/> the way the exporter does; used to check the path at start.</summary>
    public static FileStream Open(string fullPath)
    {
        if (Path.GetDirectoryName(fullPath) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        // Others may read (tests, tail -f) and rotate (delete/rename) the file while it is open.
        return new FileStream(fullPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
    }

    /// <summary>True for the records this sink writes.</summary>
    public static bool IsGatewayRecord(LogRecord record) =>
        record.EventId.Name is SemanticConventions.AccessEvent or SemanticConventions.ConnectionEvent or SemanticConventions.AnomalyEvent;

    /// <inheritdoc />
    public override ExportResult Export(in Batch<LogRecord> batch)
    {
        lock (_gate)
        {
            _buffer.ResetWrittenCount();
            foreach (var record in batch)
            {
                if (IsGatewayRecord(record))
                {
                    JsonLineFormatter.Write(_buffer, record.Timestamp, record.EventId.Name, record.TraceId, record.SpanId,
                        record.FormattedMessage ?? record.Body, record.Attributes);
                }
            }

            if (_buffer.WrittenCount == 0)
            {
                return ExportResult.Success;
            }

            try
            {
                _file.Write(_buffer.WrittenSpan);
                _file.Flush();
                _failed = false;
                return ExportResult.Success;
            }
            catch (IOException e)
            {
                // Said once per failure streak; the exporter is below the logging system and cannot use it.
                if (!_failed)
                {
                    Console.Error.WriteLine($"gateway: cannot write records to {FullPath}: {e.Message}");
                    _failed = true;
                }

                return ExportResult.Failure;
            }
        }
    }

    /// <inheritdoc />
    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        lock (_gate)
        {
            _file.Flush();
        }

        return true;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _file.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
