using Gateway.Configuration;
using Gateway.Correlation;
using Gateway.Health;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Health;

/// <summary>The record pipeline's check: a sink whose loop stopped turning while records wait fails liveness.</summary>
public sealed class HealthMonitorTests
{
    [Fact]
    public async Task Live_SinkWhoseExportNeverReturns_FailsAsStuckAfterTheLimit()
    {
        using var release = new SemaphoreSlim(0);
        var sink = new HangingSink(release);
        await using var pipeline = new RecordPipeline([sink]);
        var monitor = Monitor(pipeline, stuckAfterSeconds: 1);

        Assert.True(monitor.Live().Passed);
        pipeline.Submit(pipeline.Rent());
        await sink.Exporting.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(monitor.Live().Passed);
        pipeline.Submit(pipeline.Rent());
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var report = monitor.Live();
        Assert.False(report.Passed);
        var records = Assert.Single(report.Checks);
        Assert.Equal("stuck", records.Status);
        Assert.Contains("hanging logs: ", records.Detail, StringComparison.Ordinal);

        release.Release(10);
        await Task.Delay(300);
        Assert.True(monitor.Live().Passed);
    }

    private static HealthMonitor Monitor(RecordPipeline pipeline, int stuckAfterSeconds) =>
        new(new DisabledWireView("test"), Options.Create(new KernelProbeSettings()),
            Options.Create(new HealthSettings { StuckAfterSeconds = stuckAfterSeconds }), pipeline, new Lifetime(), new NoServer());

    private sealed class HangingSink(SemaphoreSlim release)
        : RecordSink("hanging", TelemetrySignal.Logs, new BatchOptions(100, 1, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(2)), new TelemetryLoss())
    {
        public TaskCompletionSource Exporting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override int ItemsOf(TelemetryRecord record) => 1;

        protected override async Task<ExportOutcome> ExportAsync(IReadOnlyList<TelemetryRecord> batch, int items, CancellationToken cancellationToken)
        {
            Exporting.TrySetResult();
            await release.WaitAsync(cancellationToken);
            return ExportOutcome.Delivered;
        }
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => new(true);

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }

    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
