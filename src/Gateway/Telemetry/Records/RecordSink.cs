using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gateway.Telemetry.Records;

/// <summary>How one exporter batches: its bounded queue, batch size and cadence.</summary>
/// <param name="MaxQueueSize">Most items (spans or log records) waiting at once; more are dropped and counted.</param>
/// <param name="MaxBatchSize">Most items per export call.</param>
/// <param name="ScheduledDelay">Longest wait before a non-full batch goes out.</param>
/// <param name="ExportTimeout">Longest wait for one export call at shutdown.</param>
internal sealed record BatchOptions(int MaxQueueSize, int MaxBatchSize, TimeSpan ScheduledDelay, TimeSpan ExportTimeout);

/// <summary>
/// One exporter behind its own bounded queue: OTLP spans, OTLP log records, the JSON-lines
/// file or the console. Requests only hand over (never wait); a background loop takes batches
/// and exports them. An item that does not fit is counted as <c>queue_full</c>, a failed
/// export as <c>export_failed</c>: nothing is lost without a count (<see cref="TelemetryLoss"/>).
/// </summary>
internal abstract class TelemetrySink : IAsyncDisposable
{
    /// <summary>A sink named <paramref name="exporter"/> for <paramref name="signal"/>.</summary>
    protected TelemetrySink(string exporter, TelemetrySignal signal, BatchOptions options)
    {
        Exporter = exporter;
        Signal = signal;
        Options = options;
    }

    /// <summary>The exporter's name in the loss metrics: <c>otlp</c>, <c>jsonl</c>, <c>console</c>.</summary>
    public string Exporter { get; }

    /// <summary>The signal it exports.</summary>
    public TelemetrySignal Signal { get; }

    /// <summary>Its batching.</summary>
    public BatchOptions Options { get; }

    /// <summary>How many items of <paramref name="record"/> this sink writes (0: not queued at all).</summary>
    public abstract int ItemsOf(TelemetryRecord record);

    /// <summary>Starts the export loop.</summary>
    public abstract void Start();

    /// <summary>Takes what it writes of <paramref name="record"/> unless its queue is full; never blocks, never throws.</summary>
    public abstract void Offer(TelemetryRecord record);

    /// <summary>Exports what is queued now and waits for it (bounded by the export timeout).</summary>
    public abstract Task FlushAsync();

    /// <summary>Stops the loop after exporting what is queued (bounded by the export timeout); what is left is counted.</summary>
    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// The queue, the loop and the loss counting of a sink whose queued unit is a
/// <typeparamref name="TItem"/>: the record itself (<see cref="RecordSink"/>) or its bytes,
/// encoded when it was offered (<see cref="EncodingSink"/>).
/// </summary>
internal abstract class BatchingSink<TItem> : TelemetrySink
{
    private readonly ConcurrentQueue<TItem> _queue = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TelemetryLoss _loss;
    private readonly List<TItem> _batch = [];
    private Task? _loop;
    private int _pendingItems;
    private int _wakeRequested;

    /// <summary>A sink named <paramref name="exporter"/> for <paramref name="signal"/>.</summary>
    protected BatchingSink(string exporter, TelemetrySignal signal, BatchOptions options, TelemetryLoss loss)
        : base(exporter, signal, options) => _loss = loss;

    /// <inheritdoc />
    public sealed override void Start() => _loop ??= Task.Run(RunAsync);

    /// <inheritdoc />
    public sealed override void Offer(TelemetryRecord record)
    {
        var items = ItemsOf(record);
        if (items == 0)
        {
            return;
        }

        var pending = Interlocked.Add(ref _pendingItems, items);
        if (pending > Options.MaxQueueSize || _stop.IsCancellationRequested)
        {
            Interlocked.Add(ref _pendingItems, -items);
            _loss.OnQueueFull(Signal, Exporter, items);
            return;
        }

        TItem item;
        try
        {
            item = Take(record, items);
        }
        catch (Exception)
        {
            // A record this sink cannot write (an encoder fault) is lost, and counted as such.
            Interlocked.Add(ref _pendingItems, -items);
            _loss.OnExportFailed(Signal, Exporter, items, calls: 0);
            return;
        }

        _queue.Enqueue(item);
        if (pending >= Options.MaxBatchSize && Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            _wake.Release();
        }
    }

