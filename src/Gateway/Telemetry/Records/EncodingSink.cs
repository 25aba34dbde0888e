namespace Gateway.Telemetry.Records;

/// <summary>
/// A sink that writes a record's bytes (OTLP protobuf, a JSON line) when it is offered, on the
/// request's own thread while the record is still in the core's cache, straight into a batch
/// that thread owns: the record goes back to its pool at once, and the export loop sends the
/// batch's buffer as it is (an OTLP batch is a whole export request from its start).
/// </summary>
/// <remarks>
/// <para>
/// Each thread writes into its own open batch, so requests never wait for each other and
/// nothing is copied: no lock, one compare-and-swap when a record starts and a plain store
/// when it ends. The loop closes a batch that is not being written when the delay is up; its
/// thread then starts a new one with its next record.
/// </para>
/// <para>
/// A batch closes at <see cref="BatchOptions.MaxBatchSize"/> items, before it would pass
/// <see cref="MaxBatchBytes"/> bytes (the record that would take it over starts the next batch,
/// and a record larger than the limit travels alone), or when the delay is up. Buffers are
/// allocated at that size once and reused, so that the few being filled stay in the cache.
/// </para>
/// </remarks>
internal abstract class EncodingSink(string exporter, TelemetrySignal signal, BatchOptions options, TelemetryLoss loss)
    : BatchingSink<EncodedBatch>(exporter, signal, options, loss)
{
    /// <summary>Bytes at which a batch closes even with fewer items than the batch size.</summary>
    /// <remarks>
    /// Small enough that the buffers being filled stay in the core's cache: every request writes a
    /// few KB into one. 1 MiB (so that a batch of 512 items, about 170 requests, left in one call)
    /// measured 0.93-0.97x the throughput of 256 KiB side by side, and a higher p99.
    /// </remarks>
    public const int MaxBatchBytes = 256 * 1024;

    // The thread's own batch (the fast path), and every batch not yet closed, whichever thread
    // opened it: a thread that ends leaves its batch to the loop instead of losing it.
    private readonly ThreadLocal<EncodedBatch?> _mine = new();
    private readonly List<EncodedBatch> _open = [];
    private readonly Stack<EncodedBatch> _spare = new();
    private readonly Lock _gate = new();

    /// <summary>Starts a new batch's buffer (an OTLP export request's envelope); nothing by default.</summary>
    protected virtual void Begin(EncodedBatch batch)
    {
    }

    /// <summary>Writes the bytes of <paramref name="record"/> at the end of <paramref name="batch"/>'s buffer.</summary>
    protected abstract void Append(EncodedBatch batch, TelemetryRecord record);

    /// <summary>Finishes a batch's buffer before it is queued (closes the envelope); nothing by default.</summary>
    protected virtual void End(EncodedBatch batch)
    {
    }

    /// <inheritdoc />
    protected sealed override bool Take(TelemetryRecord record, int items, out EncodedBatch? item)
    {
        item = null;
        var batch = _mine.Value;
        if (batch is null || !batch.TryStartWriting())
        {
            // None yet, or the loop closed it when the delay was up.
            batch = Open();
            _mine.Value = batch;
        }

        var before = batch.Writer.Length;
        try
        {
            Append(batch, record);
        }
        catch (Exception)
        {
            batch.Writer.Truncate(before);
            batch.StopWriting();
            throw;
        }

        batch.Items += items;
        if (batch.Writer.Length - batch.Start > MaxBatchBytes && batch.Items > items)
        {
            // Over the limit with earlier records in it: it goes as it was, and the record starts the next one.
            var next = Open();
            next.Writer.Raw(batch.Writer.Since(before));
            next.Items = items;
            batch.Writer.Truncate(before);
            batch.Items -= items;
            Close(batch);
            _mine.Value = batch = next;
        }

        if (batch.Items >= Options.MaxBatchSize || batch.Writer.Length - batch.Start >= MaxBatchBytes)
        {
            _mine.Value = null;
            Close(batch);
        }
        else
        {
            batch.StopWriting();
        }

        return false;
    }

    /// <inheritdoc />
    protected sealed override bool ItemIsBatch => true;

    /// <inheritdoc />
    protected sealed override bool HasOpenItem
    {
        get
        {
            lock (_gate)
            {
                return _open.Exists(b => b.Items > 0);
            }
        }
    }

    /// <inheritdoc />
    protected sealed override void CloseOpenItems(bool final)
    {
        EncodedBatch[] open;
        lock (_gate)
        {
            open = [.. _open];
        }

        foreach (var batch in open)
        {
            // One being written is left to the next round (at the end: waited for, briefly).
            if (!TryClaim(batch, final))
            {
                continue;
            }

            if (batch.Items > 0)
            {
                Close(batch);
                continue;
            }

            // Empty: its thread has not offered since the last round. Back to the spares, so that
            // threads that stopped offering hold no buffer (an active one simply opens another).
            Retire(batch);
            Free(batch);
        }
    }

    /// <inheritdoc />
    protected sealed override int ItemsIn(EncodedBatch item) => item.Items;

    /// <inheritdoc />
    protected sealed override void Free(EncodedBatch item)
    {
        if (!item.Reset())
        {
            return;
        }

        lock (_gate)
        {
            // A few spare buffers are enough: the threads' open ones, one in flight, one queued.
            if (_spare.Count < 4)
            {
                _spare.Push(item);
            }
        }
    }

    // A new open batch, begun, owned by the calling thread for its first record.
    private EncodedBatch Open()
    {
        EncodedBatch batch;
        lock (_gate)
        {
            batch = _spare.TryPop(out var spare) ? spare : new EncodedBatch(MaxBatchBytes);
            batch.OpenForWriting();
            _open.Add(batch);
        }

        Begin(batch);
        batch.Start = batch.Writer.Length;
        return batch;
    }

    // Ends a batch the caller is writing (or has claimed) and queues it.
    private void Close(EncodedBatch batch)
    {
        End(batch);
        Retire(batch);
        Queue(batch);
    }

    // Nothing writes into a batch the caller holds any more, and the loop no longer looks at it.
    private void Retire(EncodedBatch batch)
    {
        batch.Seal();
        lock (_gate)
        {
            _open.Remove(batch);
        }
    }

    private static bool TryClaim(EncodedBatch batch, bool final)
    {
        if (batch.TryStartWriting())
        {
            return true;
        }

        // At the end nothing offers any more: a record still being written is waited for, briefly.
        return final && SpinWait.SpinUntil(batch.TryStartWriting, TimeSpan.FromMilliseconds(100));
    }
}
