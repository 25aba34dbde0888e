using System.Reflection;
using Gateway.Configuration;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Gateway.Telemetry;

/// <summary>
/// Wires the gateway's telemetry: its records (spans and log records) go through the
/// gateway's own pipeline (<see cref="RecordPipeline"/>: OTLP, the embedded sink, the
/// console), its metrics through the OpenTelemetry SDK.
/// </summary>
/// <remarks>
/// Spans and records are built and encoded by the gateway itself instead of as
/// <c>Activity</c> and <c>LogRecord</c> objects: a record of some 50 attributes then costs
/// copies of pre-encoded bytes instead of a few kilobytes of objects per request
/// (docs/benchmarks.md). Metrics are few and periodic; the SDK serves them well.
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

        // Read (and validated) here, so that a bad OTEL_* value stops the start with its name.
        var traces = OtlpExportSettings.For(configuration, TelemetrySignal.Traces);
        var logs = OtlpExportSettings.For(configuration, TelemetrySignal.Logs);
        var resource = Otlp.ResourceAttributes.From(configuration);

        services.AddSingleton(sp =>
        {
            var loss = sp.GetRequiredService<TelemetryLoss>();
            var version = typeof(TelemetryRegistration).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
            var encoder = new OtlpEncoder(resource, version);
            // Sinks registered by the host's caller (an embedding application, a test) come first.
            var sinks = new List<TelemetrySink>(sp.GetServices<TelemetrySink>());
            if (traces is not null)
            {
                sinks.Add(new OtlpSink(TelemetrySignal.Traces, encoder, new OtlpTransport(traces), traces.Batch, loss));
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
                sinks.Add(new OtlpSink(TelemetrySignal.Logs, encoder, new OtlpTransport(logs), logs.Batch, loss, accessRecord));
            }

            return new RecordPipeline(sinks);
        });

        // Stopped after the server (hosted services stop in reverse order): the last requests' records are flushed.
        services.AddHostedService<RecordPipelineLifetime>();

        var otlp = new OtlpSignals(configuration);
        services.AddOpenTelemetry()
            .ConfigureResource(r => r
                .Clear()
                .AddService(SemanticConventions.DefaultServiceName)
                .AddTelemetrySdk()
                // After AddService so that OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
                .AddEnvironmentVariableDetector())
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SemanticConventions.WireMeterName);
                metrics.AddMeter(SemanticConventions.TelemetryMeterName);
                metrics.AddMeter(SemanticConventions.TlsMeterName);
                metrics.AddMeter("Gateway.Rules");
                if (otlp.Metrics)
                {
                    metrics.AddReader(sp => new PeriodicExportingMetricReader(
                        new CountingExporter<Metric>(
                            new OtlpMetricExporter(otlp.Options(TelemetrySignal.Metrics)), sp.GetRequiredService<TelemetryLoss>(), TelemetrySignal.Metrics, "otlp"),
                        otlp.MetricIntervalMilliseconds));
                }
            });
    }
}
