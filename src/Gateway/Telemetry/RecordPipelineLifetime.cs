using Gateway.Telemetry.Records;
using Microsoft.Extensions.Hosting;

namespace Gateway.Telemetry;

/// <summary>Starts nothing; flushes and stops the record pipeline when the host stops.</summary>
internal sealed class RecordPipelineLifetime(RecordPipeline pipeline) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken) => await pipeline.DisposeAsync().ConfigureAwait(false);
}
