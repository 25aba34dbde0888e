using Gateway.Configuration;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace Gateway.Telemetry;

/// <summary>
/// Starts nothing; when the host stops, flushes and stops the record pipeline and sends the
/// metrics one last time, both within <c>Telemetry:DrainTimeoutSeconds</c>: a stop takes at most
/// the server's request drain plus that.
/// </summary>
internal sealed class RecordPipelineLifetime(
    RecordPipeline pipeline, TelemetrySettings settings, OtlpMetricExporter? metrics = null, MeterProvider? meters = null) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var drain = TimeSpan.FromSeconds(settings.DrainTimeoutSeconds);
        var lastMetrics = Task.CompletedTask;
        if (metrics is not null && meters is not null)
        {
            // An export in flight (or this last one) is cancelled when the drain time is over.
            metrics.Stop(drain, closed: false);
            lastMetrics = Task.Run(() => meters.ForceFlush((int)Math.Max(1, drain.TotalMilliseconds)), CancellationToken.None);
        }

        await pipeline.StopAsync(drain).ConfigureAwait(false);
        try
        {
            await lastMetrics.WaitAsync(drain + TimeSpan.FromMilliseconds(500), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Counted by the exporter; stopping never throws.
        }

        // The provider collects once more when it is disposed: that one is not sent.
        metrics?.Stop(TimeSpan.Zero, closed: true);
    }
}
