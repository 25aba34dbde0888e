namespace Gateway.Telemetry;

/// <summary>The OpenTelemetry signal a piece of telemetry belongs to; the <c>signal</c> attribute of the loss metrics.</summary>
internal enum TelemetrySignal
{
    /// <summary>Spans.</summary>
    Traces,

    /// <summary>Log records (access, connection and anomaly records).</summary>
    Logs,

    /// <summary>Metric streams.</summary>
    Metrics,
}
