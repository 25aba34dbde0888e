namespace Gateway.Telemetry.Records;

/// <summary>
/// How one exporter batches: its bounded queue, batch size and cadence. For OTLP these are the
/// <c>OTEL_BSP_*</c> (spans) and <c>OTEL_BLRP_*</c> (log records) variables.
/// </summary>
/// <param name="MaxQueueSize">Most items (spans or log records) waiting at once; more are dropped and counted.</param>
/// <param name="MaxBatchSize">Most items per export call; never more than <paramref name="MaxQueueSize"/>.</param>
/// <param name="ScheduledDelay">Longest wait before a non-full batch goes out.</param>
/// <param name="ExportTimeout">Longest wait for one export call at shutdown.</param>
internal sealed record BatchOptions(int MaxQueueSize, int MaxBatchSize, TimeSpan ScheduledDelay, TimeSpan ExportTimeout);
