using Gateway.Configuration;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Gateway.Telemetry;

/// <summary>
/// Wires the gateway's telemetry: its records (spans and log records) go through the
/// gateway's own pipeline (<see cref="RecordPipeline"/>: OTLP, the embedded sink, the
/// console); its metrics are aggregated by the OpenTelemetry SDK and leave through the
/// gateway's own OTLP transport (<see cref="OtlpMetricExporter"/>). All three signals carry
/// one resource and read their <c>OTEL_*</c> settings from the gateway's configuration
/// (file, environment, command line) the same way (<see cref="OtlpExportSettings"/>).
/// </summary>
/// <remarks>
/// Spans and records are built and encoded by the gateway itself instead of as
/// <c>Activity</c> and <c>LogRecord</c> objects: a record of some 50 attributes then costs
/// copies of pre-encoded bytes instead of a few kilobytes of objects per request
/// (docs/benchmarks.md). Metrics are few and periodic; the SDK's aggregation serves them well.
/// </remarks>
internal static class TelemetryRegistration
{
    // The embedded sink is meant to be read while the gateway runs: export often.
    private static readonly BatchOptions SinkOptions = new(8192, 512, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));

    /// <summary>Registers the record pipeline and metrics; <paramref name="settings"/> is the validated <c>Telemetry</c> section.</summary>
    public static void AddGatewayTelemetry(this IServiceCollection services, ILoggingBuilder logging, IConfiguration configuration, TelemetrySettings settings)
    {
        services.AddSingleton<TelemetryLoss>();
        services.AddSingleton(settings);
        services.AddHostedService<TelemetryLossReporter>();

        // Read (and validated) here, so that a bad OTEL_* value stops the start with its name; every
        // problem of every signal is listed at once.
        var problems = new List<string>();
        var sdkDisabled = Read(() => OtlpExportSettings.SdkDisabled(configuration), problems);
        var traces = Read(() => OtlpExportSettings.For(configuration, TelemetrySignal.Traces), problems);
        var logs = Read(() => OtlpExportSettings.For(configuration, TelemetrySignal.Logs), problems);
        var metricSettings = Read(() => OtlpExportSettings.For(configuration, TelemetrySignal.Metrics), problems);
        var resource = Read(() => Otlp.ResourceAttributes.From(configuration), problems);
        if (problems.Count > 0)
        {
            throw new OtlpSettingsException([.. problems.Distinct()]);
        }

        var version = Otlp.ResourceAttributes.GatewayVersion;
        var encoder = new OtlpEncoder(resource!, version);
        services.AddSingleton(sp => new ExportFailureLog(
            sp.GetRequiredService<ILogger<ExportFailureLog>>(), TimeSpan.FromSeconds(settings.LossReportIntervalSeconds)));

        services.AddSingleton(sp =>
        {
            var loss = sp.GetRequiredService<TelemetryLoss>();
            var failures = sp.GetRequiredService<ExportFailureLog>();
            // Sinks registered by the host's caller (an embedding application, a test) come first.
            var sinks = new List<TelemetrySink>(sp.GetServices<TelemetrySink>());
            if (traces is not null)
            {
                sinks.Add(new OtlpSink(TelemetrySignal.Traces, encoder, new OtlpTransport(traces), traces.Batch, loss, failures: failures));
            }

            // DESIGN: OTLP when configured, otherwise the embedded sink (unless asked for both).
            if (settings.JsonLines.Enabled ?? logs is null)
            {
                sinks.Add(new JsonLinesSink(settings.JsonLines.Path, SinkOptions, loss, AccessRecordFormPolicy.OnlyCopy(settings.AccessRecord),
                    settings.JsonLines.MaxBytes, settings.JsonLines.MaxFiles));
            }

            // Off where OTLP logs are configured (the records are read there), unless asked for.
            if (settings.Console ?? logs is null)
            {
                sinks.Add(new ConsoleSink(Console.OpenStandardOutput(), SinkOptions, loss, AccessRecordFormPolicy.OnlyCopy(settings.AccessRecord)));
            }

            if (logs is not null)
            {
                // DESIGN "Log records": beside exported spans the access record is core (Auto), else it is the only copy.
                var accessRecord = traces is not null
                    ? AccessRecordFormPolicy.BesideSpans(settings.AccessRecord)
                    : AccessRecordFormPolicy.OnlyCopy(settings.AccessRecord);
                sinks.Add(new OtlpSink(TelemetrySignal.Logs, encoder, new OtlpTransport(logs), logs.Batch, loss, accessRecord, failures));
            }

            return new RecordPipeline(sinks);
        });

        // Said at start; at stop (after the pipeline, hosted services stop in reverse order) the failures held back.
        IReadOnlyList<OtlpExportSettings> exported = [.. new[] { traces, logs, metricSettings }.OfType<OtlpExportSettings>()];
        services.AddHostedService(sp => new TelemetryExportReport(
            exported, sdkDisabled, sp.GetRequiredService<ExportFailureLog>(), sp.GetRequiredService<ILogger<TelemetryExportReport>>()));

        if (metricSettings is not null)
        {
            services.AddSingleton(sp => new OtlpMetricExporter(
                new OtlpTransport(metricSettings), encoder, sp.GetRequiredService<TelemetryLoss>(), sp.GetRequiredService<ExportFailureLog>()));
            services.AddOpenTelemetry().WithMetrics(metrics =>
            {
                metrics.AddMeter(SemanticConventions.WireMeterName);
                metrics.AddMeter(SemanticConventions.TelemetryMeterName);
                metrics.AddMeter(SemanticConventions.TlsMeterName);
                metrics.AddMeter("Gateway.Rules");
                metrics.AddReader(sp => new PeriodicExportingMetricReader(
                    sp.GetRequiredService<OtlpMetricExporter>(),
                    (int)metricSettings.Batch.ScheduledDelay.TotalMilliseconds,
                    (int)metricSettings.Batch.ExportTimeout.TotalMilliseconds)
                {
                    TemporalityPreference = metricSettings.Temporality,
                });
            });
        }

        // Stopped after the server (hosted services stop in reverse order): the last requests' records are flushed.
        services.AddHostedService<RecordPipelineLifetime>();
    }

    // One signal's settings, its problems collected instead of thrown, so that all are said at once.
    private static T? Read<T>(Func<T> read, List<string> problems)
    {
        try
        {
            return read();
        }
        catch (OtlpSettingsException e)
        {
            problems.AddRange(e.Problems);
            return default;
        }
    }
}
