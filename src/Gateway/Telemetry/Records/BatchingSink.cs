using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gateway.Telemetry.Records;

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
    private readonly CancellationTokenSource _abort = new();
    private readonly TelemetryLoss _loss;
    private readonly List<TItem> _batch = [];
    private readonly int _closeOpenAt;
    private Task? _loop;
    private int _pendingItems;
    private int _queuedItems;
    private long _lastTurn;
    private int _wakeRequested;
    private int _flushRequested;
    private int _stopping;

    /// <summary>A sink named <paramref name="exporter"/> for <paramref name="signal"/>.</summary>
    protected BatchingSink(string exporter, TelemetrySignal signal, BatchOptions options, TelemetryLoss loss)
        : base(exporter, signal, options)
    {
        _loss = loss;
        // Items in open items (each thread's own batch) count against the queue. Left to fill to a
        // batch's worth each, a few threads' partly filled batches would fill the queue between them
        // (four of 511 against the default 2048) and records would be dropped with nothing being
        // sent: once they hold half the queue together (or a batch's worth, if more), they go.
        _closeOpenAt = Math.Max(options.MaxBatchSize, options.MaxQueueSize / 2);
    }

    /// <inheritdoc />
    public sealed override int PendingItems => Volatile.Read(ref _pendingItems);

    /// <inheritdoc />
    public sealed override long LastTurnTimestamp => Volatile.Read(ref _lastTurn);

    /// <inheritdoc />
    public sealed override void Start()
    {
        Volatile.Write(ref _lastTurn, Stopwatch.GetTimestamp());
        _loop ??= Task.Run(RunAsync);
    }

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
            MarkSpansDropped(record);
            return;
        }

        bool ready;
        TItem item;
        try
        {
            ready = Take(record, items, out item!);
        }
        catch (Exception)
        {
            // A record this sink cannot write (an encoder fault) is lost, and counted as such.
            Interlocked.Add(ref _pendingItems, -items);
            _loss.OnExportFailed(Signal, Exporter, items, calls: 0);
            MarkSpansDropped(record);
            return;
        }

        if (!ready)
        {
            if (pending - Volatile.Read(ref _queuedItems) >= _closeOpenAt)
            {
                Wake();
            }

            return;
        }

        Interlocked.Add(ref _queuedItems, items);
        _queue.Enqueue(item!);
        // Queued records go once a batch's worth is waiting.
        if (pending >= Options.MaxBatchSize)
        {
            Wake();
        }
    }

    // The access record cannot point at spans that never leave: the log sinks offered next write it whole.
    private void MarkSpansDropped(TelemetryRecord record)
    {
        if (Signal == TelemetrySignal.Traces)
        {
            record.SpansDropped = true;
        }
    }

    /// <summary>Queues a whole batch, closed on the offering thread or by the loop; it goes at once.</summary>
    protected void Queue(TItem batch)
    {
        Interlocked.Add(ref _queuedItems, ItemsIn(batch));
        _queue.Enqueue(batch);
        Wake();
    }

    private void Wake()
    {
        // Read first: every offer over the mark calls this, and the write is needed once per turn.
        if (Volatile.Read(ref _wakeRequested) == 0 && Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            _wake.Release();
        }
    }

    // Wakes the loop until what is queued now has left, for at most bound (the stop's drain).
    private async Task FlushAsync(TimeSpan bound)
    {
        var deadline = Stopwatch.StartNew();
        while ((!_queue.IsEmpty || HasOpenItem) && deadline.Elapsed < bound && _loop is { IsCompleted: false })
        {
            Volatile.Write(ref _flushRequested, 1);
            if (Interlocked.Exchange(ref _wakeRequested, 1) == 0)
            {
                _wake.Release();
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public sealed override ValueTask DisposeAsync() => StopAsync(Options.ExportTimeout);

    /// <inheritdoc />
    public sealed override async ValueTask StopAsync(TimeSpan drain)
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        var elapsed = Stopwatch.StartNew();
        TimeSpan Left() => drain > elapsed.Elapsed ? drain - elapsed.Elapsed : TimeSpan.Zero;
        try
        {
            await FlushAsync(drain).ConfigureAwait(false);
            _stop.Cancel();
            _wake.Release();
            // The export in flight gets what is left of the drain time, then it is cancelled: a
            // collector that accepts and never answers cannot hold the shutdown.
            _abort.CancelAfter(Left());
            if (_loop is { } loop)
            {
                // A moment past the cancellation, for the loop to count what it was sending.
                await loop.WaitAsync(Left() + TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // An exporter that does not stop in time: what it holds is counted below or by the loop.
        }

        // Whatever is still queued cannot be exported any more.
        CloseOpenItems(final: true);

        while (_queue.TryDequeue(out var left))
        {
            var items = ItemsIn(left);
            Interlocked.Add(ref _queuedItems, -items);
            Interlocked.Add(ref _pendingItems, -items);
            _loss.OnExportFailed(Signal, Exporter, items, calls: 0);
            Free(left);
        }

        if (_loop is { IsCompleted: false })
        {
            // Still inside an exporter that ignored its cancellation: leave its resources to it.
            return;
        }

        try
        {
            await DisposeCoreAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping never throws: the records were counted already.
        }

        _stop.Dispose();
        _abort.Dispose();
    }

    /// <summary>
    /// Takes what this sink keeps of <paramref name="record"/> (its <paramref name="items"/> items), on
    /// the offering thread; true with the <paramref name="item"/> to queue, false when it went into
    /// an item still open (which <see cref="Queue"/> or <see cref="CloseOpenItems"/> queues once closed).
    /// </summary>
    protected abstract bool Take(TelemetryRecord record, int items, out TItem? item);

    /// <summary>True when each item is a whole batch, exported on its own as soon as it is queued.</summary>
    protected virtual bool ItemIsBatch => false;

    /// <summary>True while an item holds records but is not queued yet.</summary>
    protected virtual bool HasOpenItem => false;

    /// <summary>
    /// Closes the open items that hold records (the delay is up, a flush, the end) and queues them
    /// (<see cref="Queue"/>); <paramref name="final"/>: the last call, when nothing offers any more.
    /// </summary>
    protected virtual void CloseOpenItems(bool final)
    {
    }

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
            var woken = false;
            try
            {
                woken = await _wake.WaitAsync(Options.ScheduledDelay, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            Volatile.Write(ref _wakeRequested, 0);
            Volatile.Write(ref _lastTurn, Stopwatch.GetTimestamp());
            // A full item woke the loop: the open ones keep filling, unless they hold half the queue
            // together (a slow export holds queued items, which closing open ones would not help).
            // Otherwise (the delay is up, a flush, the end) they go too.
            if (!woken || stopping.IsCancellationRequested || Interlocked.Exchange(ref _flushRequested, 0) == 1
                || PendingItems - Volatile.Read(ref _queuedItems) >= _closeOpenAt)
            {
                CloseOpenItems(final: false);
            }

            while (TakeBatch(out var items))
            {
                await ExportBatchAsync(items).ConfigureAwait(false);
                Volatile.Write(ref _lastTurn, Stopwatch.GetTimestamp());
            }

            if (stopping.IsCancellationRequested && _queue.IsEmpty && !HasOpenItem)
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
            if (ItemIsBatch)
            {
                break;
            }
        }

        Interlocked.Add(ref _queuedItems, -items);
        Interlocked.Add(ref _pendingItems, -items);
        return _batch.Count > 0;
    }

    private async Task ExportBatchAsync(int items)
    {
        ExportOutcome outcome;
        try
        {
            // At shutdown the export still gets what is left of the drain time; the loop's token only ends waiting.
            outcome = await ExportAsync(_batch, items, _abort.Token).ConfigureAwait(false);
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
