using System.Diagnostics;
using Gateway.Telemetry;
using OpenTelemetry;

namespace Gateway.Tests.Telemetry;

/// <summary>Counting what the telemetry pipelines lose: the queue gate and the exporter decorator.</summary>
public sealed class TelemetryLossTests
{
    [Fact]
    public void Gate_Full_RefusesUntilAnExportTakesItems()
    {
        var gate = new ExportQueueGate(maxQueueSize: 10, maxExportBatchSize: 4);

        int admitted = Enumerable.Range(0, 20).Count(_ => gate.TryEnter());
        Assert.Equal(6, admitted);
        Assert.False(gate.TryEnter());

        gate.Leave(4);
        Assert.Equal(4, Enumerable.Range(0, 20).Count(_ => gate.TryEnter()));
    }

    [Fact]
    public void CountingExporter_FailureAndException_CountedAsDroppedSuccessAsExported()
    {
        using var loss = new TelemetryLoss();
        var inner = new ScriptedExporter();
        using var exporter = new CountingExporter<Activity>(inner, loss, TelemetrySignal.Traces, "otlp");
        using var a = new Activity("a");
        using var b = new Activity("b");
        var batch = new Batch<Activity>([a, b], 2);

        inner.Next = () => ExportResult.Success;
        exporter.Export(batch);
        inner.Next = () => ExportResult.Failure;
        exporter.Export(batch);
        inner.Next = () => throw new InvalidOperationException("collector gone");
        Assert.Equal(ExportResult.Failure, exporter.Export(batch));

        Assert.Equal(2, loss.Exported);
        Assert.Equal(2, loss.FailedExports);
        Assert.Equal(4, loss.Dropped()[(TelemetrySignal.Traces, "otlp", TelemetryLoss.ExportFailed)]);
    }

    private sealed class ScriptedExporter : BaseExporter<Activity>
    {
        public Func<ExportResult> Next { get; set; } = () => ExportResult.Success;

        public override ExportResult Export(in Batch<Activity> batch) => Next();
    }
}
