namespace Gateway.Telemetry.Records;

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

    /// <summary>Items offered and not yet exported or dropped (the health check's "is it moving").</summary>
    public abstract int PendingItems { get; }

    /// <summary>When the export loop last went round or finished an export (<see cref="System.Diagnostics.Stopwatch"/> ticks); 0 before it started.</summary>
    public abstract long LastTurnTimestamp { get; }

    /// <summary>Starts the export loop.</summary>
    public abstract void Start();

    /// <summary>Takes what it writes of <paramref name="record"/> unless its queue is full; never blocks, never throws.</summary>
    public abstract void Offer(TelemetryRecord record);

    /// <summary>Stops the loop after exporting what is queued (bounded by the export timeout); what is left is counted.</summary>
    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// Stops the loop after exporting what is queued, within <paramref name="drain"/> in all (an export
    /// still in flight then is cancelled); what is left is counted as dropped. Never throws.
    /// </summary>
    public abstract ValueTask StopAsync(TimeSpan drain);
}
