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
/// file or the console. Requests only enqueue (never wait); a background loop takes batches
/// and exports them. An item that does not fit is counted as <c>queue_full</c>, a failed
/// export as <c>export_failed</c>: nothing is lost without a count (<see cref="TelemetryLoss"/>).
/// </summary>
internal abstract class RecordSink : IAsyncDisposable
{
    private readonly ConcurrentQueue<TelemetryRecord> _queue = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TelemetryLoss _loss;
    private readonly List<TelemetryRecord> _batch = [];
    private Task? _loop;
    private int _pendingItems;
    private int _wakeRequested;

    /// <summary>A sink named <paramref name="exporter"/> for <paramref name="signal"/>.</summary>
    protected RecordSink(string exporter, TelemetrySignal signal, BatchOptions options, TelemetryLoss loss)
    {
        Exporter = exporter;
        Signal = signal;
        Options = options;
        _loss = loss;
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
    public void Start() => _loop ??= Task.Run(RunAsync);

    /// <summary>Queues <paramref name="record"/> (taking a reference) unless the queue is full; never blocks.</summary>
    public void Offer(TelemetryRecord record)
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

        record.Retain();
        _queue.Enqueue(record);
        if (pending >= Options.MaxBatchSize && Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Exports what is queued now and waits for it (bounded by the export timeout).</summary>
    public async Task FlushAsync()
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

    /// <summary>Stops the loop after exporting what is queued (bounded by the export timeout); what is left is counted.</summary>
    public async ValueTask DisposeAsync()
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
            var items = ItemsOf(left);
            Interlocked.Add(ref _pendingItems, -items);
            _loss.OnExportFailed(Signal, Exporter, items, calls: 0);
            left.Release();
        }

        await DisposeCoreAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Exports one batch of <paramref name="items"/> items; returns how many were delivered.</summary>
    protected abstract Task<ExportOutcome> ExportAsync(IReadOnlyList<TelemetryRecord> batch, int items, CancellationToken cancellationToken);

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
        while (items < Options.MaxBatchSize && _queue.TryDequeue(out var record))
        {
            _batch.Add(record);
            items += ItemsOf(record);
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
            foreach (var record in _batch)
            {
                record.Release();
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
