namespace Gateway.Telemetry;

/// <summary>
/// Counts the items waiting in one batch processor's queue, so that an item which would not
/// fit is refused (and counted) here instead of being dropped silently inside the SDK.
/// </summary>
/// <remarks>
/// The SDK's queue holds an item until the exporter has read it from its batch. Items leave
/// this gate when an export call begins, up to one batch early; admitting at most
/// <c>MaxQueueSize - MaxExportBatchSize</c> keeps the SDK's own queue from ever overflowing,
/// which makes the count exact.
/// </remarks>
internal sealed class ExportQueueGate(int maxQueueSize, int maxExportBatchSize)
{
    private readonly long capacity = Math.Max(1, maxQueueSize - maxExportBatchSize);
    private long pending;

    /// <summary>How many items may wait at once.</summary>
    public long Capacity => capacity;

    /// <summary>Admits one item when there is room.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref pending) <= capacity)
        {
            return true;
        }

        Interlocked.Decrement(ref pending);
        return false;
    }

    /// <summary>An export call took <paramref name="items"/> items from the queue.</summary>
    public void Leave(int items)
    {
        if (Interlocked.Add(ref pending, -items) < 0)
        {
            // Never below zero: a flush may export items admitted before a restart of the count.
            Interlocked.Exchange(ref pending, 0);
        }
    }
}