    /// <inheritdoc />
    public sealed override async Task FlushAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (!_queue.IsEmpty && deadline.Elapsed < Options.ExportTimeout && _loop is { IsCompleted: false })
        {
            if (Interlocked.Exchange(ref _wakeRequested, 1) == 0)
            {
                _wake.Release();
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public sealed override async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await FlushAsync().ConfigureAwait(false);
        _stop.Cancel();
        _wake.Release();
        if (_loop is { } loop)
        {
            await loop.WaitAsync(Options.ExportTimeout).ConfigureAwait(false);
        }

        // Whatever is still queued cannot be exported any more.
        while (_queue.TryDequeue(out var left))
        {
            var items = ItemsIn(left);
            Interlocked.Add(ref _pendingItems, -items);
            _loss.OnExportFailed(Signal, Exporter, items, calls: 0);
            Free(left);
        }

        await DisposeCoreAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>What the queue keeps of <paramref name="record"/> (its <paramref name="items"/> items); called on the offering thread.</summary>
    protected abstract TItem Take(TelemetryRecord record, int items);

    /// <summary>The number of items <paramref name="item"/> stands for.</summary>
    protected abstract int ItemsIn(TItem item);

    /// <summary>Gives back what <see cref="Take"/> held, once the item is exported or dropped.</summary>
    protected abstract void Free(TItem item);

    /// <summary>Exports one batch of <paramref name="items"/> items; returns how many were delivered.</summary>
    protected abstract Task<ExportOutcome> ExportAsync(IReadOnlyList<TItem> batch, int items, CancellationToken cancellationToken);

    /// <summary>Releases the exporter's own resources.</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    private async Task RunAsync()
    {
        var stopping = _stop.Token;
        while (true)
        {
            try
            {
                await _wake.WaitAsync(Options.ScheduledDelay, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            Volatile.Write(ref _wakeRequested, 0);
            while (TakeBatch(out var items))
            {
                await ExportBatchAsync(items).ConfigureAwait(false);
            }

            if (stopping.IsCancellationRequested && _queue.IsEmpty)
            {
                return;
            }
        }
    }

    private bool TakeBatch(out int items)
    {
        _batch.Clear();
        items = 0;
        while (items < Options.MaxBatchSize && _queue.TryDequeue(out var item))
        {
            _batch.Add(item);
            items += ItemsIn(item);
        }

        Interlocked.Add(ref _pendingItems, -items);
        return _batch.Count > 0;
    }

    private async Task ExportBatchAsync(int items)
    {
        ExportOutcome outcome;
        try
        {
            // At shutdown the export still gets its timeout; the loop's token only ends waiting.
            outcome = await ExportAsync(_batch, items, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            outcome = ExportOutcome.Failed;
        }
        finally
        {
            foreach (var item in _batch)
            {
                Free(item);
            }

            _batch.Clear();
        }

        if (outcome.Success)
        {
            _loss.OnExported(Signal, Exporter, items - (int)outcome.Rejected);
            if (outcome.Rejected > 0)
            {
                _loss.OnRejected(Signal, Exporter, outcome.Rejected);
            }
        }
        else
        {
            _loss.OnExportFailed(Signal, Exporter, items);
        }
    }
}

/// <summary>
/// A sink that queues the records themselves (holding a reference each) and reads them when
/// it exports: for exporters that need the record's structure, like the console or a test.
/// </summary>
internal abstract class RecordSink(string exporter, TelemetrySignal signal, BatchOptions options, TelemetryLoss loss)
    : BatchingSink<TelemetryRecord>(exporter, signal, options, loss)
{
    /// <inheritdoc />
    protected sealed override TelemetryRecord Take(TelemetryRecord record, int items)
    {
        record.Retain();
        return record;
    }

    /// <inheritdoc />
    protected sealed override int ItemsIn(TelemetryRecord item) => ItemsOf(item);

    /// <inheritdoc />
    protected sealed override void Free(TelemetryRecord item) => item.Release();
}

/// <summary>
/// A sink that writes a record's bytes (OTLP protobuf, a JSON line) when it is offered, on the
/// request's own thread while the record is still in the core's cache, and queues only those
/// bytes: the record goes back to its pool at once, and the export loop just concatenates and
/// sends. Encoding a batch of records from a queue instead means reading thousands of cold
/// objects each time.
/// </summary>
internal abstract class EncodingSink(string exporter, TelemetrySignal signal, BatchOptions options, TelemetryLoss loss)
    : BatchingSink<EncodedRecord>(exporter, signal, options, loss)
{
    // The sink's own arrays: taken on the request threads and given back by the export loop, a
    // whole batch at a time, which the shared pool's per-thread caches are not made for (they
    // would drop most of them and the requests would allocate anew). Enough for a full queue
    // and the batch in flight; records over 1 MB get arrays of their own.
    private readonly ArrayPool<byte> _arrays = ArrayPool<byte>.Create(1 << 20, Math.Clamp(options.MaxQueueSize + options.MaxBatchSize, 16, 1 << 16));

    /// <summary>
    /// The bytes of <paramref name="record"/>, written into the calling thread's own scratch
    /// buffer (valid until that thread encodes again).
    /// </summary>
    protected abstract ReadOnlySpan<byte> Encode(TelemetryRecord record);

    /// <inheritdoc />
    protected sealed override EncodedRecord Take(TelemetryRecord record, int items)
    {
        var bytes = Encode(record);
        var copy = _arrays.Rent(bytes.Length);
        bytes.CopyTo(copy);
        return new EncodedRecord(copy, bytes.Length, items);
    }

    /// <inheritdoc />
    protected sealed override int ItemsIn(EncodedRecord item) => item.Items;

    /// <inheritdoc />
    protected sealed override void Free(EncodedRecord item) => _arrays.Return(item.Buffer);
}

/// <summary>The encoded bytes of one record in a sink's queue.</summary>
/// <param name="Buffer">A pooled array holding them at its start.</param>
/// <param name="Length">How many bytes.</param>
/// <param name="Items">How many items (spans, log records) they encode.</param>
internal readonly record struct EncodedRecord(byte[] Buffer, int Length, int Items)
{
    /// <summary>The bytes.</summary>
    public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, Length);
}

/// <summary>The answer to one export call.</summary>
/// <param name="Success">The receiver took the batch.</param>
/// <param name="Rejected">Items it said it rejected (OTLP partial success).</param>
internal readonly record struct ExportOutcome(bool Success, long Rejected = 0)
{
    /// <summary>Delivered, all of it.</summary>
    public static ExportOutcome Delivered => new(true);

    /// <summary>Not delivered.</summary>
    public static ExportOutcome Failed => new(false);
}
