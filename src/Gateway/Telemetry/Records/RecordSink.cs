namespace Gateway.Telemetry.Records;

/// <summary>
/// A sink that queues the records themselves (holding a reference each) and reads them when
/// it exports: for exporters that need the record's structure, like the console or a test.
/// </summary>
internal abstract class RecordSink(string exporter, TelemetrySignal signal, BatchOptions options, TelemetryLoss loss)
    : BatchingSink<TelemetryRecord>(exporter, signal, options, loss)
{
    /// <inheritdoc />
    protected sealed override bool Take(TelemetryRecord record, int items, out TelemetryRecord? item)
    {
        record.Retain();
        item = record;
        return true;
    }

    /// <inheritdoc />
    protected sealed override int ItemsIn(TelemetryRecord item) => ItemsOf(item);

    /// <inheritdoc />
    protected sealed override void Free(TelemetryRecord item) => item.Release();
}
