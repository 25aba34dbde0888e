using System.Buffers.Binary;
using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Gateway.Telemetry.Otlp;

/// <summary>
/// Encodes a batch of the SDK's <see cref="Metric"/>s as an OTLP <c>ExportMetricsServiceRequest</c>,
/// under the same resource as the gateway's spans and log records (<see cref="OtlpEncoder.BeginResource"/>),
/// one <c>ScopeMetrics</c> per meter. Field numbers are those of opentelemetry-proto v1
/// (<c>metrics/v1/metrics.proto</c>).
/// </summary>
/// <remarks>
/// Stands in for the serializer of the SDK's OTLP metric exporter, so that metrics leave through the
/// gateway's one transport (<see cref="OtlpTransport"/>: the same settings, TLS, retries and failure
/// reports) and under the one resource. Metrics are few and periodic: this path is not tuned.
/// Exemplars are not written (the gateway records none).
/// </remarks>
internal static class OtlpMetricEncoder
{
    // AggregationTemporality in metrics.proto.
    private const int TemporalityDelta = 1;
    private const int TemporalityCumulative = 2;

    /// <summary>Writes <paramref name="metrics"/> as a whole export request; returns the number of data points.</summary>
    public static int Write(ProtoWriter writer, OtlpEncoder envelope, IReadOnlyList<Metric> metrics)
    {
        var points = 0;
        var resource = envelope.BeginResource(writer);
        foreach (var meter in metrics.GroupBy(m => (m.MeterName, m.MeterVersion)))
        {
            var scopeMetrics = writer.BeginMessage(2);
            var scope = writer.BeginMessage(1);
            writer.StringField(1, meter.Key.MeterName);
            if (!string.IsNullOrEmpty(meter.Key.MeterVersion))
            {
                writer.StringField(2, meter.Key.MeterVersion);
            }

            writer.EndMessage(scope);
            foreach (var metric in meter)
            {
                points += WriteMetric(writer, metric);
            }

            writer.EndMessage(scopeMetrics);
        }

        writer.EndMessage(resource);
        return points;
    }

