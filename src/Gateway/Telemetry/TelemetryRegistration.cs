using Gateway.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Exporter;
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
        services.AddSingleton<TelemetryLoss>();
        services.AddSingleton(settings);
        services.AddHostedService<TelemetryLossReporter>();

        // The sink prints its own one-line summary; the default console logger would repeat each record on two lines.
        logging.AddFilter<ConsoleLoggerProvider>(RecordLogger.Category, LogLevel.None);

        // Every exporter sits behind a bounded queue (the SDK's batch processors: OTEL_BSP_MAX_QUEUE_SIZE
        // and OTEL_BLRP_MAX_QUEUE_SIZE, 2048 by default; the sinks' 8192), so a collector that is down,
        // slow or failing costs at most that many items of memory per signal and never blocks a request;
        // what does not fit, or fails to export, is counted (TelemetryLoss) instead of vanishing.
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
                    tracing.AddProcessor(sp => new CountingActivityProcessor(
                        Counted(new OtlpTraceExporter(otlp.Options(TelemetrySignal.Traces)), sp, TelemetrySignal.Traces, Otlp),
                        new BatchExportActivityProcessorOptions(), sp.GetRequiredService<TelemetryLoss>()));
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SemanticConventions.WireMeterName);
                metrics.AddMeter(SemanticConventions.TelemetryMeterName);
                if (otlp.Metrics)
                {
                    metrics.AddReader(sp => new PeriodicExportingMetricReader(
                        Counted(new OtlpMetricExporter(otlp.Options(TelemetrySignal.Metrics)), sp, TelemetrySignal.Metrics, Otlp),
                        otlp.MetricIntervalMilliseconds));
                }
            })
            .WithLogging(
                logs =>
                {
                    // DESIGN: OTLP when configured, otherwise the embedded sink (unless asked for both).
                    if (settings.JsonLines.Enabled ?? !otlp.Logs)
                    {
                        logs.AddProcessor(sp => Batch(Counted(new JsonLinesExporter(settings.JsonLines.Path), sp, TelemetrySignal.Logs, "jsonl"), sp, SinkOptions()));
                    }

                    if (settings.Console)
                    {
                        logs.AddProcessor(sp => Batch(Counted(new ConsoleLineExporter(Console.Out), sp, TelemetrySignal.Logs, "console"), sp, SinkOptions()));
                    }

                    if (otlp.Logs)
                    {
                        logs.AddProcessor(sp => Batch(
                            Counted(new OtlpLogExporter(otlp.Options(TelemetrySignal.Logs)), sp, TelemetrySignal.Logs, Otlp),
                            sp, new BatchExportLogRecordProcessorOptions()));
                    }
                },
                options =>
                {
                    options.IncludeFormattedMessage = true;
                    options.IncludeScopes = false;
                });
    }

    private const string Otlp = "otlp";

    private static CountingExporter<T> Counted<T>(BaseExporter<T> exporter, IServiceProvider services, TelemetrySignal signal, string name)
        where T : class =>
        new(exporter, services.GetRequiredService<TelemetryLoss>(), signal, name);

    private static CountingLogRecordProcessor Batch(CountingExporter<LogRecord> exporter, IServiceProvider services, BatchExportProcessorOptions<LogRecord> options) =>
        new(exporter, options, services.GetRequiredService<TelemetryLoss>());

    private static BatchExportLogRecordProcessorOptions SinkOptions() => new()
    {
        MaxQueueSize = 8192,
        ScheduledDelayMilliseconds = SinkDelayMilliseconds,
        ExporterTimeoutMilliseconds = 30_000,
        MaxExportBatchSize = 512,
    };
}
