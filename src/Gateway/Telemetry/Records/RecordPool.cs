using System.Collections.Concurrent;

namespace Gateway.Telemetry.Records;

/// <summary>A bounded pool of <see cref="TelemetryRecord"/>s.</summary>
internal sealed class RecordPool(int maxRetained = 4096)
{
    private readonly ConcurrentQueue<TelemetryRecord> _free = new();
    private int _count;

    /// <summary>A clean record.</summary>
    public TelemetryRecord Rent()
    {
        if (_free.TryDequeue(out var record))
        {
            Interlocked.Decrement(ref _count);
            return record;
        }

        return new TelemetryRecord(this);
    }

    /// <summary>Takes back a recycled record (or lets the collector have it when the pool is full).</summary>
    public void Return(TelemetryRecord record)
    {
        if (Interlocked.Increment(ref _count) <= maxRetained)
        {
            _free.Enqueue(record);
        }
        else
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
