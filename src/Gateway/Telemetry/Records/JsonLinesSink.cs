using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Configuration;

namespace Gateway.Telemetry.Records;

/// <summary>
/// The embedded sink: appends every gateway record (<c>gateway.access</c>,
/// <c>wire.connection</c>, <c>wire.anomaly</c>) to a file as one JSON object per line, and
/// flushes after each batch so that a reader sees records promptly.
/// </summary>
/// <remarks>
/// <para>
/// The file may be rotated under it. Before each batch, and twice a second when idle, the sink
/// asks whether its open file is still the one at its path (Linux names a descriptor's file in
/// <c>/proc/self/fd</c>, with the new name after a rename and <c>(deleted)</c> after an unlink);
/// when not, it opens the path again. The idle check runs on a thread of its own: a timer's
/// callback waits for a thread-pool thread, and a busy or starved pool delayed it past a second. So after logrotate's default <c>create</c> (rename, new
/// file) the lines written before the check are in the renamed file and the rest in the new
/// one, none in a file that is gone. SIGHUP makes it reopen at once.
/// </para>
/// <para>
/// With <c>Telemetry:JsonLines:MaxBytes</c> it rotates by size itself: a file ends at the last
/// whole line that fits, is renamed <c>PATH.1</c> (older ones shift up to <c>PATH.N</c>,
/// <c>MaxFiles</c>), and a new file starts.
/// </para>
/// </remarks>
internal sealed class JsonLinesSink : EncodingSink
{
    /// <summary>How often an idle sink checks that its path still names its file.</summary>
    public static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(500);

    // Each thread's own JSON writer, reset onto the batch it writes into.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly Lock _gate = new();
    private readonly AccessRecordFormPolicy _accessRecord;
    private readonly long? _maxBytes;
    private readonly int _maxFiles;
    private readonly Thread _watch;
    private readonly ManualResetEventSlim _stopWatching = new();
    private readonly PosixSignalRegistration? _hangup;
    private FileStream? _file;
    private string? _openedAs;
    private long _size;
    private bool _failed;
    private bool _disposed;

    /// <summary>
    /// Opens (creating its directory) <paramref name="path"/> for appending; <paramref name="accessRecord"/>
    /// says which form of access records it writes (full when not given); <paramref name="maxBytes"/>
    /// and <paramref name="maxFiles"/> rotate it by size (no limit when null).
    /// </summary>
    public JsonLinesSink(string path, BatchOptions options, TelemetryLoss loss, AccessRecordFormPolicy? accessRecord = null,
        long? maxBytes = null, int maxFiles = JsonLinesSettings.DefaultMaxFiles)
        : base("jsonl", TelemetrySignal.Logs, options, loss)
    {
        FullPath = Path.GetFullPath(path);
        _accessRecord = accessRecord ?? AccessRecordFormPolicy.Full;
        _maxBytes = maxBytes;
        _maxFiles = Math.Max(1, maxFiles);
        OpenLocked();
        _watch = new Thread(Watch) { IsBackground = true, Name = "gateway jsonl watch" };
        _watch.Start();
        if (!OperatingSystem.IsWindows())
        {
            // logrotate's postrotate habit: SIGHUP asks log writers to reopen. Handled, so it no longer ends the process.
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                Reopen();
            });
        }
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

    /// <summary>Closes the file and opens the path again (SIGHUP, or a test); never throws (the next batch tries again).</summary>
    public void Reopen()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                OpenLocked();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The next batch opens the path again and says why it cannot.
            }
        }
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
            lock (_gate)
            {
                // Right before writing: a file renamed or deleted since is not written to any more.
                if (_file is null || !StillAtPath())
                {
                    OpenLocked();
                }

                foreach (var lines in batch)
                {
                    WriteLocked(lines.Bytes.Span);
                }

                _file!.Flush();
            }

            _failed = false;
            return Task.FromResult(ExportOutcome.Delivered);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Said once per failure streak; the sink is below the logging system and cannot use it.
            if (!_failed)
            {
                Console.Error.WriteLine($"gateway: cannot write records to {FullPath}: {e.Message}");
                _failed = true;
            }

            // The next batch opens the path again (the directory may come back).
            lock (_gate)
            {
                _file?.Dispose();
                _file = null;
            }

            return Task.FromResult(ExportOutcome.Failed);
        }
    }

    /// <inheritdoc />
    protected override ValueTask DisposeCoreAsync()
    {
        _stopWatching.Set();
        _watch.Join();
        _stopWatching.Dispose();
        _hangup?.Dispose();
        lock (_gate)
        {
            _disposed = true;
            _file?.Dispose();
            _file = null;
        }

        return ValueTask.CompletedTask;
    }

    // The watch thread: checks every WatchInterval until the sink is disposed.
    private void Watch()
    {
        while (!_stopWatching.Wait(WatchInterval))
        {
            Follow();
        }
    }

    // Reopens the path when the open file was renamed or deleted, even while no record comes.
    private void Follow()
    {
        lock (_gate)
        {
            if (_disposed || (_file is not null && StillAtPath()))
            {
                return;
            }

            try
            {
                OpenLocked();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Tried again at the next batch or turn; the export says why.
            }
        }
    }

    // Appends whole lines, starting a new file (size rotation) before one would pass MaxBytes.
    private void WriteLocked(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            if (_maxBytes is not { } max || _size + bytes.Length <= max)
            {
                _file!.Write(bytes);
                _size += bytes.Length;
                return;
            }

            // What fits: up to the last line end within the room left.
            var room = (int)Math.Clamp(max - _size, 0, bytes.Length);
            var cut = bytes[..room].LastIndexOf((byte)'\n') + 1;
            if (cut == 0 && _size == 0)
            {
                // One line longer than the limit: it fills a file of its own.
                cut = bytes.IndexOf((byte)'\n') + 1;
                cut = cut == 0 ? bytes.Length : cut;
            }

            if (cut > 0)
            {
                _file!.Write(bytes[..cut]);
                _size += cut;
                bytes = bytes[cut..];
            }

            if (bytes.Length > 0)
            {
                RotateLocked();
            }
        }
    }

    // PATH.(N-1) -> PATH.N ... PATH -> PATH.1, then a new PATH; the oldest beyond MaxFiles goes.
    private void RotateLocked()
    {
        _file!.Flush();
        _file.Dispose();
        _file = null;
        File.Delete($"{FullPath}.{_maxFiles}");
        for (var i = _maxFiles - 1; i >= 1; i--)
        {
            if (File.Exists($"{FullPath}.{i}"))
            {
                File.Move($"{FullPath}.{i}", $"{FullPath}.{i + 1}", overwrite: true);
            }
        }

        File.Move(FullPath, $"{FullPath}.1", overwrite: true);
        OpenLocked();
    }

    private void OpenLocked()
    {
        _file?.Dispose();
        _file = null;
        var file = Open(FullPath);
        _file = file;
        _size = file.Length;
        _openedAs = OpenName(file);
    }

    // True while the path still names the open file (always, where /proc cannot say).
    private bool StillAtPath() => _openedAs is null || OpenName(_file!) == _openedAs;

    // What the kernel calls the open file now: its path, another one after a rename, "... (deleted)" after an unlink.
    private static string? OpenName(FileStream file)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{file.SafeFileHandle.DangerousGetHandle()}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return null;
        }
    }
}
