using Gateway.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Gateway.Telemetry;

/// <summary>
/// Wires the OpenTelemetry SDK: the gateway's spans, its records as log records, the
/// embedded sink (always), and OTLP (when the standard variables ask for it).
/// </summary>
internal static class TelemetryRegistration
{
    // The embedded sink is meant to be read while the gateway runs: export often.
    private const int SinkDelayMilliseconds = 100;

    /// <summary>Registers tracing and logging; <paramref name="settings"/> is the validated <c>Telemetry</c> section.</summary>
    public static void AddGatewayTelemetry(this IServiceCollection services, ILoggingBuilder logging, IConfiguration configuration, TelemetrySettings settings)
    {
        services.AddSingleton<RecordLogger>();

        // The sink prints its own one-line summary; the default console logger would repeat each record on two lines.
        logging.AddFilter<ConsoleLoggerProvider>(RecordLogger.Category, LogLevel.None);

        var otlp = new OtlpSignals(configuration);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .Clear()
                .AddService(SemanticConventions.DefaultServiceName)
                .AddTelemetrySdk()
                // After AddService so that OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
                .AddEnvironmentVariableDetector())
            .WithTracing(tracing =>
            {
                // Always on, even without an exporter: the server span gives the access record its trace and span id.
                tracing.AddSource(SemanticConventions.ActivitySourceName);
                if (otlp.Traces)
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SemanticConventions.WireMeterName);
                if (otlp.Metrics)
                {
                    metrics.AddOtlpExporter();
                }
            })
            .WithLogging(
                logs =>
                {
                    // DESIGN: OTLP when configured, otherwise the embedded sink (unless asked for both).
                    if (settings.JsonLines.Enabled ?? !otlp.Logs)
                    {
                        logs.AddProcessor(_ => Batch(new JsonLinesExporter(settings.JsonLines.Path)));
                    }

                    if (settings.Console)
                    {
                        logs.AddProcessor(_ => Batch(new ConsoleLineExporter(Console.Out)));
                    }

                    if (otlp.Logs)
                    {
                        logs.AddOtlpExporter();
                    }
                },
                options =>
                {
                    options.IncludeFormattedMessage = true;
                    options.IncludeScopes = false;
                });
    }

    private static BatchLogRecordExportProcessor Batch(BaseExporter<LogRecord> exporter) =>
        new(exporter, maxQueueSize: 8192, scheduledDelayMilliseconds: SinkDelayMilliseconds,
            exporterTimeoutMilliseconds: 30_000, maxExportBatchSize: 512);
}
