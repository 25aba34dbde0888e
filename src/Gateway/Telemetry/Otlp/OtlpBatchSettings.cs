namespace Gateway.Telemetry.Otlp;

/// <summary>
/// The queue in front of one signal's exporter: <c>OTEL_BSP_*</c> for spans, <c>OTEL_BLRP_*</c> for log records.
/// </summary>
/// <param name="ScheduleDelay">Longest time a queued item waits before a batch is sent.</param>
/// <param name="ExportTimeout">Longest time one batch export may take.</param>
/// <param name="MaxQueueSize">Items held at most; what arrives beyond it is dropped.</param>
/// <param name="MaxExportBatchSize">Items sent at most in one export request; never more than <paramref name="MaxQueueSize"/>.</param>
internal sealed record OtlpBatchSettings(TimeSpan ScheduleDelay, TimeSpan ExportTimeout, int MaxQueueSize, int MaxExportBatchSize);
