using Google.Protobuf;
using OtlpReceiver.Protocol.Collector.Logs;
using OtlpReceiver.Protocol.Collector.Trace;
using OtlpReceiver.Protocol.Common;
using OtlpReceiver.Protocol.Logs;
using OtlpReceiver.Protocol.Trace;
using ProtoResource = OtlpReceiver.Protocol.Resource.Resource;

namespace Gateway.Tests.Telemetry.Otlp;

/// <summary>Valid OTLP export requests, built with the test receiver's generated types, as bytes.</summary>
internal static class OtlpTestRequests
{
    public static byte[] Trace(string spanName)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Convert.FromHexString("4bf92f3577b34da6a3ce929d0e0e4736")),
            SpanId = ByteString.CopyFrom(Convert.FromHexString("00f067aa0ba902b7")),
            Name = spanName,
            Kind = Span.Types.SpanKind.Server,
            StartTimeUnixNano = 1_700_000_000_000_000_000,
            EndTimeUnixNano = 1_700_000_000_250_000_000,
        };
        span.Attributes.Add(new KeyValue { Key = "http.request.method", Value = new AnyValue { StringValue = "GET" } });
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "Gateway.Tests" } };
        scope.Spans.Add(span);
        var resource = new ResourceSpans { Resource = Resource() };
        resource.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resource);
        return request.ToByteArray();
    }

    public static byte[] Log(string eventName)
    {
        var record = new LogRecord
        {
            EventName = eventName,
            TimeUnixNano = 1_700_000_000_000_000_000,
            SeverityNumber = SeverityNumber.Info,
            Body = new AnyValue { StringValue = "GET / 200" },
        };
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "Gateway.Tests" } };
        scope.LogRecords.Add(record);
        var resource = new ResourceLogs { Resource = Resource() };
        resource.ScopeLogs.Add(scope);
        var request = new ExportLogsServiceRequest();
        request.ResourceLogs.Add(resource);
        return request.ToByteArray();
    }

    private static ProtoResource Resource()
    {
        var resource = new ProtoResource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "transport-test" } });
        return resource;
    }
}
