using System.Diagnostics.Metrics;
using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using Gateway.Telemetry.Records;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OtlpTestReceiver = OtlpReceiver.OtlpTestReceiver;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>
/// At stop the metrics go once more within the drain, as RecordPipelineLifetime does it; the
/// provider's own collection when it is disposed afterwards is not sent. Cumulative points lose
/// nothing by that (the last export carried the same totals); delta points do, and are counted.
/// </summary>
public sealed class MetricStopTests
{
    [Theory]
    [InlineData(MetricReaderTemporalityPreference.Cumulative, 0)]
    [InlineData(MetricReaderTemporalityPreference.Delta, 1)]
    public async Task Stop_LastFlushDelivered_TheDisposalCollectionCountsOnlyLostIncrements(
        MetricReaderTemporalityPreference temporality, int lostAfterFlush)
    {
        await using var receiver = await OtlpTestReceiver.StartAsync();
        using var loss = new TelemetryLoss();
        var settings = OtlpExportSettings.For(
            OtlpExportSettingsTests.Config([("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.HttpEndpoint.ToString().TrimEnd('/')), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]),
            TelemetrySignal.Metrics)!;
        var exporter = new OtlpMetricExporter(new OtlpTransport(settings), new OtlpEncoder(new AttributeList { { "service.name", "metric-stop" } }, "1"), loss, failures: null);
        var meterName = $"metric-stop-{Guid.NewGuid():N}";
        using var meter = new Meter(meterName);
        var counter = meter.CreateCounter<long>("stop.test.count");
        var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(meterName)
            .AddReader(new PeriodicExportingMetricReader(exporter, 60_000, 5_000) { TemporalityPreference = temporality })
            .Build();

        counter.Add(3);
        exporter.Stop(TimeSpan.FromSeconds(5), closed: false);
        Assert.True(provider.ForceFlush(5_000));
        // Recorded after the last flush: a delta increment that nothing will carry.
        counter.Add(2);
        exporter.Stop(TimeSpan.Zero, closed: true);
        provider.Dispose();

        Assert.Equal(3, receiver.MetricTotals["stop.test.count"]);
        Assert.Equal(1, loss.Exported);
        Assert.Equal(lostAfterFlush, loss.Dropped().Values.Sum());
    }
}
