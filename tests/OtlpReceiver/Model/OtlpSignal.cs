namespace OtlpReceiver;

/// <summary>The three OTLP signals the receiver accepts.</summary>
public enum OtlpSignal
{
    /// <summary>Spans: gRPC <c>TraceService/Export</c>, HTTP <c>POST /v1/traces</c>.</summary>
    Traces,

    /// <summary>Log records: gRPC <c>LogsService/Export</c>, HTTP <c>POST /v1/logs</c>.</summary>
    Logs,

    /// <summary>Metrics: gRPC <c>MetricsService/Export</c>, HTTP <c>POST /v1/metrics</c>; counted, names kept, data points skipped.</summary>
    Metrics,
}
