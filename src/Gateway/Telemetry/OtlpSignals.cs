using System.Globalization;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Exporter;

namespace Gateway.Telemetry;

/// <summary>
/// Whether metrics go to OTLP (through the SDK's exporter): when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// or <c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c> is set and <c>OTEL_METRICS_EXPORTER</c> is not <c>none</c>; the exporter reads protocol, headers and
/// timeouts itself from the same standard variables. Spans and records: <see cref="Otlp.OtlpExportSettings"/>.
/// </summary>
internal sealed class OtlpSignals(IConfiguration configuration)
{
    private readonly IConfiguration configuration = configuration;

    /// <summary>True when metrics are exported over OTLP (an endpoint is set and <c>OTEL_METRICS_EXPORTER</c> is not <c>none</c>).</summary>
    public bool Metrics { get; } = (IsSet(configuration, "OTEL_EXPORTER_OTLP_ENDPOINT") || IsSet(configuration, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))
        && Otlp.OtlpExportSettings.Exports(configuration, "OTEL_METRICS_EXPORTER");

    /// <summary>OTEL_METRIC_EXPORT_INTERVAL: milliseconds between metric exports. Default 60000.</summary>
    public int MetricIntervalMilliseconds { get; } =
        int.TryParse(configuration["OTEL_METRIC_EXPORT_INTERVAL"], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0 ? ms : 60_000;

    /// <summary>
    /// The exporter options of one signal: the standard variables, read by the exporter's own
    /// options, and the signal-specific endpoint (used as it is, as the specification says) when set.
    /// </summary>
    public OtlpExporterOptions Options(TelemetrySignal signal)
    {
        var options = new OtlpExporterOptions();
        var specific = signal switch
        {
            TelemetrySignal.Traces => configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"],
            TelemetrySignal.Logs => configuration["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"],
            _ => configuration["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"],
        };
        if (!string.IsNullOrWhiteSpace(specific) && Uri.TryCreate(specific, UriKind.Absolute, out var endpoint))
        {
            options.Endpoint = endpoint;
        }

        return options;
    }

    private static bool IsSet(IConfiguration configuration, string name) => !string.IsNullOrWhiteSpace(configuration[name]);
}
