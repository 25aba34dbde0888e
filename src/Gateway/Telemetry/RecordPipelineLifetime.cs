using Gateway.Configuration;
using Gateway.Telemetry.Records;
using Microsoft.Extensions.Hosting;

namespace Gateway.Telemetry;

/// <summary>
/// Starts nothing; flushes and stops the record pipeline when the host stops, within
/// <c>Telemetry:DrainTimeoutSeconds</c>: a stop takes at most the server's request drain plus that.
/// </summary>
internal sealed class RecordPipelineLifetime(RecordPipeline pipeline, TelemetrySettings settings) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken) =>
        await pipeline.StopAsync(TimeSpan.FromSeconds(settings.DrainTimeoutSeconds)).ConfigureAwait(false);
}