    /// <summary>The data points a batch holds (what a failed export loses).</summary>
    public static int Points(IReadOnlyList<Metric> metrics)
    {
        var points = 0;
        foreach (var metric in metrics)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                _ = point;
                points++;
            }
        }

        return points;
    }

    private static int WriteMetric(ProtoWriter writer, Metric metric)
    {
        var message = writer.BeginMessage(2);
        writer.StringField(1, metric.Name);
        if (!string.IsNullOrEmpty(metric.Description))
        {
            writer.StringField(2, metric.Description);
        }

        if (!string.IsNullOrEmpty(metric.Unit))
        {
            writer.StringField(3, metric.Unit);
        }

        var type = metric.MetricType;
        var temporality = metric.Temporality == AggregationTemporality.Delta ? TemporalityDelta : TemporalityCumulative;
        int points;
        if (type.IsGauge())
        {
            var gauge = writer.BeginMessage(5);
            points = WriteNumberPoints(writer, metric, gauge: true);
            writer.EndMessage(gauge);
        }
        else if (type.IsSum())
        {
            var sum = writer.BeginMessage(7);
            points = WriteNumberPoints(writer, metric, gauge: false);
            writer.VarintField(2, temporality);
            writer.BoolField(3, type is MetricType.LongSum or MetricType.DoubleSum);
            writer.EndMessage(sum);
        }
        else if (type == MetricType.ExponentialHistogram)
        {
            var histogram = writer.BeginMessage(10);
            points = WriteExponentialPoints(writer, metric);
            writer.VarintField(2, temporality);
            writer.EndMessage(histogram);
        }
        else
        {
            var histogram = writer.BeginMessage(9);
            points = WriteHistogramPoints(writer, metric);
            writer.VarintField(2, temporality);
            writer.EndMessage(histogram);
        }

        writer.EndMessage(message);
        return points;
    }

    private static int WriteNumberPoints(ProtoWriter writer, Metric metric, bool gauge)
    {
        var points = 0;
        var isDouble = metric.MetricType.IsDouble();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var message = writer.BeginMessage(1);
            WriteTimes(writer, point);
            if (isDouble)
            {
                writer.DoubleField(4, gauge ? point.GetGaugeLastValueDouble() : point.GetSumDouble());
            }
            else
            {
                // as_int is sfixed64.
                writer.Fixed64Field(6, (ulong)(gauge ? point.GetGaugeLastValueLong() : point.GetSumLong()));
            }

            WriteTags(writer, 7, point.Tags);
            writer.EndMessage(message);
            points++;
        }

        return points;
    }

    private static int WriteHistogramPoints(ProtoWriter writer, Metric metric)
    {
        var points = 0;
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var message = writer.BeginMessage(1);
            WriteCountAndSum(writer, point);

            // The SDK lists every bucket with its upper bound, the last one unbounded (+Inf): OTLP
            // wants the counts of all of them and the bounds of all but the last.
            var counts = new List<long>();
            var bounds = new List<double>();
            foreach (var bucket in point.GetHistogramBuckets())
            {
                counts.Add(bucket.BucketCount);
                if (!double.IsPositiveInfinity(bucket.ExplicitBound))
                {
                    bounds.Add(bucket.ExplicitBound);
                }
            }

            if (counts.Count > 0)
            {
                WritePackedFixed64(writer, 6, counts, static c => (ulong)c);
                WritePackedFixed64(writer, 7, bounds, static b => (ulong)BitConverter.DoubleToInt64Bits(b));
            }

            WriteTags(writer, 9, point.Tags);
            WriteMinMax(writer, point, 11);

            writer.EndMessage(message);
            points++;
        }

        return points;
    }

    private static int WriteExponentialPoints(ProtoWriter writer, Metric metric)
    {
        var points = 0;
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var message = writer.BeginMessage(1);
            WriteTags(writer, 1, point.Tags);
            WriteCountAndSum(writer, point);
            var data = point.GetExponentialHistogramData();
            writer.VarintField(6, ZigZag(data.Scale));
            writer.Fixed64Field(7, (ulong)data.ZeroCount);
            var positive = writer.BeginMessage(8);
            writer.VarintField(1, ZigZag(data.PositiveBuckets.Offset));
            var counts = writer.BeginMessage(2);
            foreach (var count in data.PositiveBuckets)
            {
                writer.WriteVarint((ulong)count);
            }

            writer.EndMessage(counts);
            writer.EndMessage(positive);
            WriteMinMax(writer, point, 12);

            writer.EndMessage(message);
            points++;
        }

        return points;
    }

    // Fields 2-5 of both histogram data points: start and end time, count, sum.
    private static void WriteCountAndSum(ProtoWriter writer, in MetricPoint point)
    {
        WriteTimes(writer, point);
        writer.Fixed64Field(4, (ulong)point.GetHistogramCount());
        writer.DoubleField(5, point.GetHistogramSum());
    }

    // min and max, when recorded, in fields minField and minField + 1.
    private static void WriteMinMax(ProtoWriter writer, in MetricPoint point, int minField)
    {
        if (point.TryGetHistogramMinMaxValues(out var min, out var max))
        {
            writer.DoubleField(minField, min);
            writer.DoubleField(minField + 1, max);
        }
    }

    private static void WriteTimes(ProtoWriter writer, in MetricPoint point)
    {
        writer.Fixed64Field(2, (ulong)UnixNanos(point.StartTime));
        writer.Fixed64Field(3, (ulong)UnixNanos(point.EndTime));
    }

    private static long UnixNanos(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private static long ZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    private static void WritePackedFixed64<T>(ProtoWriter writer, int field, List<T> values, Func<T, ulong> bits)
    {
        writer.Tag(field, ProtoWriter.Delimited);
        writer.WriteVarint((ulong)(values.Count * 8));
        var output = writer.Reserve(values.Count * 8);
        for (var i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(output[(i * 8)..], bits(values[i]));
        }

        writer.Advance(values.Count * 8);
    }

    /// <summary>A point's attributes as <c>KeyValue</c> fields <paramref name="field"/>.</summary>
    private static void WriteTags(ProtoWriter writer, int field, ReadOnlyTagCollection tags)
    {
        foreach (var tag in tags)
        {
            var keyValue = writer.BeginMessage(field);
            writer.StringField(1, tag.Key);
            var any = writer.BeginMessage(2);
            switch (tag.Value)
            {
                case bool b:
                    writer.BoolField(2, b);
                    break;
                case long or int or short or sbyte or byte or ushort or uint:
                    writer.VarintField(3, Convert.ToInt64(tag.Value, CultureInfo.InvariantCulture));
                    break;
                case double d:
                    writer.DoubleField(4, d);
                    break;
                case float f:
                    writer.DoubleField(4, f);
                    break;
                case null:
                    break;
                default:
                    writer.StringField(1, Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "");
                    break;
            }

            writer.EndMessage(any);
            writer.EndMessage(keyValue);
        }
    }
}
