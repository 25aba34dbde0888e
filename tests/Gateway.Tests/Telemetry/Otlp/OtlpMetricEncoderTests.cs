using System.Diagnostics.Metrics;
using Gateway.Telemetry;
using Gateway.Telemetry.Otlp;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OtlpReceiver.Protocol.Collector.Metrics;
using ProtoMetric = OtlpReceiver.Protocol.Metrics.Metric;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>The hand-written metrics encoder, decoded by Google.Protobuf from the opentelemetry-proto files.</summary>
public sealed class OtlpMetricEncoderTests
{
    [Theory]
    [InlineData(MetricReaderTemporalityPreference.Cumulative)]
    [InlineData(MetricReaderTemporalityPreference.Delta)]
    public void Write_EveryInstrumentKind_DecodesToTheValuesRecorded(MetricReaderTemporalityPreference temporality)
    {
        using var meter = new Meter("Gateway.Test.Encoder." + temporality, "1.2.3");
        var requests = meter.CreateCounter<long>("test.requests", unit: "{request}", description: "requests seen");
        var inflight = meter.CreateUpDownCounter<double>("test.inflight");
        var latency = meter.CreateHistogram<double>("test.latency", unit: "ms");
        meter.CreateObservableGauge("test.flows", () => new Measurement<long>(7, new KeyValuePair<string, object?>("table", "main")));
        var exporter = new EncodingExporter();
        using (var provider = Sdk.CreateMeterProviderBuilder()
                   .AddMeter(meter.Name)
                   .AddView("test.latency", new ExplicitBucketHistogramConfiguration { Boundaries = [1, 10] })
                   .AddReader(new BaseExportingMetricReader(exporter) { TemporalityPreference = temporality })
                   .Build())
        {
            requests.Add(3, new KeyValuePair<string, object?>("route", "a"), new KeyValuePair<string, object?>("ok", true));
            requests.Add(2, new KeyValuePair<string, object?>("route", "a"), new KeyValuePair<string, object?>("ok", true));
            inflight.Add(1.5);
            inflight.Add(-0.5);
            latency.Record(0.5);
            latency.Record(5);
            latency.Record(50);
            provider.ForceFlush();
        }

        var request = ExportMetricsServiceRequest.Parser.ParseFrom(exporter.Bytes);
        var resourceMetrics = Assert.Single(request.ResourceMetrics);
        Assert.Equal("encoder-test", resourceMetrics.Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
        var scope = Assert.Single(resourceMetrics.ScopeMetrics);
        Assert.Equal(meter.Name, scope.Scope.Name);
        Assert.Equal("1.2.3", scope.Scope.Version);
        var metrics = scope.Metrics.ToDictionary(m => m.Name);
        // AggregationTemporality: 1 delta, 2 cumulative.
        var expected = temporality == MetricReaderTemporalityPreference.Delta ? 1 : 2;

        var sum = metrics["test.requests"];
        Assert.Equal(ProtoMetric.DataOneofCase.Sum, sum.DataCase);
        Assert.Equal(("{request}", "requests seen"), (sum.Unit, sum.Description));
        Assert.True(sum.Sum.IsMonotonic);
        Assert.Equal(expected, sum.Sum.AggregationTemporality);
        var point = Assert.Single(sum.Sum.DataPoints);
        Assert.Equal(5, point.AsInt);
        Assert.Equal("a", point.Attributes.Single(a => a.Key == "route").Value.StringValue);
        Assert.True(point.Attributes.Single(a => a.Key == "ok").Value.BoolValue);
        Assert.True(point.TimeUnixNano >= point.StartTimeUnixNano && point.StartTimeUnixNano > 1_600_000_000_000_000_000UL);

        var upDown = metrics["test.inflight"];
        Assert.False(upDown.Sum.IsMonotonic);
        // An up-down counter is cumulative whatever the preference (the SDK's rule).
        Assert.Equal(1.0, Assert.Single(upDown.Sum.DataPoints).AsDouble);

        var histogram = Assert.Single(metrics["test.latency"].Histogram.DataPoints);
        Assert.Equal(expected, metrics["test.latency"].Histogram.AggregationTemporality);
        Assert.Equal(3UL, histogram.Count);
        Assert.Equal(55.5, histogram.Sum);
        Assert.Equal(new[] { 1.0, 10.0 }, histogram.ExplicitBounds);
        Assert.Equal(new[] { 1UL, 1UL, 1UL }, histogram.BucketCounts);
        Assert.Equal((0.5, 50.0), (histogram.Min, histogram.Max));

        var gauge = Assert.Single(metrics["test.flows"].Gauge.DataPoints);
        Assert.Equal(7, gauge.AsInt);
        Assert.Equal("main", gauge.Attributes.Single().Value.StringValue);
        Assert.Equal(exporter.Points, sum.Sum.DataPoints.Count + upDown.Sum.DataPoints.Count + 1 + 1);
    }

    private sealed class EncodingExporter : BaseExporter<Metric>
    {
        private readonly OtlpEncoder _envelope = new(new AttributeList { { "service.name", "encoder-test" } }, "1");

        public byte[] Bytes { get; private set; } = [];

        public int Points { get; private set; }

        public override ExportResult Export(in Batch<Metric> batch)
        {
            var metrics = new List<Metric>();
            foreach (var metric in batch)
            {
                metrics.Add(metric);
            }

            // The first export (the flush); the provider's last one at disposal holds less under delta.
            if (Bytes.Length == 0)
            {
                var writer = new ProtoWriter();
                Points = OtlpMetricEncoder.Write(writer, _envelope, metrics);
                Bytes = writer.Written.ToArray();
            }

            return ExportResult.Success;
        }
    }
}
