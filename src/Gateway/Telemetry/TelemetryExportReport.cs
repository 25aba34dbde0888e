using Gateway.Telemetry.Otlp;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry;

/// <summary>
/// Says once at start where each signal is exported and how (endpoint, protocol, timeout,
/// compression, TLS files, batching; header names with hidden values), or why OTLP export is off;
/// at stop, after the record pipeline has drained, the export failures still held back by
/// <see cref="ExportFailureLog"/>'s rate limit.
/// </summary>
internal sealed partial class TelemetryExportReport(
    IReadOnlyList<OtlpExportSettings> exported, bool sdkDisabled, ExportFailureLog failures, ILogger<TelemetryExportReport> logger)
    : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (sdkDisabled)
        {
            Log.ExportOff(logger, $"{OtlpExportSettings.SdkDisabledVariable}=true");
        }
        else if (exported.Count == 0)
        {
            Log.ExportOff(logger, "no OTEL_EXPORTER_OTLP_ENDPOINT (or signal endpoint) is set, or every signal's exporter variable says none");
        }

        foreach (var settings in exported)
        {
            Log.ExportSettings(logger, settings.ToString());
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        failures.Flush();
        return Task.CompletedTask;
    }
}
