using Microsoft.Extensions.Configuration;

namespace Gateway.Telemetry;

/// <summary>
/// Which signals go to OTLP: a signal is exported when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// or its signal-specific variable is set. Everything else (protocol, headers, timeouts)
/// the OTLP exporter reads itself from the same standard variables.
/// </summary>
internal sealed class OtlpSignals(IConfiguration configuration)
{
    /// <summary>True when spans are exported over OTLP.</summary>
    public bool Traces { get; } = IsSet(configuration, "OTEL_EXPORTER_OTLP_ENDPOINT") || IsSet(configuration, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");

    /// <summary>True when log records are exported over OTLP.</summary>
    public bool Logs { get; } = IsSet(configuration, "OTEL_EXPORTER_OTLP_ENDPOINT") || IsSet(configuration, "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");

    /// <summary>True when metrics are exported over OTLP.</summary>
    public bool Metrics { get; } = IsSet(configuration, "OTEL_EXPORTER_OTLP_ENDPOINT") || IsSet(configuration, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");

    private static bool IsSet(IConfiguration configuration, string name) => !string.IsNullOrWhiteSpace(configuration[name]);
}
