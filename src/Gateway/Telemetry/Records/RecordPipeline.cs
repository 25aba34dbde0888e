namespace Gateway.Telemetry.Records;

/// <summary>
/// Where the gateway's records go: every configured sink (OTLP spans, OTLP log records, the
/// JSON-lines file, the console) gets each record it writes, through its own bounded queue.
/// </summary>
internal sealed class RecordPipeline : IAsyncDisposable
{
    private readonly RecordPool _pool = new();
    private readonly TelemetrySink[] _sinks;
    private int _disposed;

    /// <summary>A pipeline feeding <paramref name="sinks"/>; their loops start at once.</summary>
    public RecordPipeline(IEnumerable<TelemetrySink> sinks)
    {
        _sinks = [.. sinks];
        foreach (var sink in _sinks)
        {
            sink.Start();
        }
    }

    /// <summary>The sinks, each behind its own queue (read by the health check).</summary>
    public IReadOnlyList<TelemetrySink> Sinks => _sinks;

    /// <summary>A clean record to fill.</summary>
    public TelemetryRecord Rent() => _pool.Rent();

    /// <summary>
    /// Hands a filled record to every sink, in the order they were given (trace sinks first, so that a
    /// log sink knows whether the spans its core form points at were taken); the caller must not touch
    /// it afterwards.
    /// </summary>
    public void Submit(TelemetryRecord record)
    {
        // The caller's own reference keeps the record alive until every sink has queued it.
        record.Retain();
        foreach (var sink in _sinks)
        {
            sink.Offer(record);
        }

        record.Release();
    }

    /// <summary>Stops every sink as it was configured (each within its export timeout); what is left is counted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(_sinks.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops every sink within <paramref name="drain"/> (<c>Telemetry:DrainTimeoutSeconds</c>): what is
    /// queued is exported until then, an export still in flight is cancelled, and whatever is left is
    /// counted as dropped. Never throws.
    /// </summary>
    public async ValueTask StopAsync(TimeSpan drain)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(_sinks.Select(s => s.StopAsync(drain).AsTask())).ConfigureAwait(false);
    }
}
