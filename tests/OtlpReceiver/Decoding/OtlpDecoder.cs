using Google.Protobuf;
using Google.Protobuf.Collections;
using OtlpReceiver.Protocol.Collector.Logs;
using OtlpReceiver.Protocol.Collector.Metrics;
using OtlpReceiver.Protocol.Collector.Trace;
using OtlpReceiver.Protocol.Common;
using ProtoResource = OtlpReceiver.Protocol.Resource.Resource;

namespace OtlpReceiver;

/// <summary>Turns the generated protobuf messages into the receiver's plain views.</summary>
internal static class OtlpDecoder
{
    private static readonly IReadOnlyDictionary<string, object?> Empty = new Dictionary<string, object?>();

    public static List<ReceivedSpan> Spans(ExportTraceServiceRequest request, string transport)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = ResourceAttributes(resourceSpans.Resource);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    spans.Add(new ReceivedSpan
                    {
                        TraceId = Hex(span.TraceId),
                        SpanId = Hex(span.SpanId),
                        ParentSpanId = Hex(span.ParentSpanId),
                        TraceState = span.TraceState,
                        Name = span.Name,
                        Kind = (OtlpSpanKind)span.Kind,
                        StartTimeUnixNano = span.StartTimeUnixNano,
                        EndTimeUnixNano = span.EndTimeUnixNano,
                        Flags = span.Flags,
                        Attributes = Attributes(span.Attributes),
                        Events = span.Events.Select(e => new ReceivedSpanEvent
                        {
                            Name = e.Name,
                            TimeUnixNano = e.TimeUnixNano,
                            Attributes = Attributes(e.Attributes),
                        }).ToArray(),
                        StatusCode = (OtlpStatusCode)(span.Status?.Code ?? 0),
                        StatusMessage = span.Status?.Message ?? "",
                        ResourceAttributes = resource,
                        ScopeName = scopeSpans.Scope?.Name ?? "",
                        ScopeVersion = scopeSpans.Scope?.Version ?? "",
                        Transport = transport,
                    });
                }
            }
        }

        return spans;
    }

    public static List<ReceivedLog> Logs(ExportLogsServiceRequest request, string transport)
    {
        var logs = new List<ReceivedLog>();
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var resource = ResourceAttributes(resourceLogs.Resource);
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                foreach (var record in scopeLogs.LogRecords)
                {
                    logs.Add(new ReceivedLog
                    {
                        TraceId = Hex(record.TraceId),
                        SpanId = Hex(record.SpanId),
                        EventName = record.EventName,
                        Body = record.Body is null ? null : Value(record.Body),
                        SeverityNumber = (int)record.SeverityNumber,
                        SeverityText = record.SeverityText,
                        TimeUnixNano = record.TimeUnixNano,
                        ObservedTimeUnixNano = record.ObservedTimeUnixNano,
                        Flags = record.Flags,
                        Attributes = Attributes(record.Attributes),
                        ResourceAttributes = resource,
                        ScopeName = scopeLogs.Scope?.Name ?? "",
                        Transport = transport,
                    });
                }
            }
        }

        return logs;
    }

    /// <summary>The resource attributes of each <c>ResourceMetrics</c> of the request.</summary>
    public static List<IReadOnlyDictionary<string, object?>> MetricResources(ExportMetricsServiceRequest request) =>
        request.ResourceMetrics.Select(r => ResourceAttributes(r.Resource)).ToList();

    public static List<string> MetricNames(ExportMetricsServiceRequest request) =>
        request.ResourceMetrics
            .SelectMany(r => r.ScopeMetrics)
            .SelectMany(s => s.Metrics)
            .Select(m => m.Name)
            .ToList();

    /// <summary>
    /// Per metric name, the sum over its data points (all attribute sets) of a Sum or Gauge with
    /// integer or double points, as exported in this request.
    /// </summary>
    public static List<(string Name, double Total)> MetricTotals(ExportMetricsServiceRequest request) =>
        request.ResourceMetrics
            .SelectMany(r => r.ScopeMetrics)
            .SelectMany(s => s.Metrics)
            .Select(m => (m.Name, m.DataCase switch
            {
                Protocol.Metrics.Metric.DataOneofCase.Sum => m.Sum.DataPoints.Sum(Value),
                Protocol.Metrics.Metric.DataOneofCase.Gauge => m.Gauge.DataPoints.Sum(Value),
                _ => double.NaN,
            }))
            .ToList();

    /// <summary>
    /// Each data point of a Sum or Gauge as exported in this request, keyed by the metric's name and the
    /// point's attributes (<c>name{key=value,...}</c>, keys in ordinal order; a point without attributes is
    /// its name alone).
    /// </summary>
    public static List<(string Key, double Value)> MetricPoints(ExportMetricsServiceRequest request) =>
        request.ResourceMetrics
            .SelectMany(r => r.ScopeMetrics)
            .SelectMany(s => s.Metrics)
            .SelectMany(m => (m.DataCase switch
            {
                Protocol.Metrics.Metric.DataOneofCase.Sum => m.Sum.DataPoints,
                Protocol.Metrics.Metric.DataOneofCase.Gauge => m.Gauge.DataPoints,
                _ => Enumerable.Empty<Protocol.Metrics.NumberDataPoint>(),
            }).Select(p => (PointKey(m.Name, p.Attributes), Value(p))))
            .ToList();

    private static string PointKey(string name, RepeatedField<KeyValue> attributes) =>
        attributes.Count == 0
            ? name
            : $"{name}{{{string.Join(",", attributes.Select(a => $"{a.Key}={(a.Value is null ? null : Value(a.Value))}").Order(StringComparer.Ordinal))}}}";

    private static double Value(Protocol.Metrics.NumberDataPoint point) =>
        point.ValueCase == Protocol.Metrics.NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble;

    /// <summary>Lower-case hex; an absent id (zero-length bytes) becomes the empty string.</summary>
    public static string Hex(ByteString bytes) => bytes.IsEmpty ? "" : Convert.ToHexStringLower(bytes.Span);

    public static IReadOnlyDictionary<string, object?> Attributes(RepeatedField<KeyValue> keyValues)
    {
        if (keyValues.Count == 0)
        {
            return Empty;
        }

        var attributes = new Dictionary<string, object?>(keyValues.Count, StringComparer.Ordinal);
        foreach (var keyValue in keyValues)
        {
            attributes[keyValue.Key] = keyValue.Value is null ? null : Value(keyValue.Value);
        }

        return attributes;
    }

    public static object? Value(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue,
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToByteArray(),
        AnyValue.ValueOneofCase.ArrayValue => value.ArrayValue.Values.Select(Value).ToArray(),
        AnyValue.ValueOneofCase.KvlistValue => Attributes(value.KvlistValue.Values),
        _ => null,
    };

    private static IReadOnlyDictionary<string, object?> ResourceAttributes(ProtoResource? resource) =>
        resource is null ? Empty : Attributes(resource.Attributes);
}
